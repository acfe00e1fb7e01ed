"""The small, safe expression language of `add_per_unit` quantities and per-unit handicaps.

Allowed: numbers, names of input values (dot paths such as `special_items.fragile_count`, or
the derived names below), + - * /, parentheses, max() and min(). Parsed once, at ruleset load,
with Python's `ast` and a whitelist; anything else (calls, attributes of objects, subscripts,
comparisons) is refused with the expression in the message. Evaluated in Decimal, or for a
SimplePro-v3 compatibility ruleset in doubles with JavaScript's Math.max/min (NaN wins).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simplepro.pricing.jsmath import js_max, js_min

Lookup = Callable[[str], Any]


@dataclass(frozen=True)
class Numbers:
    """How a quantity computes: the type of its constants, and its max/min."""

    name: str
    constant: Callable[[int | float], Any]
    functions: Mapping[str, Callable[..., Any]]


DECIMAL = Numbers(
    name="decimal", constant=lambda value: Decimal(str(value)), functions={"max": max, "min": min}
)
FLOAT64 = Numbers(name="float64", constant=float, functions={"max": js_max, "min": js_min})
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b if b else a * 0,
}


class QuantityError(ValueError):
    pass


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@dataclass(frozen=True)
class Quantity:
    source: str
    tree: ast.expr
    names: frozenset[str]
    _compiled: dict[str, Callable[[Lookup], Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def evaluate(self, lookup: Lookup, numbers: Numbers = DECIMAL) -> Any:
        return self.compiled(numbers)(lookup)

    def compiled(self, numbers: Numbers) -> Callable[[Lookup], Any]:
        """The expression as nested closures (built once per arithmetic, then reused)."""
        cache = self._compiled
        if numbers.name not in cache:
            cache[numbers.name] = _compile(self.tree, numbers)
        return cache[numbers.name]


def parse_quantity(source: str, known: Mapping[str, object]) -> Quantity:
    """Parse and check an expression; every name must be one of `known`."""
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError:
        raise QuantityError(f"{source!r} is not an expression") from None
    names: set[str] = set()
    _check(tree, source, names)
    unknown = sorted(n for n in names if n not in known)
    if unknown:
        raise QuantityError(f"{source!r} uses unknown value(s): {', '.join(unknown)}")
    return Quantity(source, tree, frozenset(names))


def _check(node: ast.expr, source: str, names: set[str]) -> None:
    dotted = _dotted(node)
    if dotted is not None:
        names.add(dotted)
        return
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, source, names)
        _check(node.right, source, names)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check(node.operand, source, names)
        return
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in DECIMAL.functions
        and node.args
        and not node.keywords
    ):
        for argument in node.args:
            _check(argument, source, names)
        return
    raise QuantityError(f"{source!r}: only numbers, values, + - * /, max() and min() are allowed")


def _compile(node: ast.expr, numbers: Numbers) -> Callable[[Lookup], Any]:
    dotted = _dotted(node)
    if dotted is not None:
        return lambda lookup: lookup(dotted)
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # checked at parse time
        value = numbers.constant(node.value)
        return lambda lookup: value
    if isinstance(node, ast.BinOp):
        operate = _BINARY[type(node.op)]
        left, right = _compile(node.left, numbers), _compile(node.right, numbers)
        return lambda lookup: operate(left(lookup), right(lookup))
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, numbers)
        return lambda lookup: -operand(lookup)
    assert isinstance(node, ast.Call)
    assert isinstance(node.func, ast.Name)
    function = numbers.functions[node.func.id]
    arguments = [_compile(a, numbers) for a in node.args]
    return lambda lookup: function(*(argument(lookup) for argument in arguments))
