"""SimplePro-v3 compatibility: `simplepro pricing legacy-v3` and `import-v3`.

Three kinds of evidence that our engine prices as the original did:
- SEMANTICS.md's worked examples, to the cent, through the real command;
- committed synthetic rules and tariff using every operator and action, with hand-checked
  prices;
- thousands of generated inputs compared with an independent JavaScript reading of
  SEMANTICS.md run by Node.js (real doubles, real Math.round): every number within half a cent.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simplepro.pricing import EstimateInput, RulesetError, load_ruleset, price
from simplepro.pricing.defaults import default_ruleset
from simplepro.pricing.import_v3 import V3FileError, convert
from simplepro.pricing.v3 import V3Input
from tests.conftest import requires_program

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
# The original's own default rules, copied unchanged from the SimplePro-v3 reference
# (shared/reference/simplepro-v3/default-rules.json) so that CI needs nothing outside the repo.
DEFAULT_RULES = FIXTURES / "v3_default_rules.json"
RULES = FIXTURES / "v3_rules_every_operator.json"
TARIFF = FIXTURES / "v3_tariff.json"
HALF_CENT = 0.005


def legacy(lines: list[str], rules: Path, tariff: Path | None = None) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "simplepro.cli", "pricing", "legacy-v3", "--rules", str(rules)]
    if tariff is not None:
        command += ["--tariff", str(tariff)]
    done = subprocess.run(
        command, input="".join(f"{line}\n" for line in lines), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert len(out) == len(lines), "exactly one output line per input line"
    return [json.loads(line) for line in out]


def one(data: dict[str, Any], rules: Path = DEFAULT_RULES, tariff: Path | None = None) -> Any:
    return legacy([json.dumps(data)], rules, tariff)[0]


def test_the_copied_default_rules_are_the_originals() -> None:
    assert json.loads(DEFAULT_RULES.read_text())["pricingRules"], "the original's rules"
    reference = HERE.parents[2] / "shared" / "reference" / "simplepro-v3" / "default-rules.json"
    if reference.exists():  # beside a development checkout; CI has only the copy
        assert reference.read_bytes() == DEFAULT_RULES.read_bytes()


# --- SEMANTICS.md worked examples (default-rules.json, no tariff) --------------------------


def test_local_crew_of_two_four_hours() -> None:
    result = one({"service": "local", "crewSize": 2, "estimatedDuration": 4})
    assert result["basePrice"] == 600
    assert [(r["ruleId"], r["priceImpact"]) for r in result["appliedRules"]] == [
        ("base_local_rate", 150),
        ("minimum_charge_local", 0),  # listed although its impact is 0
    ]
    assert result["finalPrice"] == 750


def test_long_distance_pays_weight_twice_then_heavy_surcharge() -> None:
    result = one({"service": "long_distance", "totalWeight": 12500, "distance": 120})
    assert result["basePrice"] == 15625
    impacts = {r["ruleId"]: r["priceImpact"] for r in result["appliedRules"]}
    assert impacts["long_distance_rate"] == 15625
    assert impacts["weight_heavy_surcharge"] == 4687.5  # 15 % of 31,250
    assert result["finalPrice"] == 35937.5


def test_packing_only_and_piano_and_minimum() -> None:
    assert one({"service": "packing_only", "estimatedDuration": 6})["finalPrice"] == 510
    piano = one(
        {"service": "local", "crewSize": 2, "estimatedDuration": 4, "specialItems": {"piano": True}}
    )
    assert {"ruleId": "piano_special_handling", "priceImpact": 350} in piano["appliedRules"]
    small = one({"service": "local", "crewSize": 2, "estimatedDuration": 1})
    assert small["finalPrice"] == 400


def test_the_full_worked_case() -> None:
    result = one(
        {
            "service": "local",
            "crewSize": 1,
            "estimatedDuration": 8.75,
            "additionalServices": {"assembly": True},
            "isWeekend": True,
            "pickup": {"stairsCount": 1, "elevatorAccess": False, "parkingDistance": 120},
            "delivery": {"parkingDistance": 159},
        }
    )
    assert result["basePrice"] == 1312.5
    assert [r["ruleId"] for r in result["appliedRules"]] == [
        "base_local_rate",
        "assembly_service",
        "weekend_surcharge",
        "minimum_charge_local",
    ]
    assert result["appliedRules"][2]["priceImpact"] == 161.25
    assert result["appliedHandicaps"] == [
        {"handicapId": "stairs_pickup", "priceImpact": 75},
        {"handicapId": "parking_distance_pickup", "priceImpact": 100},
        {"handicapId": "parking_distance_delivery", "priceImpact": 100},
    ]
    assert result["finalPrice"] == 2048.75
    assert result["breakdown"] == {
        "baseLabor": 1312.5,
        "materials": 150,
        "transportation": 0,
        "locationHandicaps": 275,
        "specialServices": 0,
        "seasonalAdjustment": 161.25,
        "subtotal": 1898.75,
        "taxes": 0,
        "total": 2048.75,
    }


def test_errors_only_where_the_original_throws_and_one_line_each() -> None:
    out = legacy(
        [
            '{"service": "moving_to_mars"}',
            "not json",
            "",
            '{"service": "storage", "totalVolume": 10}',
        ],
        DEFAULT_RULES,
    )
    assert "moving_to_mars" in out[0]["error"]
    assert "error" in out[1] and "error" in out[2]
    assert out[3]["finalPrice"] == 80


# --- Synthetic rules: every operator and action, hand-checked ------------------------------


def test_every_operator_and_action_by_hand() -> None:
    # local, crew 3, 3 h, Tuesday: base (150 + 75) × 3 = 675
    # crew_size_adjustment: 65 × (3 - 2) × 3 = 195 → 870
    # weekday_regex_city ("12 Main St" matches) +33.33 → 903.33
    # piano_or_antiques (antiques only; "or" folds): 275 + 0.035 × 903.33 = 306.61655 → 306.62
    #   → 1209.95
    # not_storage_small (volume 200 < 300, service ne storage): -5 % = -60.4975 → -60.5
    #   → 1149.45
    # difficult_access (extreme ∈ list): × 1.075 → + 86.20875 → 86.21 → 1235.66
    # easy_access_discount (delivery "easy" ∉ list): -17.45 → 1218.21
    # has_customer (customerId exists): +0.015 → Math.round(1.5) = 2 → 0.02 → 1218.23
    # cap_local 4200: 0; minimum_any 375.25: 0
    # handicaps: stairs_pickup 2 flights × 45 = 90 → 1308.23; narrow hallways × 1.15 →
    #   impact 196.2345 → 196.23, price 1504.4645 → 1504.46
    data = {
        "service": "local",
        "crewSize": 3,
        "estimatedDuration": 3,
        "moveDate": "2026-11-24",
        "customerId": "c-1",
        "totalVolume": 200,
        "specialItems": {"antiques": True},
        "pickup": {"address": "12 Main St", "accessDifficulty": "extreme", "stairsCount": 2},
        "delivery": {"accessDifficulty": "easy", "narrowHallways": True},
    }
    result = one(data, RULES)
    impacts = [(r["ruleId"], r["priceImpact"]) for r in result["appliedRules"]]
    assert impacts == [
        ("crew_size_adjustment", 195),
        ("weekday_regex_city", 33.33),
        ("piano_or_antiques", 306.62),
        ("not_storage_small", -60.5),
        ("difficult_access", 86.21),
        ("easy_access_discount", -17.45),
        ("has_customer", 0.02),
        ("cap_local", 0),
        ("minimum_any", 0),
    ]
    assert result["appliedHandicaps"] == [
        {"handicapId": "stairs_pickup", "priceImpact": 90},
        {"handicapId": "narrow_hallways_delivery", "priceImpact": 196.23},
    ]
    assert result["finalPrice"] == 1504.46


def test_replace_set_maximum_and_effective_dates() -> None:
    storage = one({"service": "storage", "totalVolume": 1000}, RULES)
    # base 8 000; storage_flat: +10, then replace → 9999.99 - 8000, then +1 → 2000.99
    assert storage["appliedRules"] == [{"ruleId": "storage_flat", "priceImpact": 2000.99}]
    assert storage["finalPrice"] == 10000.99
    capped = one(
        {"service": "local", "crewSize": 2, "estimatedDuration": 40, "moveDate": "2026-12-28"},
        RULES,
    )
    # base 6 000; easy access (missing ∉ list) -17.45 → 5982.55; holiday_promo in effect:
    # -12.5 % = -747.81875 → -747.82 → 5234.73; cap 4200 → -1034.73
    impacts = {r["ruleId"]: r["priceImpact"] for r in capped["appliedRules"]}
    assert impacts["holiday_promo"] == -747.82
    assert impacts["cap_local"] == -1034.73
    assert capped["finalPrice"] == 4200
    outside = one(
        {"service": "local", "crewSize": 2, "estimatedDuration": 40, "moveDate": "2027-01-06"},
        RULES,
    )
    assert "holiday_promo" not in {r["ruleId"] for r in outside["appliedRules"]}


def test_multiply_on_total_weight_and_left_fold() -> None:
    # heavy_or_far: (weight ≤ 2000 OR distance ≥ 1000) AND crew > 1
    far = {"service": "long_distance", "totalWeight": 5000, "distance": 1200, "crewSize": 2}
    result = one(far, RULES)
    impacts = {r["ruleId"]: r["priceImpact"] for r in result["appliedRules"]}
    assert impacts["long_distance_per_lb"] == 1850  # 0.37 × 5000 lb
    assert impacts["heavy_or_far"] == round((6250 + 1850) * 0.0625, 2)
    one_mover = one({**far, "crewSize": 1}, RULES)
    assert "heavy_or_far" not in {r["ruleId"] for r in one_mover["appliedRules"]}


def test_tariff_base_prices_and_handicap_percentages() -> None:
    # Saturday, crew 2: 175.5 × max(3, min 4) = 702; stairs entry 5 % × 3 flights (isMultiplier)
    local = {
        "service": "local",
        "crewSize": 2,
        "estimatedDuration": 3,
        "moveDate": "2026-11-28T10:00:00Z",
        "pickup": {"stairsCount": 3},
    }
    result = one(local, RULES, TARIFF)
    assert result["basePrice"] == 702
    stairs = result["appliedHandicaps"][0]
    assert stairs["handicapId"] == "stairs_pickup"
    running = result["finalPrice"] - stairs["priceImpact"]
    assert stairs["priceImpact"] == pytest.approx(round(running * 0.15, 2), abs=0.011)
    # Sunday, crew 3 has a zero rate: the no-tariff formula
    sunday = one({**local, "crewSize": 3, "moveDate": "2026-11-29"}, RULES, TARIFF)
    assert sunday["basePrice"] == 675
    # long distance: the first ACTIVE by_weight table; 3 000 lb → 1.05/lb
    assert one({"service": "long_distance", "totalWeight": 3000}, RULES, TARIFF)[
        "basePrice"
    ] == pytest.approx(3150)
    # a zero-rate bracket falls back to 1.25/lb
    assert (
        one({"service": "long_distance", "totalWeight": 7000}, RULES, TARIFF)["basePrice"] == 8750
    )
    # the weekday is the UTC one: 23:30 at -05:00 on Friday is Saturday in UTC
    late = {**local, "moveDate": "2026-11-27T23:30:00-05:00", "pickup": {}}
    assert one(late, RULES, TARIFF)["basePrice"] == 702


# --- Against an independent JavaScript reading, on generated inputs -------------------------


def _random_input(rng: random.Random) -> dict[str, Any]:
    def maybe(value: Any, chance: float = 0.85) -> Any:
        return value if rng.random() < chance else None

    def access() -> dict[str, Any]:
        side = {
            "address": rng.choice(["12 Main St", "7 Elm St", "400 Oak Ave", ""]),
            "floorLevel": rng.randint(0, 20),
            "elevatorAccess": rng.choice([True, False]),
            "longCarry": rng.choice([True, False]),
            "parkingDistance": rng.choice([0, 25, 50, 51, 120, 300]),
            "accessDifficulty": rng.choice(["easy", "moderate", "difficult", "extreme"]),
            "stairsCount": rng.choice([0, 0, 1, 2, 3, 5]),
            "narrowHallways": rng.choice([True, False]),
        }
        return {k: v for k, v in side.items() if rng.random() < 0.9}

    day = rng.randint(0, 729)
    date = f"2026-{(day // 28) % 12 + 1:02d}-{day % 28 + 1:02d}"
    fields: dict[str, Any] = {
        "customerId": maybe("cust-1", 0.5),
        "moveDate": rng.choice([date, f"{date}T{rng.randint(0, 23):02d}:30:00.000Z"]),
        "service": rng.choice(["local", "local", "long_distance", "storage", "packing_only"]),
        "pickup": access(),
        "delivery": access(),
        "distance": maybe(rng.choice([5, 49, 51, 120, 199, 201, 999, 1000, 1500, 2400])),
        "estimatedDuration": maybe(rng.choice([0.5, 1, 2, 2.25, 3.3, 4, 6.75, 8.75, 10.1, 13])),
        "totalWeight": maybe(rng.choice([0, 1999, 2000, 3100.5, 7999, 8001, 12500, 25333])),
        "totalVolume": maybe(rng.choice([100, 299, 300, 750, 901, 1499, 1501, 2600.25])),
        "specialItems": {
            "piano": rng.random() < 0.2,
            "antiques": rng.random() < 0.2,
            "artwork": rng.random() < 0.2,
            "fragileItems": rng.choice([0, 3, 5, 6, 11, 40]),
            "valuableItems": rng.randint(0, 3),
        },
        "additionalServices": {
            "packing": rng.random() < 0.3,
            "unpacking": rng.random() < 0.2,
            "assembly": rng.random() < 0.3,
            "storage": rng.random() < 0.1,
            "cleaning": rng.random() < 0.1,
        },
        "isWeekend": maybe(rng.random() < 0.3),
        "isHoliday": maybe(rng.random() < 0.1),
        "seasonalPeriod": maybe(rng.choice(["standard", "peak", "off_peak"])),
        "crewSize": maybe(rng.choice([1, 2, 2, 3, 4, 5])),
        "specialtyCrewRequired": rng.random() < 0.1,
    }
    for name in ("distance", "estimatedDuration", "totalWeight", "crewSize"):
        odd = rng.random()
        if name in fields and odd < 0.03:
            fields[name] = str(fields[name])  # the original coerced numeric text
        elif odd < 0.05:
            fields[name] = None  # null, unlike absent, reads as 0 in arithmetic
            continue
    return {k: v for k, v in fields.items() if v is not None or rng.random() < 0.5}


def _numbers(result: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, dict):
            found |= _numbers(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                found |= _numbers(item, f"{prefix}{key}[{index}].")
        else:
            found[f"{prefix}{key}"] = value
    return found


def _close(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, int | float) and isinstance(ours, int | float):
        return abs(ours - theirs) <= HALF_CENT + 1e-9
    return bool(ours == theirs)


@pytest.mark.parametrize(
    ("rules", "tariff"),
    [(DEFAULT_RULES, None), (DEFAULT_RULES, TARIFF), (RULES, None), (RULES, TARIFF)],
    ids=["default", "default+tariff", "every-operator", "every-operator+tariff"],
)
def test_matches_the_javascript_reading_within_half_a_cent(
    rules: Path, tariff: Path | None
) -> None:
    node = requires_program("node")
    rng = random.Random(f"v3-{rules.name}-{tariff}")
    lines = [json.dumps(_random_input(rng)) for _ in range(1500)]
    ours = legacy(lines, rules, tariff)
    theirs_run = subprocess.run(
        [node, str(HERE / "v3_reference.js"), str(rules), str(tariff or "-")],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = [json.loads(line) for line in theirs_run.stdout.splitlines()]
    assert len(theirs) == len(lines)
    differences = []
    for line, mine, reference in zip(lines, ours, theirs, strict=True):
        a, b = _numbers(mine), _numbers(reference)
        if a.keys() != b.keys() or not all(_close(a[k], b[k]) for k in a):
            differences.append((line, mine, reference))
    assert not differences, f"{len(differences)} differ; first: {differences[0]}"


# --- import-v3 and the one engine ------------------------------------------------------------


def test_import_v3_writes_the_ruleset_legacy_evaluates(tmp_path: Path) -> None:
    out = tmp_path / "ruleset.json"
    done = subprocess.run(
        [sys.executable, "-m", "simplepro.cli", "pricing", "import-v3", str(RULES),
         "--tariff", str(TARIFF), "-o", str(out)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    content = json.loads(out.read_text())
    compat = content["compatibility"]
    assert compat["arithmetic"] == "float64"
    assert compat["operators"] == ["regex"] and compat["actions"] == ["replace"]
    assert set(compat["special_cases"]) == {"crew_size_adjustment", "fragile_items_surcharge"}
    assert compat["rounding_points"] == [
        "rule_impact",
        "handicap_impact",
        "handicap_price",
        "breakdown",
    ]
    ruleset = load_ruleset(content)
    data = {"service": "local", "crewSize": 4, "estimatedDuration": 5, "moveDate": "2026-11-24"}
    assert (
        float(price(V3Input(data), ruleset).final_price or 0)
        == one(data, RULES, TARIFF)["finalPrice"]
    )


def test_native_and_converted_rulesets_go_through_the_same_function() -> None:
    native = price(
        EstimateInput.model_validate({"service": "local", "move_date": "2026-11-24"}),
        default_ruleset(),
    )
    converted = load_ruleset(convert(json.loads(DEFAULT_RULES.read_text())))
    legacy_result = price(
        V3Input({"service": "local", "crewSize": 2, "estimatedDuration": 4}), converted
    )
    assert native.final_price is None and native.breakdown.total > 0
    assert legacy_result.final_price == 750
    with pytest.raises(TypeError):
        price(V3Input({"service": "local"}), default_ruleset())


def test_native_rulesets_may_not_use_the_compatibility_extensions() -> None:
    content = default_ruleset().model_dump(mode="json")
    content["rules"][0]["when"] = {"fold": [{"field": "crew_size", "op": "regex", "value": "x"}]}
    content["rules"][0]["actions"] = [{"type": "replace", "amount": "1"}]
    with pytest.raises(RulesetError) as caught:
        load_ruleset(content)
    problems = "\n".join(caught.value.problems)
    assert "rules[0].when.fold: only compatibility rulesets fold conditions left" in problems
    assert "rules[0].when.fold[0].op: regex is only for compatibility rulesets" in problems
    assert "rules[0].actions[0].type: replace is only for compatibility rulesets" in problems


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"locationHandicaps": []}, "pricingRules: a list is required"),
        ({"pricingRules": [{"id": "x", "actions": [{"type": "teleport", "amount": 1}]}]},
         "unknown action"),
        ({"pricingRules": [{"id": "x", "conditions": [{"field": "a", "operator": "like"}],
                            "actions": [{"type": "add_fixed", "amount": 1}]}]}, "unknown operator"),
        ({"pricingRules": [{"id": "x", "actions": [{"type": "add_fixed", "amount": "1"}]}]},
         "amount: a number is required"),
    ],
)  # fmt: skip
def test_invalid_rules_files_exit_non_zero_naming_the_problem(
    tmp_path: Path, rules: dict[str, Any], message: str
) -> None:
    with pytest.raises(V3FileError, match=message):
        convert(rules)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    done = subprocess.run(
        [sys.executable, "-m", "simplepro.cli", "pricing", "legacy-v3", "--rules", str(path)],
        input='{"service": "local"}\n',
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr
