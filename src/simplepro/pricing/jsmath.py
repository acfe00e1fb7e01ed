"""JavaScript's number rounding, for the SimplePro-v3 compatibility mode (SEMANTICS.md).

The original rounds money with `Math.round(x * 100) / 100` on IEEE-754 doubles. `Math.round`
rounds half toward +∞ (`Math.round(-1234.5)` is -1234), and `x * 100` is itself a double, so
1.005 becomes 100.49999999999999 and rounds down. Native rulesets never use this: they are
Decimal with ROUND_HALF_UP (money.py).
"""

from __future__ import annotations

import math


def js_round(value: float) -> float:
    """`Math.round`: the nearest integer, ties toward +∞; NaN and ±∞ unchanged."""
    if math.isnan(value) or math.isinf(value):
        return value
    floor = math.floor(value)
    # value - floor is exact for doubles, unlike value + 0.5 (0.49999999999999994 + 0.5 == 1.0).
    result = floor + 1 if value - floor >= 0.5 else floor
    return float(result) if result != 0 else math.copysign(0.0, value)


def js_max(*values: float) -> float:
    """`Math.max`: NaN if any value is NaN (Python's max would quietly skip it)."""
    return math.nan if any(math.isnan(v) for v in values) else max(values)


def js_min(*values: float) -> float:
    """`Math.min`, NaN-propagating like js_max."""
    return math.nan if any(math.isnan(v) for v in values) else min(values)


def js_round2(value: float) -> float:
    """`Math.round(value * 100) / 100`, the original's money rounding."""
    return js_round(value * 100) / 100
