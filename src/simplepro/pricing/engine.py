"""The pricing engine: one evaluation loop from input and ruleset to a priced, explained,
hashed result. Pure Python; the same input and ruleset always give byte-identical output."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from string import Template
from typing import Any

import holidays
from pydantic import BaseModel, ConfigDict

from simplepro.pricing.inputs import EstimateInput
from simplepro.pricing.money import ZERO, cents
from simplepro.pricing.quantities import Quantity, parse_quantity
from simplepro.pricing.ruleset import (
    KNOWN_FIELDS,
    SIDE_FIELDS,
    AllOf,
    Clause,
    Condition,
    Handicap,
    Rule,
    Ruleset,
    Tariff,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BUCKETS = ("labor", "travel", "materials", "handicaps", "special_items", "seasonal", "adjustment")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# The parts of a result are plain dataclasses: built several times per estimate, where a
# pydantic model's construction cost a third of the engine's time. Pydantic still serialises
# them inside PricingResult.
@dataclass(frozen=True, slots=True)
class AppliedItem:
    id: str
    name: str
    category: str
    impact: Decimal
    explanation: str


@dataclass(frozen=True, slots=True)
class Breakdown:
    labor: Decimal
    travel: Decimal
    materials: Decimal
    handicaps: Decimal
    special_items: Decimal
    seasonal: Decimal
    adjustment: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    deposit_due: Decimal


@dataclass(frozen=True)
class Derived:
    weight_lb: Decimal
    billable_hours: Decimal
    trucks: int
    is_weekend: bool
    is_holiday: bool
    season: str
    weekday: str


class PricingResult(Frozen):
    base_price: Decimal
    base_lines: list[AppliedItem]
    applied_rules: list[AppliedItem]
    applied_handicaps: list[AppliedItem]
    adjustment: AppliedItem | None
    breakdown: Breakdown
    derived: Derived
    ruleset_name: str
    ruleset_version: str
    ruleset_hash: str
    input_hash: str

    def canonical_json(self) -> bytes:
        """Compact JSON, fields in definition order, money as strings: byte-identical for
        the same input and ruleset."""
        return self.__pydantic_serializer__.to_json(self)


def input_hash(estimate: EstimateInput) -> str:
    """SHA-256 of the canonical input: every field, nested ones included, in definition order
    (the original's hash silently left nested fields out)."""
    return hashlib.sha256(estimate.__pydantic_serializer__.to_json(estimate)).hexdigest()


@lru_cache(maxsize=8)
def _holidays(country: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def trucks_needed(cubic_feet: Decimal, tariff: Tariff) -> int:
    return max(1, math.ceil(cubic_feet / tariff.cubic_feet_per_truck))


def _derive(estimate: EstimateInput, ruleset: Ruleset) -> Derived:
    tariff, calendar = ruleset.tariff, ruleset.calendar
    date = estimate.move_date
    weekday = WEEKDAYS[date.weekday()]
    if estimate.season is not None:
        season = estimate.season
    elif date.month in calendar.peak_months:
        season = "peak"
    elif date.month in calendar.off_peak_months:
        season = "off_peak"
    else:
        season = "standard"
    is_holiday = estimate.is_holiday
    if is_holiday is None:
        is_holiday = calendar.holidays != "none" and date in _holidays(calendar.holidays, date.year)
    return Derived(
        weight_lb=estimate.weight_lb
        if estimate.weight_lb is not None
        else estimate.cubic_feet * tariff.pounds_per_cubic_foot,
        billable_hours=max(estimate.estimated_hours, tariff.minimum_hours),
        trucks=estimate.trucks or trucks_needed(estimate.cubic_feet, tariff),
        is_weekend=estimate.is_weekend
        if estimate.is_weekend is not None
        else weekday in {"saturday", "sunday"},
        is_holiday=is_holiday,
        season=season,
        weekday=weekday,
    )


@lru_cache(maxsize=256)
def _getter(name: str) -> Callable[[EstimateInput], Any]:
    return attrgetter(name)


def _context(estimate: EstimateInput, derived: Derived, names: frozenset[str]) -> dict[str, Any]:
    """The values rules may read: the input fields the ruleset uses, and every derived value."""
    values: dict[str, Any] = dict(vars(derived))
    values["extra_crew"] = max(0, estimate.crew_size - 2)
    for name in names:
        if name not in values:
            values[name] = _getter(name)(estimate)
    return values


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(0)


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return actual is not None
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "in":
        return actual in expected
    if op == "nin":
        return actual not in expected
    if actual is None:
        return False
    number = _number(actual)
    if op == "between":
        low, high = expected
        return _number(low) <= number <= _number(high)
    target = _number(expected)
    return {
        "gt": number > target,
        "gte": number >= target,
        "lt": number < target,
        "lte": number <= target,
    }[op]


def holds(clause: Clause | None, values: dict[str, Any]) -> bool:
    if clause is None:
        return True
    if isinstance(clause, Condition):
        return _compare(clause.op, values.get(clause.field), clause.value)
    if isinstance(clause, AllOf):
        return all(holds(child, values) for child in clause.all)
    return any(holds(child, values) for child in clause.any)


@lru_cache(maxsize=1024)
def _template(text: str) -> Template:
    return Template(text)


def _explain(template: str, impact: Decimal, quantity: Decimal = ZERO) -> str:
    return _template(template).safe_substitute(
        impact=f"{impact:,.2f}", quantity=f"{quantity.normalize():,f}"
    )


@lru_cache(maxsize=1024)
def _quantity(source: str, per_side: bool) -> Quantity:
    """Parsed once per expression (the ruleset was validated at load, so this cannot fail)."""
    return parse_quantity(source, SIDE_FIELDS if per_side else KNOWN_FIELDS)


def _base_lines(estimate: EstimateInput, derived: Derived, tariff: Tariff) -> list[AppliedItem]:
    def line(
        line_id: str, name: str, category: str, amount: Decimal, explanation: str
    ) -> AppliedItem:
        return AppliedItem(
            id=line_id, name=name, category=category, impact=cents(amount), explanation=explanation
        )

    lines: list[AppliedItem] = []
    if estimate.service in {"local", "packing_only"}:
        if estimate.service == "local":
            rates = {r.crew_size: r for r in tariff.hourly_rates}
            largest = max(rates)
            row = rates.get(min(estimate.crew_size, largest)) or rates[largest]
            hourly = row.weekend if derived.is_weekend else row.weekday
            if derived.is_holiday and row.holiday is not None:
                hourly = row.holiday
            hourly += tariff.extra_person_hourly * max(0, estimate.crew_size - largest)
        else:
            hourly = tariff.packing_hourly_per_person * estimate.crew_size
        lines.append(
            line(
                "labor",
                "Labor",
                "labor",
                hourly * derived.billable_hours,
                f"{estimate.crew_size} movers × {derived.billable_hours} h at {hourly:,.2f}/h",
            )
        )
        if estimate.service == "local":
            lines.append(
                line("travel_fee", "Travel fee", "travel", tariff.travel_fee, "Trip charge")
            )
            lines.append(
                line(
                    "trucks",
                    "Trucks",
                    "travel",
                    tariff.truck_fee * derived.trucks,
                    f"{derived.trucks} truck(s) at {tariff.truck_fee:,.2f}",
                )
            )
    elif estimate.service == "long_distance":
        cwt = derived.weight_lb / 100
        bracket = next(
            b for b in tariff.long_distance if b.up_to_lb is None or derived.weight_lb < b.up_to_lb
        )
        haul = max(
            cwt * (bracket.per_cwt + bracket.per_cwt_mile * estimate.distance_miles),
            tariff.long_distance_minimum,
        )
        lines.append(
            line(
                "line_haul",
                "Line haul",
                "travel",
                haul,
                f"{derived.weight_lb:,.0f} lb over {estimate.distance_miles} mi",
            )
        )
    else:  # storage
        days = max(estimate.services.storage_days, 1)
        lines.append(
            line(
                "storage",
                "Storage",
                "labor",
                tariff.storage_per_cubic_foot_day * estimate.cubic_feet * days,
                f"{estimate.cubic_feet} cu ft for {days} day(s)",
            )
        )
    return lines


def _rule_impact(rule: Rule, running: Decimal, values: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """Sum of the rule's actions, each computed against the price before the rule."""
    total, quantity = ZERO, ZERO
    for action in rule.actions:
        if action.type == "add_fixed":
            total += action.amount
        elif action.type == "add_per_unit":
            assert action.quantity is not None
            quantity = _quantity(action.quantity, False).evaluate(lambda n: _number(values.get(n)))
            total += action.amount * quantity
        elif action.type == "add_percentage":
            total += running * action.amount / 100
        elif action.type == "multiply":
            total += running * (action.amount - 1)
        elif action.type == "set_minimum":
            total += max(ZERO, action.amount - running)
        else:  # set_maximum
            total -= max(ZERO, running - action.amount)
    return cents(total), quantity


def _handicap_impact(handicap: Handicap, running: Decimal, side: dict[str, Any]) -> Decimal:
    if handicap.kind == "fixed":
        return cents(handicap.amount)
    if handicap.kind == "per_unit":
        assert handicap.quantity is not None
        units = _quantity(handicap.quantity, True).evaluate(lambda n: _number(side.get(n)))
        return cents(handicap.amount * units)
    if handicap.kind == "percentage":
        return cents(running * handicap.amount / 100)
    return cents(running * (handicap.amount - 1))


def price(estimate: EstimateInput, ruleset: Ruleset) -> PricingResult:
    derived = _derive(estimate, ruleset)
    values = _context(estimate, derived, ruleset.input_fields_used)
    buckets = dict.fromkeys(BUCKETS, ZERO)
    base_lines = _base_lines(estimate, derived, ruleset.tariff)
    for base_line in base_lines:
        buckets[base_line.category] += base_line.impact
    base_price = sum((b.impact for b in base_lines), ZERO)
    running = base_price

    applied_rules: list[AppliedItem] = []
    for rule in sorted(ruleset.rules, key=lambda r: r.priority):  # stable: ties keep file order
        if not rule.active or estimate.service not in rule.services:
            continue
        values["running_price"] = running
        if not holds(rule.when, values):
            continue
        impact, quantity = _rule_impact(rule, running, values)
        running += impact
        buckets[rule.category] += impact
        applied_rules.append(
            AppliedItem(
                id=rule.id,
                name=rule.name,
                category=rule.category,
                impact=impact,
                explanation=_explain(rule.explanation, impact=impact, quantity=quantity),
            )
        )

    applied_handicaps: list[AppliedItem] = []
    for handicap in ruleset.handicaps:
        if not handicap.active:
            continue
        for side_name in handicap.sides:
            side = vars(getattr(estimate, side_name))
            if not holds(handicap.when, side):
                continue
            impact = _handicap_impact(handicap, running, side)
            running += impact
            buckets["handicaps"] += impact
            applied_handicaps.append(
                AppliedItem(
                    id=f"{handicap.id}:{side_name}",
                    name=f"{handicap.name} ({side_name})",
                    category="handicaps",
                    impact=impact,
                    explanation=_explain(handicap.explanation, impact=impact),
                )
            )

    adjustment = None
    if estimate.adjustment is not None:
        manual = estimate.adjustment
        if manual.kind == "discount_percent":
            impact = -cents(running * min(manual.value, Decimal(100)) / 100)
        elif manual.kind == "discount_amount":
            impact = -min(cents(manual.value), running)
        else:
            impact = cents(manual.value) - running
        running += impact
        buckets["adjustment"] += impact
        adjustment = AppliedItem(
            id="adjustment",
            name="Manual adjustment",
            category="adjustment",
            impact=impact,
            explanation=manual.reason,
        )

    subtotal = sum(buckets.values(), ZERO)
    assert subtotal == running, "breakdown lines must add up to the running price"
    tax = cents(subtotal * ruleset.tax_rate)
    total = subtotal + tax
    deposit = min(total, max(ruleset.deposit.minimum, cents(total * ruleset.deposit.percent / 100)))
    return PricingResult.model_construct(
        base_price=base_price,
        base_lines=base_lines,
        applied_rules=applied_rules,
        applied_handicaps=applied_handicaps,
        adjustment=adjustment,
        breakdown=Breakdown(
            **buckets, subtotal=subtotal, tax=tax, total=total, deposit_due=cents(deposit)
        ),
        derived=derived,
        ruleset_name=ruleset.name,
        ruleset_version=ruleset.version,
        ruleset_hash=ruleset.content_hash,
        input_hash=input_hash(estimate),
    )
