"""SimplePro: a self-hostable management platform for moving companies."""

__version__ = "0.1.0"
