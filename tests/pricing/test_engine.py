"""The pricing engine: explainable, deterministic, and its breakdown always adds up."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from simplepro.pricing import EstimateInput, RulesetError, load_ruleset, price
from simplepro.pricing.defaults import default_ruleset
from simplepro.pricing.engine import BUCKETS

SATURDAY_IN_JUNE = dt.date(2026, 6, 13)
TUESDAY_IN_OCTOBER = dt.date(2026, 10, 13)


def estimate(**fields: Any) -> EstimateInput:
    return EstimateInput.model_validate(
        {"service": "local", "move_date": TUESDAY_IN_OCTOBER, **fields}
    )


def base_ruleset(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(json.loads(json.dumps(default_ruleset().model_dump(mode="json"))))
    data["rules"], data["handicaps"] = [], []
    data.update(overrides)
    return data


def no_fees(data: dict[str, Any]) -> dict[str, Any]:
    """Travel and truck fees zeroed, so a test's running price is labor alone."""
    data["tariff"]["travel_fee"] = data["tariff"]["truck_fee"] = "0"
    return data


def test_worked_example_with_the_default_ruleset() -> None:
    result = price(
        estimate(
            move_date=SATURDAY_IN_JUNE,
            crew_size=3,
            estimated_hours=5,
            cubic_feet=900,
            pickup={"stairs_flights": 2},
            special_items={"piano": True, "fragile_count": 8},
            services={"packing": True},
        ),
        default_ruleset(),
    )
    # Weekend rate for 3 movers 230 × 5 h; travel 95 + one truck 75; packing 900 cu ft × 0.35;
    # piano 350; 3 fragile items over five × 15; peak season +10 % of 2,030; two flights at pickup.
    assert [(r.id, r.impact) for r in result.applied_rules] == [
        ("packing_materials", Decimal("315.00")),
        ("piano", Decimal("350.00")),
        ("fragile_items", Decimal("45.00")),
        ("peak_season", Decimal("203.00")),
        ("local_minimum", Decimal("0.00")),
    ]
    b = result.breakdown
    assert (b.labor, b.travel, b.materials, b.special_items, b.seasonal, b.handicaps) == (
        Decimal("1150.00"),
        Decimal("170.00"),
        Decimal("315.00"),
        Decimal("395.00"),
        Decimal("203.00"),
        Decimal("100.00"),
    )
    assert (b.subtotal, b.total, b.deposit_due) == (
        Decimal("2333.00"),
        Decimal("2333.00"),
        Decimal("466.60"),
    )
    assert result.derived.is_weekend and result.derived.season == "peak"
    assert result.applied_rules[2].explanation == "3 fragile items beyond the first five: 45.00"


def test_breakdown_always_adds_up_and_output_is_deterministic() -> None:
    rng = random.Random(7)
    ruleset = default_ruleset()
    for _ in range(300):
        data = {
            "service": rng.choice(["local", "long_distance", "storage", "packing_only"]),
            "move_date": dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365)),
            "distance_miles": str(rng.randrange(0, 3000)),
            "cubic_feet": str(rng.randrange(0, 3000)),
            "crew_size": rng.randrange(1, 9),
            "estimated_hours": str(Decimal(rng.randrange(0, 400)) / 10),
            "pickup": {
                "stairs_flights": rng.randrange(0, 4),
                "elevator": rng.random() < 0.3,
                "long_carry_feet": rng.randrange(0, 300),
                "difficulty": rng.choice(["easy", "extreme"]),
            },
            "special_items": {"piano": rng.random() < 0.2, "fragile_count": rng.randrange(0, 20)},
            "services": {"packing": rng.random() < 0.5, "storage_days": rng.randrange(0, 40)},
        }
        if rng.random() < 0.3:
            data["adjustment"] = {
                "kind": rng.choice(["discount_percent", "discount_amount", "override"]),
                "value": str(rng.randrange(0, 500)),
                "reason": "negotiated",
            }
        first = price(EstimateInput.model_validate(data), ruleset)
        b = first.breakdown
        assert sum(getattr(b, name) for name in BUCKETS) == b.subtotal
        assert b.subtotal + b.tax == b.total
        assert all(
            getattr(b, name) == getattr(b, name).quantize(Decimal("0.01")) for name in BUCKETS
        )
        again = price(
            EstimateInput.model_validate(json.loads(json.dumps(data, default=str))), ruleset
        )
        assert again.canonical_json() == first.canonical_json()


def test_input_hash_covers_nested_fields() -> None:
    a = estimate(pickup={"stairs_flights": 1})
    b = estimate(pickup={"stairs_flights": 2})
    c = estimate(services={"cleaning": True})
    hashes = {price(x, default_ruleset()).input_hash for x in (a, b, c, estimate())}
    assert len(hashes) == 4
    assert (
        price(a, default_ruleset()).input_hash
        == price(estimate(pickup={"stairs_flights": 1}), default_ruleset()).input_hash
    )


def test_invalid_input_reports_every_problem() -> None:
    with pytest.raises(ValidationError) as problem:
        EstimateInput.model_validate(
            {"service": "teleport", "move_date": "soon", "crew_size": 0, "colour": "red"}
        )
    assert {".".join(map(str, e["loc"])) for e in problem.value.errors()} >= {
        "service",
        "move_date",
        "crew_size",
        "colour",
    }


def test_invalid_ruleset_lists_every_problem_with_its_path() -> None:
    data = base_ruleset(
        tax_rate="2",
        rules=[
            {
                "id": "a",
                "name": "A",
                "explanation": "x",
                "category": "labor",
                "services": ["local"],
                "when": {"field": "no.such.field", "op": "eq", "value": 1},
                "actions": [
                    {"type": "add_per_unit", "amount": "1", "quantity": "__import__('os')"}
                ],
            },
            {
                "id": "a",
                "name": "B",
                "explanation": "x",
                "category": "labor",
                "services": ["local"],
                "actions": [{"type": "add_fixed", "amount": "1"}],
            },
        ],
    )
    with pytest.raises(RulesetError) as problem:
        load_ruleset(data)
    assert problem.value.problems == ["tax_rate: Input should be less than or equal to 1"]
    data["tax_rate"] = "0.0625"
    with pytest.raises(RulesetError) as problem:
        load_ruleset(data)
    assert problem.value.problems == [
        "rules[0].when.field: unknown field 'no.such.field'",
        "rules[0].actions[0].quantity: \"__import__('os')\": only numbers, values, + - * /, max() and min() are allowed",
        "rules[1].id: duplicate id 'a'",
    ]


def _rule(when: Any = None, **action: Any) -> dict[str, Any]:
    rule = {
        "id": "r",
        "name": "R",
        "explanation": "$impact",
        "category": "labor",
        "services": ["local"],
        "actions": [action or {"type": "add_fixed", "amount": "10"}],
    }
    if when is not None:
        rule["when"] = when
    return rule


@pytest.mark.parametrize(
    ("condition", "applies"),
    [
        ({"field": "crew_size", "op": "eq", "value": 3}, True),
        ({"field": "crew_size", "op": "ne", "value": 3}, False),
        ({"field": "cubic_feet", "op": "gt", "value": 500}, True),
        ({"field": "cubic_feet", "op": "gte", "value": 600}, True),
        ({"field": "cubic_feet", "op": "lt", "value": 600}, False),
        ({"field": "cubic_feet", "op": "lte", "value": 600}, True),
        ({"field": "season", "op": "in", "value": ["standard", "peak"]}, True),
        ({"field": "season", "op": "nin", "value": ["standard"]}, False),
        ({"field": "distance_miles", "op": "between", "value": [10, 20]}, True),
        ({"field": "weight_lb", "op": "exists"}, True),
        ({"field": "trucks", "op": "eq", "value": 1}, True),
        (
            {
                "all": [
                    {"field": "crew_size", "op": "eq", "value": 3},
                    {"field": "is_weekend", "op": "eq", "value": True},
                ]
            },
            False,
        ),
        (
            {
                "any": [
                    {"field": "crew_size", "op": "eq", "value": 9},
                    {"field": "weekday", "op": "eq", "value": "tuesday"},
                ]
            },
            True,
        ),
    ],
)
def test_every_operator(condition: dict[str, Any], applies: bool) -> None:
    ruleset = load_ruleset(base_ruleset(rules=[_rule(condition)]))
    result = price(estimate(crew_size=3, cubic_feet=600, distance_miles=20), ruleset)
    assert bool(result.applied_rules) is applies


@pytest.mark.parametrize(
    ("action", "impact"),
    [
        ({"type": "add_fixed", "amount": "-25"}, "-25.00"),
        (
            {
                "type": "add_per_unit",
                "amount": "2.5",
                "quantity": "max(0, crew_size - 2) * billable_hours",
            },
            "10.00",
        ),
        ({"type": "add_percentage", "amount": "12.5"}, "62.50"),
        ({"type": "multiply", "amount": "0.9"}, "-50.00"),
        ({"type": "set_minimum", "amount": "900"}, "400.00"),
        ({"type": "set_maximum", "amount": "450"}, "-50.00"),
    ],
)
def test_every_action(action: dict[str, Any], impact: str) -> None:
    # No fees and 4 movers at 250/h for 2 h: the price before the rule is exactly 500.
    data = no_fees(base_ruleset(rules=[_rule(**action)]))
    data["tariff"]["hourly_rates"] = [{"crew_size": 4, "weekday": "250", "weekend": "250"}]
    result = price(estimate(crew_size=4, estimated_hours=2), load_ruleset(data))
    assert result.base_price == Decimal("500.00")
    assert result.applied_rules[0].impact == Decimal(impact)
    assert result.breakdown.total == Decimal("500.00") + Decimal(impact)


def test_handicap_kinds_per_side() -> None:
    data = base_ruleset(
        handicaps=[
            {
                "id": "stairs",
                "name": "Stairs",
                "explanation": "$impact",
                "sides": ["pickup", "delivery"],
                "when": {"field": "stairs_flights", "op": "gt", "value": 0},
                "kind": "per_unit",
                "amount": "50",
                "quantity": "stairs_flights",
            },
            {
                "id": "elevator",
                "name": "Elevator",
                "explanation": "$impact",
                "sides": ["delivery"],
                "when": {"field": "elevator", "op": "eq", "value": True},
                "kind": "multiplier",
                "amount": "1.1",
            },
        ]
    )
    result = price(
        estimate(pickup={"stairs_flights": 3}, delivery={"stairs_flights": 1, "elevator": True}),
        load_ruleset(data),
    )
    impacts = {h.id: h.impact for h in result.applied_handicaps}
    running = result.base_price + Decimal("200.00")
    assert impacts == {
        "stairs:pickup": Decimal("150.00"),
        "stairs:delivery": Decimal("50.00"),
        "elevator:delivery": (running * Decimal("0.1")).quantize(Decimal("0.01")),
    }


@pytest.mark.parametrize(
    ("adjustment", "total"),
    [
        ({"kind": "discount_percent", "value": "10", "reason": "repeat customer"}, "360.00"),
        ({"kind": "discount_amount", "value": "50", "reason": "competitor quote"}, "350.00"),
        ({"kind": "discount_amount", "value": "9999", "reason": "goodwill"}, "0.00"),
        ({"kind": "override", "value": "375", "reason": "manager approved"}, "375.00"),
    ],
)
def test_manual_adjustments_are_their_own_line(adjustment: dict[str, Any], total: str) -> None:
    # 2 movers × 2 h at 150 = 300, lifted to the 400 minimum before the adjustment.
    ruleset = load_ruleset(no_fees(base_ruleset(rules=[_rule(type="set_minimum", amount="400")])))
    result = price(estimate(adjustment=adjustment), ruleset)
    assert result.breakdown.total == Decimal(total)
    assert result.adjustment is not None and result.adjustment.explanation == adjustment["reason"]
    assert result.breakdown.adjustment == Decimal(total) - Decimal("400.00")


def test_holidays_come_from_the_calendar() -> None:
    ruleset = default_ruleset()
    independence_day = price(
        estimate(move_date=dt.date(2026, 7, 4), crew_size=2, estimated_hours=3), ruleset
    )
    assert independence_day.derived.is_holiday
    assert independence_day.base_lines[0].impact == Decimal("600.00")  # holiday rate 200 × 3 h
    assert not price(estimate(), ruleset).derived.is_holiday


def test_weight_defaults_to_seven_pounds_per_cubic_foot_and_brackets_apply() -> None:
    result = price(
        estimate(service="long_distance", cubic_feet=1000, distance_miles=500), default_ruleset()
    )
    assert result.derived.weight_lb == Decimal("7000")
    # 70 cwt in the 5,000–10,000 lb bracket: 70 × (30 + 0.05 × 500) = 3,850
    assert result.base_lines[0].impact == Decimal("3850.00")


def test_the_engine_does_not_import_django() -> None:
    """Every module of simplepro.pricing, the v3 compatibility and its CLI included."""
    code = (
        "import importlib, pkgutil, sys, simplepro.pricing as p\n"
        "names = [m.name for m in pkgutil.iter_modules(p.__path__, 'simplepro.pricing.')]\n"
        "[importlib.import_module(n) for n in names]\n"
        "assert 'simplepro.pricing.v3' in sys.modules and 'simplepro.pricing.cli' in names\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_valuation_released_is_free_and_full_value_is_priced_on_declared_value() -> None:
    ruleset = default_ruleset()
    base = {"service": "local", "move_date": "2026-10-13", "crew_size": 2, "estimated_hours": "3"}
    released = price(EstimateInput.model_validate(base), ruleset)
    assert released.valuation is not None and released.valuation.impact == 0
    assert "0.60 per lb" in released.valuation.explanation
    full = price(
        EstimateInput.model_validate(
            {
                **base,
                "weight_lb": "4000",
                "valuation": {"kind": "full_value", "declared_value": "50000"},
            }
        ),
        ruleset,
    )
    assert full.valuation is not None and full.valuation.impact == Decimal(
        "500.00"
    )  # 1 % of 50,000
    assert full.breakdown.valuation == Decimal("500.00")
    # a declared value below 6.00 per lb is raised to it: 4,000 lb → 24,000
    low = price(
        EstimateInput.model_validate(
            {
                **base,
                "weight_lb": "4000",
                "valuation": {"kind": "full_value", "declared_value": "1000"},
            }
        ),
        ruleset,
    )
    assert low.valuation is not None and low.valuation.impact == Decimal("240.00")
    assert full.breakdown.total - released.breakdown.total == Decimal("500.00") * (
        1 + ruleset.tax_rate
    )


def test_estimate_type_changes_the_input_hash_not_the_price() -> None:
    ruleset = default_ruleset()
    base = {"service": "local", "move_date": "2026-10-13"}
    binding = price(EstimateInput.model_validate({**base, "estimate_type": "binding"}), ruleset)
    plain = price(EstimateInput.model_validate(base), ruleset)
    assert binding.breakdown.total == plain.breakdown.total
    assert binding.input_hash != plain.input_hash
