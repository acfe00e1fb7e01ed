"""What a partner earns for a referred move: the structure's checks, and the amount from
the job's final price (Decimal, rounded to the cent by pricing.money, the one money rule).

- percentage: rate % of the price;
- flat: the same amount for every completed move;
- tiered: the rate of the tier the price falls in. Tiers are ascending, each "up to" an
  amount; a price above the last tier's bound takes the last tier's rate;
- manual: agreed case by case (nothing is computed; the office enters it when paying).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from simplepro.core.problems import FieldError, ProblemError
from simplepro.pricing.money import cents

MAX_TIERS = 10
# What the amount fields hold (12 digits, 2 after the point).
MAX_AMOUNT = Decimal(10**10)
HUNDRED = Decimal(100)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def structure_clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """The commission fields of a partner, checked; a 422 naming each mistake."""
    errors: list[FieldError] = []
    kind = data.get("commission_type", "percentage")
    clean: dict[str, Any] = {"commission_type": kind, "commission_rate": None,
                             "commission_flat": None, "commission_tiers": []}  # fmt: skip

    def wrong(field: str, code: str, message: str) -> None:
        errors.append({"field": field, "code": code, "message": message})

    if kind == "percentage":
        rate = _decimal(data.get("commission_rate"))
        if rate is None or not 0 <= rate <= HUNDRED or rate != cents(rate):
            wrong("commission_rate", "range", "A percentage from 0 to 100, to the hundredth.")
        else:
            clean["commission_rate"] = rate
    elif kind == "flat":
        amount = _decimal(data.get("commission_flat"))
        if amount is None or not 0 < amount < MAX_AMOUNT:
            wrong("commission_flat", "range",
                  f"A flat commission is an amount above 0 and below {MAX_AMOUNT:,}.")  # fmt: skip
        else:
            clean["commission_flat"] = cents(amount)
    elif kind == "tiered":
        clean["commission_tiers"] = _tiers(data.get("commission_tiers"), wrong)
    elif kind != "manual":
        wrong("commission_type", "invalid_choice", "Choose percentage, flat, tiered or manual.")
    if errors:
        raise ProblemError(422, "The commission has mistakes.", errors=errors)
    return clean


def _tiers(raw: Any, wrong: Any) -> list[dict[str, str | None]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TIERS:
        wrong("commission_tiers", "type", f"Tiers are a list of 1 to {MAX_TIERS}.")
        return []
    tiers: list[dict[str, str | None]] = []
    previous = Decimal(-1)
    for index, tier in enumerate(raw):
        where = f"commission_tiers[{index}]"
        if not isinstance(tier, dict):
            wrong(where, "type", 'A tier is {"up_to": amount or null, "rate": percentage}.')
            continue
        rate = _decimal(tier.get("rate"))
        if rate is None or not 0 <= rate <= HUNDRED:
            wrong(f"{where}.rate", "range", "A percentage from 0 to 100.")
            continue
        bound = _decimal(tier.get("up_to"))
        if bound is not None and not 0 <= bound < MAX_AMOUNT:
            wrong(f"{where}.up_to", "range", f"An amount from 0 to below {MAX_AMOUNT:,}.")
            continue
        last = index == len(raw) - 1
        if bound is None and not last:
            wrong(f"{where}.up_to", "required", "Only the last tier may be open-ended.")
            continue
        if bound is not None and bound <= previous:
            wrong(f"{where}.up_to", "order", "Each tier goes higher than the one before.")
            continue
        previous = bound if bound is not None else previous
        tiers.append({"up_to": str(cents(bound)) if bound is not None else None,
                      "rate": str(rate)})  # fmt: skip
    return tiers


def commission_for(structure: Mapping[str, Any], price: Decimal) -> tuple[Decimal | None, str]:
    """The commission on a move that cost `price`, and how it was worked out (None for a
    manual structure)."""
    kind = structure["commission_type"]
    if kind == "percentage":
        rate = Decimal(structure["commission_rate"])
        return cents(price * rate / HUNDRED), f"{rate.normalize():f} % of {price}"
    if kind == "flat":
        return cents(structure["commission_flat"]), "flat per move"
    if kind == "tiered":
        tiers = structure["commission_tiers"]
        chosen = next(
            (t for t in tiers if t["up_to"] is None or price <= Decimal(t["up_to"])), tiers[-1]
        )
        rate = Decimal(chosen["rate"])
        bound = f"up to {chosen['up_to']}" if chosen["up_to"] else "above the other tiers"
        if chosen is tiers[-1] and chosen["up_to"] and price > Decimal(chosen["up_to"]):
            bound = f"above {chosen['up_to']} (the last tier)"
        return cents(price * rate / HUNDRED), f"{rate.normalize():f} % of {price} (tier {bound})"
    return None, "agreed case by case"
