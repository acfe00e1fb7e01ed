"""The one condition evaluator: compiled closures decide exactly as `holds` does, and
comparison follows JavaScript's (strict equality, numeric ordering, NaN never matching)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from simplepro.pricing.clauses import (
    MISSING,
    AllOf,
    AnyOf,
    Condition,
    Fold,
    FoldStep,
    compare,
    compile_clause,
    holds,
)

VALUES: list[Any] = [
    0, 1, 2, 5, -3, 2.5, float("nan"), Decimal("2"), Decimal("2.50"), True, False, None, MISSING,
    "", "2", "abc", "peak", [1, 2], {"a": 1},
]  # fmt: skip
OPERATORS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "between", "exists", "regex"]


def _expected(op: str, rng: random.Random) -> Any:
    if op in {"in", "nin"}:
        return rng.sample([v for v in VALUES if v is not MISSING], 3)
    if op == "between":
        return [rng.choice([0, 1, 2.5, "1"]), rng.choice([2, 5, Decimal("2.5")])]
    if op == "regex":
        return rng.choice(["^2", "a.c", "true", "undefined", "("])
    return rng.choice([v for v in VALUES if v is not MISSING])


def test_compiled_conditions_decide_as_holds_does() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        op = rng.choice(OPERATORS)
        condition = Condition(field="x", op=op, value=_expected(op, rng))  # type: ignore[arg-type]
        actual = rng.choice(VALUES)

        def get(name: str, actual: Any = actual) -> Any:
            return actual

        assert compile_clause(condition)(get) == holds(condition, get), (condition, actual)


def test_compiled_groups_and_folds_decide_as_holds_does() -> None:
    rng = random.Random(11)
    for _ in range(3_000):
        conditions = [
            Condition(field=f"f{i}", op="gt", value=rng.choice([0, 1, 2])) for i in range(3)
        ]
        steps = [
            FoldStep(field=c.field, op=c.op, value=c.value, then=rng.choice([None, "and", "or"]))
            for c in conditions
        ]
        values = {f"f{i}": rng.choice([0, 1, 2, 3, None, MISSING]) for i in range(3)}
        for clause in (AllOf(all=conditions), AnyOf(any=conditions), Fold(fold=steps)):
            assert compile_clause(clause)(values.get) == holds(clause, values.get)


@pytest.mark.parametrize(
    ("op", "actual", "expected", "result"),
    [
        ("eq", True, 1, False),  # strict: true is not 1
        ("eq", "2", 2, False),
        ("eq", Decimal("2.00"), 2, True),
        ("gt", "10", 5, True),  # numeric text compares as a number
        ("gt", "10", "9", False),  # two texts compare as text
        ("lt", None, 1, True),  # null reads as 0
        ("lt", MISSING, 1, False),  # undefined is NaN: never smaller
        ("gte", float("nan"), 0, False),
        ("between", 5, [5, 10], True),
        ("exists", None, None, False),
        ("exists", 0, None, True),
        ("in", 2, [1, 2.0], True),
        ("nin", MISSING, [1], True),
        ("regex", None, "^null$", True),  # String(null) is "null"
        ("regex", "x", "(", False),  # an invalid pattern never matches
    ],
)
def test_comparison_follows_javascript(op: str, actual: Any, expected: Any, result: bool) -> None:
    assert compare(op, actual, expected) is result
