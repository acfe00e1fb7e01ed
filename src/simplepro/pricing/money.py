"""Money is Decimal, rounded to cents in one place with ROUND_HALF_UP (documented policy:
every line item is rounded when it is computed, so the lines of a breakdown always add up)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal | int | str, currency: str = "") -> str:
    """1234.5 → "1,234.50", or "USD 1,234.50" with a currency: how every page, message and
    quote writes an amount (rounded to the cent by the rule above)."""
    text = f"{cents(amount):,.2f}"
    return f"{currency} {text}" if currency else text
