"""Phone numbers in, E.164 out, read with the company's default region."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"{raw!r} is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{raw!r} is not a valid phone number for region {region}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def search_digits(e164: str) -> list[str]:
    """Digit strings a person might type for this number: with and without country code."""
    number = phonenumbers.parse(e164, None)
    national = str(number.national_number)
    return [e164.lstrip("+"), national]
