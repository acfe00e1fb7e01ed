"""The pricing engine: one evaluation loop from input and ruleset to a priced, explained,
hashed result. Pure Python; the same input and ruleset always give byte-identical output."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from string import Template
from typing import Any

import holidays
from pydantic import BaseModel, ConfigDict, Field

from simplepro.pricing import v3
from simplepro.pricing.clauses import MISSING, Lookup, to_number
from simplepro.pricing.compat import WEEKDAYS, V3Compatibility
from simplepro.pricing.inputs import EstimateInput
from simplepro.pricing.jsmath import js_max, js_round2
from simplepro.pricing.money import ZERO, cents
from simplepro.pricing.quantities import DECIMAL, FLOAT64, Numbers, Quantity, parse_quantity
from simplepro.pricing.ruleset import (
    ANY_NAME,
    Handicap,
    Rule,
    Ruleset,
    Tariff,
    ValuationPolicy,
)

BUCKETS = (
    "labor",
    "travel",
    "materials",
    "handicaps",
    "special_items",
    "seasonal",
    "valuation",
    "adjustment",
)


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
    valuation: Decimal
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
    valuation: AppliedItem | None
    adjustment: AppliedItem | None
    breakdown: Breakdown
    derived: Derived | None
    final_price: Decimal | None = Field(
        default=None, exclude_if=lambda v: v is None, description="compatibility: unrounded"
    )
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
    tariff, calendar = ruleset.native_tariff, ruleset.calendar
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
    number = to_number(value)
    if isinstance(number, float):
        return Decimal(0) if math.isnan(number) else Decimal(str(number))
    return Decimal(number)


@lru_cache(maxsize=1024)
def _template(text: str) -> Template | None:
    """None for an explanation with nothing to fill in (most of them): used as it is."""
    return Template(text) if "$" in text else None


def _explain(template: str, impact: Decimal, quantity: Decimal = ZERO) -> str:
    compiled = _template(template)
    if compiled is None:
        return template
    return compiled.safe_substitute(impact=f"{impact:,.2f}", quantity=f"{quantity.normalize():,f}")


@lru_cache(maxsize=1024)
def _quantity(source: str) -> Quantity:
    """Parsed once per expression (the ruleset was validated at load, so this cannot fail)."""
    return parse_quantity(source, ANY_NAME)


@dataclass(frozen=True)
class Arithmetic:
    """How money computes: Decimal rounded to cents with ROUND_HALF_UP at every line (native),
    or, for a SimplePro-v3 compatibility ruleset, doubles rounded like JavaScript at the
    points its compatibility block names."""

    numbers: Numbers
    amount: Callable[[Decimal], Any]
    number: Callable[[Any], Any]
    rule_impact: Callable[[Any], Any]
    percent: Callable[[Any, Any], Any]
    max: Callable[[Any, Any], Any]


DECIMAL_CENTS = Arithmetic(
    numbers=DECIMAL,
    amount=lambda amount: amount,
    number=_number,
    rule_impact=cents,
    percent=lambda running, amount: running * amount / 100,
    max=max,
)


def _float_arithmetic(compat: V3Compatibility) -> Arithmetic:
    return Arithmetic(
        numbers=FLOAT64,
        amount=float,
        number=lambda value: float(to_number(value)),
        rule_impact=js_round2 if "rule_impact" in compat.rounding_points else float,
        percent=lambda running, amount: running * amount,  # percentages: fraction
        max=js_max,
    )


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


def _rule_impact(
    rule: Rule, running: Any, lookup: Lookup, arithmetic: Arithmetic
) -> tuple[Any, Any]:
    """The rule's actions, each against the price before the rule, summed and then rounded."""
    zero = arithmetic.numbers.constant(0)
    total, quantity = zero, zero
    for action in rule.actions:
        amount = arithmetic.amount(action.amount)
        if action.type == "add_fixed":
            total += amount
        elif action.type == "add_per_unit":
            assert action.quantity is not None
            quantity = _quantity(action.quantity).evaluate(
                lambda n: arithmetic.number(lookup(n)), arithmetic.numbers
            )
            total += amount * quantity
        elif action.type == "add_percentage":
            total += arithmetic.percent(running, amount)
        elif action.type == "multiply":
            total += running * (amount - 1)
        elif action.type == "set_minimum":
            total += arithmetic.max(zero, amount - running)
        elif action.type == "set_maximum":
            total -= arithmetic.max(zero, running - amount)
        else:  # replace: the rule's whole impact becomes amount - price; earlier actions dropped
            total = amount - running
    return arithmetic.rule_impact(total), quantity


@dataclass
class Applied:
    rule: Rule
    impact: Any
    quantity: Any


def _apply_rules(
    ruleset: Ruleset,
    service: str,
    moment: dt.datetime | None,
    lookup: Lookup,
    context: dict[str, Any],
    running: Any,
    arithmetic: Arithmetic,
) -> tuple[Any, list[Applied]]:
    """The one evaluation loop: rules in ascending priority (ties keep file order), each that is
    active, for the service, in effect on the move date and whose conditions hold."""
    applied: list[Applied] = []
    for rule, when in ruleset.rule_plan[service]:
        if moment is not None and (
            (rule.effective_from is not None and moment < _aware(rule.effective_from))
            or (rule.effective_to is not None and moment > _aware(rule.effective_to))
        ):
            continue
        context["running_price"] = running
        if not when(lookup):
            continue
        impact, quantity = _rule_impact(rule, running, lookup, arithmetic)
        running += impact
        applied.append(Applied(rule, impact, quantity))
    return running, applied


def _reader(values: dict[str, Any]) -> Lookup:
    return lambda name: values.get(name, MISSING)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _handicap_impact(handicap: Handicap, running: Decimal, side: dict[str, Any]) -> Decimal:
    if handicap.kind == "fixed":
        return cents(handicap.amount)
    if handicap.kind == "per_unit":
        assert handicap.quantity is not None
        units = _quantity(handicap.quantity).evaluate(lambda n: _number(side.get(n)))
        return cents(handicap.amount * units)
    if handicap.kind == "percentage":
        return cents(running * handicap.amount / 100)
    return cents(running * (handicap.amount - 1))


def _breakdown(
    buckets: dict[str, Any],
    final: Any,
    rounding: Callable[[Any], Any] | None,
    tax_rate: Decimal,
    deposit_percent: Decimal,
    deposit_minimum: Decimal,
) -> Breakdown:
    """The one breakdown builder. Native lines add up to the total by construction. With a
    compatibility `rounding` the original's own breakdown comes out, which did not add up:
    its subtotal sums only the lines it had (SEMANTICS.md §4) and its labor line is rounded."""
    if rounding is None:
        subtotal = sum(buckets.values(), ZERO)
        assert subtotal == final, "breakdown lines must add up to the running price"
        tax = cents(subtotal * tax_rate)
        total = subtotal + tax
        deposit = cents(min(total, max(deposit_minimum, cents(total * deposit_percent / 100))))
        return Breakdown(**buckets, subtotal=subtotal, tax=tax, total=total, deposit_due=deposit)
    order = ("labor", "materials", "travel", "special_items", "seasonal", "handicaps")
    subtotal = 0.0
    for name in order:
        subtotal += buckets[name]
    lines = {name: _exact(value) for name, value in buckets.items()}
    lines["labor"] = _exact(rounding(buckets["labor"]))
    return Breakdown(
        **lines,
        subtotal=_exact(rounding(subtotal)),
        tax=ZERO,
        total=_exact(rounding(final)),
        deposit_due=ZERO,
    )


def _exact(value: Any) -> Decimal:
    """A double as the Decimal with its shortest repr: converts back to the same double."""
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def price(estimate: EstimateInput | v3.V3Input, ruleset: Ruleset) -> PricingResult:
    """Price an input under a ruleset: a native input under a native ruleset, or the original's
    input under a ruleset converted from SimplePro-v3 (its `compatibility` block)."""
    if ruleset.compatibility is not None:
        if not isinstance(estimate, v3.V3Input):
            raise TypeError("a SimplePro-v3 compatibility ruleset prices the original's input")
        return _price_v3(estimate, ruleset, ruleset.compatibility)
    if not isinstance(estimate, EstimateInput):
        raise TypeError("a native ruleset prices an EstimateInput")
    return _price_native(estimate, ruleset)


def reprice(stored_inputs: Iterable[dict[str, Any]], ruleset: Ruleset) -> Iterator[PricingResult]:
    """Batch re-pricing of stored inputs (as saved: JSON data) under a candidate ruleset, for
    previews and what-if reports. The ruleset's plan is compiled once for the whole batch."""
    validate = EstimateInput.model_validate
    for stored in stored_inputs:
        yield price(validate(stored), ruleset)


def _item(rule: Rule, impact: Any, quantity: Any) -> AppliedItem:
    impact = _exact(impact)
    quantity = quantity if isinstance(quantity, Decimal) else _exact(quantity)
    return AppliedItem(
        id=rule.id,
        name=rule.name,
        category=rule.category,
        impact=impact,
        explanation=_explain(rule.explanation, impact=impact, quantity=quantity),
    )


def _valuation(estimate: EstimateInput, derived: Derived, policy: ValuationPolicy) -> AppliedItem:
    if estimate.valuation.kind == "released":
        return AppliedItem(
            id="valuation",
            name="Released value protection",
            category="valuation",
            impact=ZERO,
            explanation=f"Carrier liable up to {policy.released_value_per_lb:,.2f} per lb; "
            "no charge",
        )
    declared = max(
        estimate.valuation.declared_value or ZERO,
        cents(derived.weight_lb * policy.full_value_minimum_per_lb),
    )
    return AppliedItem(
        id="valuation",
        name="Full value protection",
        category="valuation",
        impact=cents(declared * policy.full_value_percent / 100),
        explanation=f"{policy.full_value_percent.normalize()} % of {declared:,.2f} declared value",
    )


def _price_native(estimate: EstimateInput, ruleset: Ruleset) -> PricingResult:
    derived = _derive(estimate, ruleset)
    values = _context(estimate, derived, ruleset.input_fields_used)
    buckets = dict.fromkeys(BUCKETS, ZERO)
    base_lines = _base_lines(estimate, derived, ruleset.native_tariff)
    for base_line in base_lines:
        buckets[base_line.category] += base_line.impact
    base_price = sum((b.impact for b in base_lines), ZERO)
    moment = dt.datetime.combine(estimate.move_date, dt.time(), tzinfo=dt.UTC)
    running, applied = _apply_rules(
        ruleset,
        estimate.service,
        moment,
        _reader(values),
        values,
        base_price,
        DECIMAL_CENTS,
    )
    for item in applied:
        buckets[item.rule.category] += item.impact

    applied_handicaps: list[AppliedItem] = []
    sides = {"pickup": vars(estimate.pickup), "delivery": vars(estimate.delivery)}
    readers = {name: _reader(values) for name, values in sides.items()}
    for handicap, side_name, when in ruleset.handicap_plan:
        if not when(readers[side_name]):
            continue
        impact = _handicap_impact(handicap, running, sides[side_name])
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

    valuation = _valuation(estimate, derived, ruleset.valuation or ValuationPolicy())
    running += valuation.impact
    buckets["valuation"] += valuation.impact

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

    return PricingResult.model_construct(
        base_price=base_price,
        base_lines=base_lines,
        applied_rules=[_item(a.rule, a.impact, a.quantity) for a in applied],
        applied_handicaps=applied_handicaps,
        valuation=valuation,
        adjustment=adjustment,
        breakdown=_breakdown(
            buckets,
            running,
            None,
            ruleset.tax_rate,
            ruleset.deposit.percent,
            ruleset.deposit.minimum,
        ),
        derived=derived,
        ruleset_name=ruleset.name,
        ruleset_version=ruleset.version,
        ruleset_hash=ruleset.content_hash,
        input_hash=input_hash(estimate),
    )


V3_BUCKETS = {
    "materials": "materials",
    "transportation": "travel",
    "special_services": "special_items",
    "seasonal_adjustment": "seasonal",
}


def _price_v3(estimate: v3.V3Input, ruleset: Ruleset, compat: V3Compatibility) -> PricingResult:
    arithmetic = _float_arithmetic(compat)
    rounded: set[str] = set(compat.rounding_points)
    base = v3.base_price(estimate, compat.base)
    running, applied = _apply_rules(
        ruleset, estimate.service, estimate.moment(), estimate.get, {}, base, arithmetic
    )
    buckets: dict[str, Any] = dict.fromkeys(BUCKETS, 0.0)
    buckets["labor"] = base
    members = {bucket: set(getattr(compat.breakdown, name)) for name, bucket in V3_BUCKETS.items()}
    for item in applied:
        for bucket, ids in members.items():
            if item.rule.id in ids:
                buckets[bucket] += item.impact

    applied_handicaps: list[AppliedItem] = []
    for handicap in compat.handicaps:
        outcome = v3.apply_handicap(handicap, estimate, running, rounded)
        if outcome is None:
            continue
        impact, running = outcome
        buckets["handicaps"] += impact
        applied_handicaps.append(
            AppliedItem(
                id=handicap.id,
                name=handicap.name,
                category="handicaps",
                impact=_exact(impact),
                explanation=handicap.name,
            )
        )
    rounding = js_round2 if "breakdown" in rounded else float
    return PricingResult.model_construct(
        base_price=_exact(base),
        base_lines=[],
        applied_rules=[_item(a.rule, a.impact, a.quantity) for a in applied],
        applied_handicaps=applied_handicaps,
        valuation=None,
        adjustment=None,
        breakdown=_breakdown(buckets, running, rounding, ZERO, ZERO, ZERO),
        final_price=_exact(running),
        derived=None,
        ruleset_name=ruleset.name,
        ruleset_version=ruleset.version,
        ruleset_hash=ruleset.content_hash,
        input_hash=estimate.hash(),
    )
