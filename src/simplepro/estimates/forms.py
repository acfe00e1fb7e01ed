"""The estimate builder's form: what the surveyor types, turned into the engine's input.

The inventory arrives as `room-<token>` (the room's name) and `qty-<token>-<item key>`
(quantities) fields, so rooms can be added by htmx without renumbering anything.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from pydantic import ValidationError

from simplepro.pricing import EstimateInput
from simplepro.pricing.inventory import Item, Totals, totals

SERVICES = (
    ("local", "Local move"),
    ("long_distance", "Long-distance move"),
    ("storage", "Storage"),
    ("packing_only", "Packing only"),
)
ESTIMATE_TYPES = (
    ("non_binding", "Non-binding"),
    ("binding", "Binding"),
    ("not_to_exceed", "Not to exceed"),
)
VALUATIONS = (
    ("released", "Released value (0.60/lb, free)"),
    ("full_value", "Full value protection"),
)
ADJUSTMENTS = (
    ("", "None"),
    ("discount_percent", "Discount, percent"),
    ("discount_amount", "Discount, amount"),
    ("override", "Price override"),
)
ACCESS_FIELDS = ("floor", "elevator", "stairs_flights", "long_carry_feet", "narrow_hallways")
SPECIAL_ITEMS = ("piano", "antiques", "artwork", "safe", "pool_table")
SERVICES_ADDED = ("packing", "unpacking", "assembly", "cleaning")
ROOM_FIELD = re.compile(r"^room-([a-z0-9]{1,12})$")
QUANTITY_FIELD = re.compile(r"^qty-([a-z0-9]{1,12})-([a-z0-9_]{1,100})$")


def _number(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(required=False, min_value=0, decimal_places=2, **kwargs)


class BuilderForm(forms.Form):
    # Editing only: why this new version ("the customer added the garage").
    revision_reason = forms.CharField(required=False, max_length=300, label="Why it changed")
    pickup_address = forms.CharField(required=False, max_length=300)
    delivery_address = forms.CharField(required=False, max_length=300)
    move_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.ChoiceField(choices=SERVICES)
    crew_size = forms.IntegerField(min_value=1, max_value=12, initial=2)
    estimated_hours = _number(label="Estimated hours", max_digits=6)
    distance_miles = _number(label="Distance (miles)", max_digits=8)
    cubic_feet = _number(label="Cubic feet (blank: from the inventory)", max_digits=8)
    weight_lb = _number(label="Weight, lb (blank: from the inventory)", max_digits=9)
    fragile_count = forms.IntegerField(
        required=False, min_value=0, label="Fragile items (blank: from the inventory)"
    )
    storage_days = forms.IntegerField(required=False, min_value=0, max_value=3650)
    specialty_crew = forms.BooleanField(required=False)
    estimate_type = forms.ChoiceField(choices=ESTIMATE_TYPES)
    valuation = forms.ChoiceField(choices=VALUATIONS)
    declared_value = _number(max_digits=10)
    adjustment_kind = forms.ChoiceField(choices=ADJUSTMENTS, required=False, label="Adjustment")
    adjustment_value = _number(max_digits=12)
    adjustment_reason = forms.CharField(required=False, max_length=500, label="Reason")

    def __init__(
        self, *args: Any, sizes: list[tuple[str, str, Decimal]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sizes = {key: cubic_feet for key, _, cubic_feet in sizes or []}
        self.fields["move_size"] = forms.ChoiceField(
            required=False,
            label="Move size (without a survey)",
            choices=[("", "—")]
            + [(key, f"{label} ({cubic_feet} cu ft)") for key, label, cubic_feet in sizes or []],
        )
        for side in ("pickup", "delivery"):
            self.fields[f"{side}_floor"] = forms.IntegerField(
                required=False, min_value=-5, max_value=200, label="Floor"
            )
            self.fields[f"{side}_stairs_flights"] = forms.IntegerField(
                required=False, min_value=0, max_value=50, label="Flights of stairs"
            )
            self.fields[f"{side}_long_carry_feet"] = forms.IntegerField(
                required=False, min_value=0, max_value=5000, label="Long carry (ft)"
            )
            self.fields[f"{side}_elevator"] = forms.BooleanField(required=False, label="Elevator")
            self.fields[f"{side}_narrow_hallways"] = forms.BooleanField(
                required=False, label="Narrow hallways"
            )
        for name in (*SPECIAL_ITEMS, *SERVICES_ADDED):
            self.fields[name] = forms.BooleanField(
                required=False, label=name.replace("_", " ").capitalize()
            )

    def access_fields(self, side: str) -> list[forms.BoundField]:
        return [self[f"{side}_{name}"] for name in ACCESS_FIELDS]

    def checkbox_fields(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def estimate_input(self, survey: Totals) -> EstimateInput:
        """The engine's input; a ValidationError lists every problem with its field."""
        data = self.cleaned_data

        def value(name: str, default: Any) -> Any:
            found = data.get(name)
            return default if found is None or found == "" else found

        adjustment = None
        if data.get("adjustment_kind"):
            adjustment = {
                "kind": data["adjustment_kind"],
                "value": value("adjustment_value", Decimal(0)),
                "reason": data.get("adjustment_reason", ""),
            }
        return EstimateInput.model_validate(
            {
                "service": data["service"],
                "move_date": data["move_date"],
                "distance_miles": value("distance_miles", Decimal(0)),
                "weight_lb": value("weight_lb", survey.weight_lb if survey.items else None),
                "cubic_feet": value("cubic_feet", self._cubic_feet(survey)),
                "crew_size": data["crew_size"],
                "estimated_hours": value("estimated_hours", Decimal(0)),
                "pickup": self._access("pickup"),
                "delivery": self._access("delivery"),
                "special_items": {
                    **{name: bool(data.get(name)) for name in SPECIAL_ITEMS},
                    "fragile_count": value("fragile_count", survey.fragile_count),
                },
                "services": {
                    **{name: bool(data.get(name)) for name in SERVICES_ADDED},
                    "storage_days": value("storage_days", 0),
                },
                "specialty_crew": bool(data.get("specialty_crew")),
                "estimate_type": data["estimate_type"],
                "valuation": {
                    "kind": data["valuation"],
                    "declared_value": data.get("declared_value"),
                },
                "adjustment": adjustment,
            }
        )

    def _cubic_feet(self, survey: Totals) -> Decimal:
        """The survey's volume; without a survey, the chosen move size's."""
        if survey.items:
            return survey.cubic_feet
        return self.sizes.get(self.cleaned_data.get("move_size") or "", survey.cubic_feet)

    def _access(self, side: str) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "floor": data.get(f"{side}_floor") or 0,
            "elevator": bool(data.get(f"{side}_elevator")),
            "stairs_flights": data.get(f"{side}_stairs_flights") or 0,
            "long_carry_feet": data.get(f"{side}_long_carry_feet") or 0,
            "narrow_hallways": bool(data.get(f"{side}_narrow_hallways")),
        }


def initial_from(estimate_input: dict[str, Any], estimate: Any = None) -> dict[str, Any]:
    """Builder fields for a stored version's input (editing an estimate)."""
    initial: dict[str, Any] = {
        key: estimate_input.get(key)
        for key in (
            "move_date",
            "service",
            "crew_size",
            "estimated_hours",
            "distance_miles",
            "cubic_feet",
            "weight_lb",
            "specialty_crew",
            "estimate_type",
        )
    }
    for side in ("pickup", "delivery"):
        for name in ACCESS_FIELDS:
            initial[f"{side}_{name}"] = estimate_input.get(side, {}).get(name)
    special = estimate_input.get("special_items", {})
    initial |= {name: special.get(name) for name in SPECIAL_ITEMS}
    initial["fragile_count"] = special.get("fragile_count")
    added = estimate_input.get("services", {})
    initial |= {name: added.get(name) for name in SERVICES_ADDED}
    initial["storage_days"] = added.get("storage_days")
    valuation = estimate_input.get("valuation", {})
    initial["valuation"] = valuation.get("kind", "released")
    initial["declared_value"] = valuation.get("declared_value")
    adjustment = estimate_input.get("adjustment") or {}
    initial["adjustment_kind"] = adjustment.get("kind", "")
    initial["adjustment_value"] = adjustment.get("value")
    initial["adjustment_reason"] = adjustment.get("reason", "")
    if estimate is not None:
        initial["pickup_address"] = estimate.pickup_address
        initial["delivery_address"] = estimate.delivery_address
    return initial


def inventory_lines(post: QueryDict, known: dict[str, Item]) -> list[dict[str, Any]]:
    """Survey lines from the posted rooms, in page order; unknown items and zeros left out."""
    rooms = {
        match.group(1): (post.get(name) or "Room").strip()[:60] or "Room"
        for name in post
        if (match := ROOM_FIELD.match(name))
    }
    lines = []
    for name in post:
        match = QUANTITY_FIELD.match(name)
        if not match or match.group(1) not in rooms or match.group(2) not in known:
            continue
        try:
            quantity = int(post.get(name) or 0)
        except ValueError:
            continue
        if 1 <= quantity <= 1000:
            lines.append(
                {"room": rooms[match.group(1)], "key": match.group(2), "quantity": quantity}
            )
    return lines


def survey_of(lines: list[dict[str, Any]], known: dict[str, Item]) -> Totals:
    return totals(((line["key"], line["quantity"]) for line in lines), extra=known)


def input_problems(error: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in e['loc']).replace('_', ' ')}: {e['msg']}"
        for e in error.errors()
    ]
