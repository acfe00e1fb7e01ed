"""JavaScript rounding as the original engine does it (SEMANTICS.md, first paragraph)."""

from __future__ import annotations

import json
import math
import random
import subprocess

import pytest

from simplepro.pricing.jsmath import js_round, js_round2
from tests.conftest import requires_program


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.5, 3.0),
        (-2.5, -2.0),  # ties go toward +∞
        (-1234.5, -1234.0),
        (0.49999999999999994, 0.0),  # floor(x + 0.5) would say 1
        (-0.4, -0.0),
        (1e16 + 2, 1e16 + 2),
    ],
)
def test_math_round(value: float, expected: float) -> None:
    result = js_round(value)
    assert result == expected
    assert math.copysign(1, result) == math.copysign(1, expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.005, 1.0),  # 1.005 × 100 is 100.49999999999999 as a double
        (1.015, 1.01),  # and 1.015 × 100 is 101.49999999999999
        (2048.745, 2048.75),
        (-12.345, -12.34),  # -1234.5 rounds toward +∞
        (161.25, 161.25),
        (0.1 + 0.2, 0.3),
    ],
)
def test_round2_like_the_original(value: float, expected: float) -> None:
    assert js_round2(value) == expected


def test_non_finite_values_pass_through() -> None:
    assert math.isnan(js_round2(float("nan")))
    assert js_round(float("inf")) == float("inf")


def test_agrees_with_node_on_random_money_values() -> None:
    """The real JavaScript engine is the judge: Node.js rounds the same values."""
    node = requires_program("node")
    rng = random.Random(11)
    values = [rng.choice([-1, 1]) * rng.randrange(0, 10**9) / 1000 for _ in range(3000)]
    values += [n / 1000 + 0.005 for n in range(-2000, 2000)]  # many exact-looking ties
    script = "const v = JSON.parse(require('fs').readFileSync(0)); console.log(JSON.stringify(v.map(x => Math.round(x * 100) / 100)))"
    output = subprocess.run(
        [node, "-e", script], input=json.dumps(values), capture_output=True, text=True, check=True
    )
    expected = json.loads(output.stdout)
    mismatches = [
        (v, e, js_round2(v)) for v, e in zip(values, expected, strict=True) if js_round2(v) != e
    ]
    assert mismatches == []
