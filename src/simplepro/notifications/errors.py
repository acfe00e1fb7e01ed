"""How a provider (SMTP, Twilio, a push service) can fail a send, told apart because they are
handled apart: a refusal is final, never retried; a failure to reach it is retried."""


class SendRefused(Exception):
    """The provider will not take this message (a bad number, a STOP, no device): final."""


class SendFailed(OSError):
    """The provider could not be reached, or may not have answered: retry (carefully)."""
