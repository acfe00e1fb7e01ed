"""CSV cells that spreadsheet programs will not run as formulas (CSV injection)."""

from __future__ import annotations

# Spreadsheet programs run cells starting with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The value, with a leading apostrophe when it would start a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value
