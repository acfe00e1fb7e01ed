"""Conditions and the one evaluator that decides them, for rules and handicaps alike.

Comparison follows JavaScript's, so that a ruleset converted from SimplePro-v3 decides exactly
as the original did and a native ruleset decides the same way: `eq`/`ne`/`in`/`nin` are strict
(true is not 1, "2" is not 2), `gt`…`between` compare numbers (null reads as 0, a missing
value or a non-numeric text as NaN, which is never greater, smaller or equal), `exists` means
present and not null. A value absent from the input is `MISSING` (the original's undefined).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

Operator = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "between", "exists", "regex"]
Lookup = Callable[[str], Any]


class _Missing:
    """A value the input does not have (JavaScript's undefined)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    field: str
    op: Operator
    value: Any = None


class FoldStep(Condition):
    then: Literal["and", "or"] | None = Field(
        default=None, description="connective for the following conditions, until changed"
    )


class Fold(Strict):
    """The original's condition list: folded left from true, each step's `then` setting the
    connective for the steps after it (SEMANTICS.md §2). Compatibility rulesets only."""

    fold: list[FoldStep]


class AllOf(Strict):
    all: list[Clause] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Clause] = Field(min_length=1)


Clause = Union[Condition, AllOf, AnyOf, Fold]  # noqa: UP007 - recursive alias needs Union
AllOf.model_rebuild()
AnyOf.model_rebuild()


def conditions_of(clause: Clause | None) -> list[Condition]:
    """Every condition inside a clause, depth first."""
    if clause is None:
        return []
    if isinstance(clause, Condition):
        return [clause]
    children: list[Any] = (
        clause.all
        if isinstance(clause, AllOf)
        else clause.any
        if isinstance(clause, AnyOf)
        else clause.fold
    )
    return [c for child in children for c in conditions_of(child)]


def to_number(value: Any) -> Decimal | float:
    """JavaScript's ToNumber for the values an input can hold."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | float | Decimal):
        return value
    if value is None:
        return 0
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        try:
            return float(text)
        except ValueError:
            return math.nan
    return math.nan


def _is_nan(number: Decimal | float) -> bool:
    return number != number  # noqa: PLR0124 - true only for NaN, Decimal or float


def strict_equal(left: Any, right: Any) -> bool:
    """JavaScript's `===` on JSON values (lists and objects are never equal: no identity)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float | Decimal) and isinstance(right, int | float | Decimal):
        return not _is_nan(left) and not _is_nan(right) and left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if left is None or left is MISSING:
        return left is right
    return False


def js_string(value: Any) -> str:
    """JavaScript's String() of a JSON value, as the regex operator tests it."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, list):
        return ",".join("" if v is None or v is MISSING else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


@lru_cache(maxsize=256)
def _pattern(source: str) -> re.Pattern[str] | None:
    try:
        return re.compile(source)
    except re.error:
        return None


def _ordered(op: str, actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        left: Any = actual  # JavaScript compares two strings as text
        right: Any = expected
    else:
        left, right = to_number(actual), to_number(expected)
        if _is_nan(left) or _is_nan(right):
            return False
    if op == "gt":
        return bool(left > right)
    if op == "gte":
        return bool(left >= right)
    if op == "lt":
        return bool(left < right)
    return bool(left <= right)


def compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return actual is not None and actual is not MISSING
    if op == "eq":
        return strict_equal(actual, expected)
    if op == "ne":
        return not strict_equal(actual, expected)
    if op in {"in", "nin"}:
        found = isinstance(expected, list) and any(strict_equal(actual, v) for v in expected)
        return found if op == "in" else not found
    if op == "between":
        if not (isinstance(expected, list) and len(expected) == 2):
            return False
        return _ordered("gte", actual, expected[0]) and _ordered("lte", actual, expected[1])
    if op == "regex":
        pattern = _pattern(str(expected))
        return pattern is not None and pattern.search(js_string(actual)) is not None
    return _ordered(op, actual, expected)


def holds(clause: Clause | None, lookup: Lookup) -> bool:
    """Whether a clause holds for the values `lookup` reads. No clause always holds."""
    if clause is None:
        return True
    if isinstance(clause, Condition):
        return compare(clause.op, lookup(clause.field), clause.value)
    if isinstance(clause, AllOf):
        return all(holds(child, lookup) for child in clause.all)
    if isinstance(clause, AnyOf):
        return any(holds(child, lookup) for child in clause.any)
    result, connective = True, "and"
    for step in clause.fold:
        truth = compare(step.op, lookup(step.field), step.value)
        result = (result and truth) if connective == "and" else (result or truth)
        if step.then is not None:
            connective = step.then
    return result


Predicate = Callable[[Lookup], bool]
_FINITE_CHECKED = (float, Decimal)


def _compile_condition(condition: Condition) -> Predicate:
    """One condition as a closure with its expected value prepared once; the common shapes
    take a shortcut, everything else goes through `compare`, so the meaning is `compare`'s."""
    field, op, expected = condition.field, condition.op, condition.value
    if op == "eq" and isinstance(expected, bool):
        return lambda get: get(field) is expected
    if op == "ne" and isinstance(expected, bool):
        return lambda get: get(field) is not expected
    if op == "eq" and isinstance(expected, str):
        return lambda get: isinstance(actual := get(field), str) and actual == expected
    if op in {"gt", "gte", "lt", "lte"} and not isinstance(expected, bool | str):
        target = to_number(expected)
        if not _is_nan(target):
            fast: Callable[[Any], bool] = {
                "gt": lambda a: a > target,
                "gte": lambda a: a >= target,
                "lt": lambda a: a < target,
                "lte": lambda a: a <= target,
            }[op]

            def ordered(get: Lookup) -> bool:
                actual = get(field)
                kind = type(actual)
                if kind is int or (kind in _FINITE_CHECKED and actual == actual):
                    return bool(fast(actual))  # a plain number (not bool, not NaN)
                return _ordered(op, actual, expected)

            return ordered
    return lambda get: compare(op, get(field), expected)


def compile_clause(clause: Clause | None) -> Predicate:
    """A clause as one closure, deciding exactly as `holds` does (tests compare the two)."""
    if clause is None:
        return lambda get: True
    if isinstance(clause, Condition):
        return _compile_condition(clause)
    if isinstance(clause, AllOf):
        parts = [compile_clause(child) for child in clause.all]
        return lambda get: all(part(get) for part in parts)
    if isinstance(clause, AnyOf):
        parts = [compile_clause(child) for child in clause.any]
        return lambda get: any(part(get) for part in parts)
    steps = [(_compile_condition(step), step.then) for step in clause.fold]

    def folded(get: Lookup) -> bool:
        result, connective = True, "and"
        for decide, then in steps:
            truth = decide(get)
            result = (result and truth) if connective == "and" else (result or truth)
            if then is not None:
                connective = then
        return result

    return folded
