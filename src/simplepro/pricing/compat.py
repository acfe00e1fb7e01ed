"""The `compatibility` block of a ruleset converted from SimplePro-v3 (`simplepro pricing
import-v3`). Everything the original did differently from a native ruleset is written here as
explicit data, so the one engine can reproduce it without looking at rule ids:

- `arithmetic` and `rounding_points`: IEEE-754 doubles, JavaScript `Math.round(x*100)/100` at
  exactly the points the original rounded (SEMANTICS.md);
- `percentages`: the original's add_percentage amounts are fractions (0.15 is 15 %);
- `operators` / `actions`: the extensions the rules use (regex, replace);
- `special_cases`: the rules whose meaning the original hid in code by id, as converted;
- `base`: the original's base-price formulas and its tariff tables, already resolved;
- `handicaps`: its location handicaps, with the tariff percentage each one matched;
- `breakdown`: which rule ids its breakdown put in which line.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from simplepro.pricing.clauses import Fold

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)  # Monday first, as date.weekday() counts
Side = Literal["pickup", "delivery"]
RoundingPoint = Literal["rule_impact", "handicap_impact", "handicap_price", "breakdown"]
ROUNDING_POINTS: tuple[RoundingPoint, ...] = (
    "rule_impact",
    "handicap_impact",
    "handicap_price",
    "breakdown",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeekRates(Strict):
    """One row of the original's rate tables: a crew size and a rate for each weekday."""

    crew_size: float
    rates: dict[Weekday, float]


class WeightBracket(Strict):
    min: float
    max: float
    rate: float


class V3Tariff(Strict):
    """The parts of the original's tariff its engine read. A missing table, row, bracket or a
    zero rate falls back to the formula below, as the original did."""

    hourly_rates: list[WeekRates] = Field(default_factory=list)
    min_hours: dict[Weekday, float] = Field(default_factory=dict)
    packing_rates: list[WeekRates] = Field(default_factory=list)
    weight_brackets: list[WeightBracket] | None = Field(
        default=None, description="the first active distance table of type by_weight"
    )


class V3Base(Strict):
    """The original's base price without a tariff (SEMANTICS.md §1)."""

    local_hourly: float = 150
    local_extra_crew_hourly: float = 75
    local_crew_included: float = 2
    long_distance_per_lb: float = 1.25
    storage_per_cubic_foot: float = 8
    packing_only_hourly: float = 85
    default_hours: float = Field(default=2, description="hours when none are given (tariff)")
    tariff: V3Tariff | None = None


class TariffPercentage(Strict):
    """The tariff entry a handicap matched: impact = price × percent / 100, times the flights
    of `flights_of` (at least 1) when the entry multiplies by flights."""

    percent: float
    flights_of: list[Side] = Field(default_factory=list)


class V3Handicap(Strict):
    id: str = Field(min_length=1)
    name: str
    active: bool = True
    when: Fold
    fixed_amount: float = 0
    multiplier: float = 1
    fixed_per_flight_of: Side | None = Field(
        default=None, description="stairs handicaps: the fixed amount × that side's flights (or 1)"
    )
    tariff: TariffPercentage | None = None


class V3Breakdown(Strict):
    """Rule ids per breakdown line. A rule may be in several lines or none (the original's
    subtotal did not add up to its total: SEMANTICS.md §4)."""

    materials: list[str] = Field(default_factory=list)
    transportation: list[str] = Field(default_factory=list)
    special_services: list[str] = Field(default_factory=list)
    seasonal_adjustment: list[str] = Field(default_factory=list)


class V3Compatibility(Strict):
    source: Literal["simplepro-v3"] = "simplepro-v3"
    arithmetic: Literal["float64"] = "float64"
    rounding: Literal["js_math_round_cents"] = "js_math_round_cents"
    rounding_points: list[RoundingPoint] = Field(default_factory=lambda: list(ROUNDING_POINTS))
    percentages: Literal["fraction"] = "fraction"
    conditions: Literal["fold_left"] = "fold_left"
    weekday_time_zone: Literal["UTC"] = "UTC"
    operators: list[Literal["regex"]] = Field(default_factory=list)
    actions: list[Literal["replace"]] = Field(default_factory=list)
    special_cases: dict[str, str] = Field(
        default_factory=dict, description="rule id → how its id-dependent meaning was converted"
    )
    base: V3Base = V3Base()
    handicaps: list[V3Handicap] = Field(default_factory=list)
    breakdown: V3Breakdown = V3Breakdown()
