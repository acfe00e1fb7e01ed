"""The parts of pricing that only a SimplePro-v3 compatibility ruleset uses: the original's
free-form input, its base-price formulas and tariff lookups, and its location handicaps
(SEMANTICS.md §1 and §3). The rule loop, the condition evaluator and the breakdown builder are
the engine's own (engine.py); this module only supplies what the compatibility block says.

Numbers here are doubles and rounding is JavaScript's (jsmath.py), on purpose: that is what
reproduces the original's prices to the cent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, get_args

from simplepro.pricing.clauses import MISSING, holds, to_number
from simplepro.pricing.compat import WEEKDAYS, V3Base, V3Handicap, WeekRates
from simplepro.pricing.inputs import Service
from simplepro.pricing.jsmath import js_max, js_round2

SERVICES = frozenset(get_args(Service))


class V3InputError(ValueError):
    """Where the original threw: the input cannot be priced at all."""


@dataclass(frozen=True)
class V3Input:
    """One estimate input exactly as the original received it (camelCase JSON object)."""

    data: dict[str, Any]
    _paths: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.data, dict):
            raise V3InputError("the input is not a JSON object")
        if self.data.get("service") not in SERVICES:
            raise V3InputError(f"Unknown service type: {self.data.get('service')}")

    @property
    def service(self) -> str:
        return str(self.data["service"])

    def get(self, path: str) -> Any:
        """A dot path into the input, as `a?.b?.c` reads it (MISSING for undefined)."""
        try:
            return self._paths[path]
        except KeyError:
            pass
        value: Any = self.data
        for key in path.split("."):
            if isinstance(value, dict):
                value = value.get(key, MISSING)
            elif isinstance(value, list | str) and key == "length":
                value = len(value)
            elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            else:
                value = MISSING
        self._paths[path] = value
        return value

    def number(self, path: str) -> float:
        return float(to_number(self.get(path)))

    def hash(self) -> str:
        canonical = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def moment(self) -> dt.datetime | None:
        """The move date as JavaScript's `new Date(moveDate)` reads it, in UTC; None if invalid.
        (A date-time without an offset is local time to JavaScript; SimplePro reads it as UTC,
        the time zone the original ran in.)"""
        return parse_moment(self.get("moveDate"))


def parse_moment(value: Any) -> dt.datetime | None:
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
        if not isinstance(value, str):
            return None
        moment = dt.datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError, OSError):
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _or(value: Any, default: float) -> float:
    """JavaScript's `value || default`, then read as a number: the default replaces only a
    falsy value (undefined, null, false, 0, NaN, ""); text such as "None" stays and is NaN."""
    falsy = value is MISSING or value is None or value is False or value == ""
    if not falsy and isinstance(value, int | float):
        falsy = value == 0 or math.isnan(value)
    return default if falsy else float(to_number(value))


def _week_rate(rows: list[WeekRates], crew: Any, weekday: str | None) -> float:
    """The rate of the row for this crew size; rows are found with `===` (text "3" is no 3)."""
    if weekday is None or isinstance(crew, bool) or not isinstance(crew, int | float):
        return 0.0
    row = next((r for r in rows if r.crew_size == crew), None)
    return 0.0 if row is None else row.rates.get(weekday, 0.0)  # type: ignore[call-overload]


def base_price(estimate: V3Input, base: V3Base) -> float:
    """The original's base price, not rounded (SEMANTICS.md §1)."""
    service = estimate.service
    crew = estimate.number("crewSize")
    hours = estimate.number("estimatedDuration")
    weight = estimate.number("totalWeight")
    tariff = base.tariff
    if tariff is not None and service in {"local", "packing_only"}:
        moment = estimate.moment()
        weekday = WEEKDAYS[moment.weekday()] if moment is not None else None
        rows = tariff.hourly_rates if service == "local" else tariff.packing_rates
        rate = _week_rate(rows, estimate.get("crewSize"), weekday)
        if _or(rate, 0) != 0:
            billable = _or(estimate.get("estimatedDuration"), base.default_hours)
            if service == "local":
                minimum = tariff.min_hours.get(weekday, 0.0) if weekday else 0.0
                billable = js_max(billable, _or(minimum, base.default_hours))
            return rate * billable
    if tariff is not None and service == "long_distance" and tariff.weight_brackets is not None:
        bracket = next(
            (b for b in tariff.weight_brackets if b.min <= weight < b.max),
            None,
        )
        if bracket is not None and _or(bracket.rate, 0) != 0:
            return weight * bracket.rate
    if service == "local":
        extra = js_max(0, crew - base.local_crew_included)
        return (base.local_hourly + base.local_extra_crew_hourly * extra) * hours
    if service == "long_distance":
        return base.long_distance_per_lb * weight
    if service == "storage":
        return base.storage_per_cubic_foot * estimate.number("totalVolume")
    return base.packing_only_hourly * hours


def _flights(estimate: V3Input, side: str) -> float:
    return _or(estimate.get(f"{side}.stairsCount"), 0)


def apply_handicap(
    handicap: V3Handicap, estimate: V3Input, running: float, rounded: set[str]
) -> tuple[float, float] | None:
    """(reported impact, new running price), or None when the handicap does not apply."""
    if not handicap.active or not holds(handicap.when, estimate.get):
        return None
    impact_point = js_round2 if "handicap_impact" in rounded else float
    price_point = js_round2 if "handicap_price" in rounded else float
    tariff = handicap.tariff
    if tariff is not None:
        impact = running * tariff.percent / 100
        if tariff.flights_of:
            flights = sum(_flights(estimate, side) for side in tariff.flights_of)
            impact *= js_max(flights, 1)
        return impact_point(impact), price_point(running + impact)
    fixed = handicap.fixed_amount if handicap.fixed_amount > 0 else 0.0
    if handicap.fixed_per_flight_of is not None:
        fixed *= _or(_flights(estimate, handicap.fixed_per_flight_of), 1)
    impact, new_price = fixed, running + fixed
    if handicap.multiplier != 1:
        impact += running * (handicap.multiplier - 1)
        new_price = running * handicap.multiplier + fixed
    return impact_point(impact), price_point(new_price)
