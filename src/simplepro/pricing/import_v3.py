"""Convert SimplePro-v3 pricing rules (and optionally its tariff) into a native ruleset with a
`compatibility` block, which the one engine then evaluates exactly as the original did.

Every behaviour the original hid in code becomes data here, decided once at conversion:
the two rules it special-cased by id become `add_per_unit` actions with an explicit quantity,
`multiply` on totalWeight becomes a per-pound charge, its breakdown's id matching becomes
lists of rule ids, and each location handicap carries the tariff percentage it matched.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, get_args

from simplepro.pricing.clauses import to_number
from simplepro.pricing.compat import WEEKDAYS, WeekRates
from simplepro.pricing.inputs import Service
from simplepro.pricing.ruleset import Ruleset, RulesetError, load_ruleset
from simplepro.pricing.v3 import parse_moment

OPERATORS = frozenset(
    {"eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "between", "exists", "regex"}
)
ACTIONS = frozenset(
    {"add_fixed", "add_percentage", "multiply", "set_minimum", "set_maximum", "replace"}
)
SERVICES = get_args(Service)
# The original's add_fixed meant something else for two rule ids (SEMANTICS.md §2).
SPECIAL_QUANTITIES = {
    "crew_size_adjustment": "max(0, crewSize - 2) * estimatedDuration",
    "fragile_items_surcharge": "max(0, specialItems.fragileItems - 5)",
}
CATEGORIES = {
    "base_pricing": "labor",
    "distance_based": "travel",
    "special_items": "special_items",
    "seasonal": "seasonal",
}


class V3FileError(ValueError):
    """A rules or tariff file that cannot be converted; the message names the problem."""


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise V3FileError(f"{path}: a number is required, got {json.dumps(value)}")
    return float(value)


def _exact(value: float) -> str:
    """The double's shortest decimal form: the ruleset stores it without losing a bit."""
    return repr(value)


def _fold(conditions: Any, path: str) -> dict[str, Any]:
    if conditions is None:
        conditions = []
    if not isinstance(conditions, list):
        raise V3FileError(f"{path}: a list of conditions is required")
    steps = []
    for index, condition in enumerate(conditions):
        where = f"{path}[{index}]"
        if not isinstance(condition, dict):
            raise V3FileError(f"{where}: a condition object is required")
        if not isinstance(condition.get("field"), str):
            raise V3FileError(f"{where}.field: a dot path is required")
        if condition.get("operator") not in OPERATORS:
            raise V3FileError(
                f"{where}.operator: unknown operator {json.dumps(condition.get('operator'))}"
            )
        step: dict[str, Any] = {
            "field": condition["field"],
            "op": condition["operator"],
            "value": condition.get("value"),
        }
        connective = condition.get("logicalOperator")
        if connective is not None:
            step["then"] = "or" if str(connective).lower() == "or" else "and"
        steps.append(step)
    return {"fold": steps}


def _action(rule_id: str, action: Any, path: str, notes: dict[str, str]) -> dict[str, Any]:
    if not isinstance(action, dict):
        raise V3FileError(f"{path}: an action object is required")
    kind = action.get("type")
    if kind not in ACTIONS:
        raise V3FileError(f"{path}.type: unknown action {json.dumps(kind)}")
    amount = _exact(_number(action.get("amount"), f"{path}.amount"))
    if kind == "add_fixed" and rule_id in SPECIAL_QUANTITIES:
        quantity = SPECIAL_QUANTITIES[rule_id]
        notes[rule_id] = f"add_fixed by id: add_per_unit × {quantity}"
        return {"type": "add_per_unit", "amount": amount, "quantity": quantity}
    if kind == "multiply" and action.get("targetField") == "totalWeight":
        return {"type": "add_per_unit", "amount": amount, "quantity": "totalWeight"}
    return {"type": kind, "amount": amount}


def _rule(rule: Any, path: str, notes: dict[str, str]) -> dict[str, Any]:
    if not isinstance(rule, dict):
        raise V3FileError(f"{path}: a rule object is required")
    rule_id = rule.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise V3FileError(f"{path}.id: a rule id is required")
    actions = rule.get("actions")
    if not isinstance(actions, list) or not actions:
        raise V3FileError(f"{path}.actions: at least one action is required")
    services = rule.get("applicableServices") or []
    if not isinstance(services, list):
        raise V3FileError(f"{path}.applicableServices: a list is required")
    priority = rule.get("priority", 0)
    priority = _number(priority, f"{path}.priority")
    converted: dict[str, Any] = {
        "id": rule_id,
        "name": str(rule.get("name") or rule_id),
        "explanation": str(rule.get("description") or rule.get("name") or rule_id),
        "category": CATEGORIES.get(str(rule.get("category")), "labor"),
        "services": [s for s in SERVICES if s in services],
        "priority": int(priority) if priority.is_integer() else priority,
        "active": bool(rule.get("isActive")),
        "when": _fold(rule.get("conditions"), f"{path}.conditions"),
        "actions": [
            _action(rule_id, a, f"{path}.actions[{i}]", notes) for i, a in enumerate(actions)
        ],
    }
    for source, target in (("effectiveFrom", "effective_from"), ("effectiveTo", "effective_to")):
        moment = parse_moment(rule.get(source))
        if moment is not None:  # an invalid date never excluded a rule in the original
            converted[target] = moment.isoformat()
    return converted


def _week_rows(rows: Any) -> list[dict[str, Any]]:
    converted = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        crew = float(to_number(row.get("crewSize", math.nan)))
        rates = {d: float(to_number(row.get(d))) for d in WEEKDAYS if d in row}
        rates = {d: r for d, r in rates.items() if not math.isnan(r)}
        if not math.isnan(crew):
            converted.append(WeekRates(crew_size=crew, rates=rates).model_dump())
    return converted


def _brackets(tables: Any) -> list[dict[str, float]] | None:
    for table in tables if isinstance(tables, list) else []:
        if isinstance(table, dict) and table.get("isActive") and table.get("type") == "by_weight":
            brackets = []
            for bracket in table.get("brackets") or []:
                if not isinstance(bracket, dict):
                    continue
                low, high, rate = (float(to_number(bracket.get(k))) for k in ("min", "max", "rate"))
                if not (math.isnan(low) or math.isnan(high)):
                    brackets.append(
                        {"min": low, "max": high, "rate": 0.0 if math.isnan(rate) else rate}
                    )
            return brackets
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _tariff(tariff: dict[str, Any]) -> dict[str, Any]:
    hourly = _object(tariff.get("hourlyRates"))
    packing = _object(tariff.get("packingRates"))
    minimum = _object(hourly.get("minHours"))
    min_hours = {d: float(to_number(minimum.get(d))) for d in WEEKDAYS if d in minimum}
    return {
        "hourly_rates": _week_rows(hourly.get("rates")),
        "min_hours": {d: h for d, h in min_hours.items() if not math.isnan(h)},
        "packing_rates": _week_rows(packing.get("rates")),
        "weight_brackets": _brackets(tariff.get("distanceRates")),
    }


def _tariff_match(entry: dict[str, Any], handicap_id: str) -> bool:
    category = entry.get("category")
    name = str(entry.get("name") or "").lower()
    return (
        any(
            category == kind and kind in handicap_id
            for kind in ("stairs", "elevator", "long_carry")
        )
        or ("flight" in name and "stairs" in handicap_id)
        or ("elevator" in name and "elevator" in handicap_id)
    )


def _sides(handicap_id: str) -> list[str]:
    return [side for side in ("pickup", "delivery") if side in handicap_id]


def _handicap(handicap: Any, path: str, tariff: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(handicap, dict):
        raise V3FileError(f"{path}: a handicap object is required")
    handicap_id = handicap.get("id")
    if not isinstance(handicap_id, str) or not handicap_id:
        raise V3FileError(f"{path}.id: a handicap id is required")
    converted: dict[str, Any] = {
        "id": handicap_id,
        "name": str(handicap.get("name") or handicap_id),
        "active": bool(handicap.get("isActive")),
        "when": _fold(handicap.get("conditions"), f"{path}.conditions"),
        "fixed_amount": _number(handicap.get("fixedAmount", 0), f"{path}.fixedAmount"),
        "multiplier": _number(handicap.get("multiplier", 1), f"{path}.multiplier"),
    }
    if "stairs" in handicap_id and _sides(handicap_id):
        converted["fixed_per_flight_of"] = _sides(handicap_id)[0]
    entries = tariff.get("handicaps") if tariff is not None else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not entry.get("isActive"):
            continue
        percent = float(to_number(entry.get("percentage")))
        if _tariff_match(entry, handicap_id) and percent and not math.isnan(percent):
            per_flight = bool(entry.get("isMultiplier")) and "stairs" in handicap_id
            converted["tariff"] = {
                "percent": percent,
                "flights_of": _sides(handicap_id) if per_flight else [],
            }
            break
    return converted


def _breakdown(rule_ids: list[str]) -> dict[str, list[str]]:
    def having(*parts: str) -> list[str]:
        return [i for i in rule_ids if any(part in i for part in parts)]

    return {
        "materials": [i for i in rule_ids if i in {"packing_service_rate", "assembly_service"}],
        "transportation": having("distance"),
        "special_services": having("piano", "antique", "fragile"),
        "seasonal_adjustment": having("weekend", "season"),
    }


def convert(rules: Any, tariff: Any = None) -> dict[str, Any]:
    """The native ruleset (as JSON data) for a v3 rules document and optional tariff."""
    if not isinstance(rules, dict):
        raise V3FileError("rules: a JSON object is required")
    if not isinstance(rules.get("pricingRules"), list):
        raise V3FileError("rules.pricingRules: a list is required")
    handicaps = rules.get("locationHandicaps", [])
    if not isinstance(handicaps, list):
        raise V3FileError("rules.locationHandicaps: a list is required")
    if tariff is not None and not isinstance(tariff, dict):
        raise V3FileError("tariff: a JSON object is required")
    notes: dict[str, str] = {}
    converted_rules = [
        _rule(rule, f"pricingRules[{i}]", notes) for i, rule in enumerate(rules["pricingRules"])
    ]
    operators = sorted(
        {s["op"] for r in converted_rules for s in r["when"]["fold"] if s["op"] == "regex"}
    )
    actions = sorted(
        {a["type"] for r in converted_rules for a in r["actions"] if a["type"] == "replace"}
    )
    version = str(rules.get("version") or "1")
    return {
        "name": "SimplePro-v3 import",
        "version": f"v3-{version}"[:50],
        "rules": converted_rules,
        "tax_rate": "0",
        "deposit": {"percent": "0"},
        "quote_valid_days": 30,
        "compatibility": {
            "operators": operators,
            "actions": actions,
            "special_cases": notes,
            "base": {"tariff": _tariff(tariff) if tariff is not None else None},
            "handicaps": [
                _handicap(h, f"locationHandicaps[{i}]", tariff) for i, h in enumerate(handicaps)
            ],
            "breakdown": _breakdown([r["id"] for r in converted_rules]),
        },
    }


def read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise V3FileError(f"{what} {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise V3FileError(f"{what} {path}: not JSON ({exc})") from None


def load_v3(rules_path: str, tariff_path: str | None) -> Ruleset:
    """Read, convert and validate: the ruleset `legacy-v3` evaluates."""
    rules = read_json(rules_path, "rules file")
    tariff = read_json(tariff_path, "tariff file") if tariff_path else None
    try:
        return load_ruleset(convert(rules, tariff))
    except RulesetError as exc:
        raise V3FileError(f"converted ruleset is not valid: {exc}") from None
