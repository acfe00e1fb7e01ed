"""Template filters for how people in a moving company read things."""

from __future__ import annotations

import phonenumbers
from django import template

from simplepro.pricing.money import money_text

register = template.Library()


@register.filter
def phone(e164: str) -> str:
    """+16175550142 → +1 617-555-0142: stored E.164, shown the way people dial it."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def money(amount: object, currency: str = "") -> str:
    """1234.5 → "USD 1,234.50" (no amount: empty)."""
    if amount is None or amount == "":
        return ""
    return money_text(str(amount), currency)


@register.filter
def words(key: object) -> str:
    """A stored key as words: "bill_of_lading_signed" → "Bill of lading signed"."""
    return str(key or "").replace("_", " ").strip().capitalize()
