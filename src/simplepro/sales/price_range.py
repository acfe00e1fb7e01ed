"""The instant price range a lead form may show: the active ruleset priced twice, for a
smaller and a larger home of the size chosen, with every assumption written out. It is an
indication, never a quote: the range and its assumptions are stored with the lead, so the
salesperson sees exactly what the customer was shown (and which ruleset said so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from simplepro.accounts.services import company_get
from simplepro.estimates.services import company_today, ruleset_active, ruleset_of
from simplepro.pricing import EstimateInput, price
from simplepro.pricing.inventory import crew_plan, move_sizes
from simplepro.pricing.money import cents

# The lead form's sizes, and the ruleset's size preset each is priced from.
PRESET_OF = {
    "studio": "studio",
    "one_bedroom": "one_bedroom",
    "two_bedrooms": "two_bedroom",
    "three_bedrooms": "three_bedroom_house",
    "four_bedrooms": "four_bedroom_house",
    "office": "small_office",
}
# Homes of one size differ: the range prices the preset's volume from 20 % less to 25 % more.
SMALLER, LARGER = Decimal("0.80"), Decimal("1.25")
# Moves are booked weeks ahead: with no date given, the range is for a month from today.
DEFAULT_LEAD_DAYS = 30


@dataclass(frozen=True)
class PriceRange:
    low: Decimal
    high: Decimal
    currency: str
    ruleset: str
    assumptions: list[str]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["low"], data["high"] = str(self.low), str(self.high)
        return data


def _priced(cubic_feet: Decimal, move_date: dt.date, tariff: Any, ruleset: Any) -> tuple[
    Decimal, Any
]:  # fmt: skip
    plan = crew_plan(cubic_feet, tariff)
    estimate = EstimateInput(
        service="local", move_date=move_date, cubic_feet=cubic_feet, crew_size=plan.crew_size,
        estimated_hours=plan.hours, trucks=plan.trucks,
    )  # fmt: skip
    return price(estimate, ruleset).breakdown.total, plan


def price_range(move_size: str, move_date: dt.date | None) -> PriceRange | None:
    """The range for a local move of `move_size`, or None when it cannot be priced (no
    preset for the size, or a ruleset that prices the original's inputs only)."""
    stored = ruleset_active()
    ruleset = ruleset_of(stored)
    if ruleset.compatibility is not None:
        return None
    tariff = ruleset.tariff
    presets = {key: (label, feet) for key, label, feet in move_sizes(tariff)}
    preset = presets.get(PRESET_OF.get(move_size, ""))
    if preset is None:
        return None
    label, feet = preset
    when = move_date or company_today() + dt.timedelta(days=DEFAULT_LEAD_DAYS)
    low, low_plan = _priced(cents(feet * SMALLER), when, tariff, ruleset)
    high, high_plan = _priced(cents(feet * LARGER), when, tariff, ruleset)
    hours = (f"{low_plan.hours:g}" if low_plan.hours == high_plan.hours
             else f"{low_plan.hours:g}–{high_plan.hours:g}")  # fmt: skip
    crews = (str(low_plan.crew_size) if low_plan.crew_size == high_plan.crew_size
             else f"{low_plan.crew_size}–{high_plan.crew_size}")  # fmt: skip
    return PriceRange(
        low=min(low, high), high=max(low, high), currency=company_get().currency,
        ruleset=f"{stored.name} {stored.version}",
        assumptions=[
            f"A local move of a typical {label.lower()}: {cents(feet * SMALLER):,.0f} to "
            f"{cents(feet * LARGER):,.0f} cubic feet",
            f"{crews} movers for {hours} hours, {low_plan.trucks} truck(s)",
            "Easy access at both ends: no stairs, long carries or elevator waits",
            "No packing, storage, special items or extra valuation",
            f"On {when:%d %B %Y}" + ("" if move_date else " (no date given)"),
            "An indication, not a quote: your quote follows a survey of what you move",
        ],
    )  # fmt: skip
