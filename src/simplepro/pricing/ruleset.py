"""A ruleset: versioned pricing data (tariff tables, rules, location handicaps, calendar,
tax, deposit, validity), validated at load with the path of every problem."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simplepro.pricing.clauses import (
    AllOf,
    Clause,
    Condition,
    Fold,
    Predicate,
    compile_clause,
    conditions_of,
)
from simplepro.pricing.compat import V3Compatibility
from simplepro.pricing.inputs import EstimateInput, Service
from simplepro.pricing.quantities import Quantity, QuantityError, parse_quantity

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)]
Category = Literal["labor", "travel", "materials", "special_items", "seasonal"]
# Extensions only a SimplePro-v3 compatibility ruleset may use (compat.py, docs/pricing.md):
# the original's regex operator, its replace action and its left-folded condition lists.
V3_OPERATORS = frozenset({"regex"})
V3_ACTIONS = frozenset({"replace"})


def _omit_none(value: object) -> bool:
    return value is None


def added_later() -> Any:
    """An optional field added after rulesets were first stored: left out of the dump when
    unset, so a ruleset stored before it existed keeps its content hash."""
    return Field(default=None, exclude_if=_omit_none)


# Values computed by the engine that rules and quantities may read besides the input fields.
DERIVED_FIELDS = {
    "weight_lb": "weight given, or cubic feet × pounds per cubic foot",
    "extra_crew": "crew members beyond two",
    "billable_hours": "estimated hours, at least the minimum hours",
    "trucks": "trucks given, or the number the cubic feet need",
    "is_weekend": "from the move date unless given",
    "is_holiday": "from the calendar's holidays unless given",
    "season": "from the calendar's months unless given",
    "weekday": "monday … sunday, of the move date",
    "running_price": "the price before this rule",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HourlyRate(Strict):
    crew_size: int = Field(ge=1, le=12)
    weekday: Money
    weekend: Money
    holiday: Money | None = None


class LongDistanceBracket(Strict):
    up_to_lb: Decimal | None = Field(default=None, gt=0, description="None: no upper limit")
    per_cwt: Money = Field(description="per 100 lb")
    per_cwt_mile: Money = Field(description="per 100 lb per mile")


class CrewStep(Strict):
    up_to_cubic_feet: Decimal = Field(gt=0, le=100_000)
    crew_size: int = Field(ge=1, le=12)


class MoveSize(Strict):
    """A preset for quoting without a survey (the original's move-size presets)."""

    key: str = Field(pattern=r"^[a-z0-9_]{2,40}$")
    label: str = Field(min_length=1, max_length=80)
    cubic_feet: Decimal = Field(gt=0, le=30_000)


class Tariff(Strict):
    hourly_rates: list[HourlyRate] = Field(min_length=1)
    extra_person_hourly: Money = Field(description="each crew member beyond the largest row")
    minimum_hours: Decimal = Field(ge=0, le=24)
    travel_fee: Money = Field(description="trip charge of a local move")
    truck_fee: Money = Field(description="per truck per move")
    long_distance: list[LongDistanceBracket] = Field(min_length=1)
    long_distance_minimum: Money
    packing_hourly_per_person: Money
    storage_per_cubic_foot_day: Money
    packing_materials_per_cubic_foot: Money
    pounds_per_cubic_foot: Decimal = Field(default=Decimal(7), gt=0, le=50)
    cubic_feet_per_truck: Decimal = Field(default=Decimal(1500), gt=0)
    # Survey helpers (suggested crew and hours); unset, SimplePro's defaults apply
    # (simplepro.pricing.inventory).
    crew_by_volume: list[CrewStep] | None = added_later()
    cubic_feet_per_mover_hour: Decimal | None = Field(
        default=None, gt=0, le=1000, exclude_if=_omit_none
    )
    move_sizes: list[MoveSize] | None = added_later()
    # Room templates (room → catalogue item → quantity) to start a survey; unset: SimplePro's.
    room_templates: (
        dict[
            Annotated[str, Field(pattern=r"^[a-z0-9_]{2,40}$")],
            dict[
                Annotated[str, Field(pattern=r"^[a-z0-9_]{2,100}$")],
                Annotated[int, Field(ge=1, le=100)],
            ],
        ]
        | None
    ) = added_later()


class Calendar(Strict):
    peak_months: list[int] = Field(default_factory=list)
    off_peak_months: list[int] = Field(default_factory=list)
    holidays: Literal["US", "none"] = "US"


class Action(Strict):
    type: Literal[
        "add_fixed",
        "add_per_unit",
        "add_percentage",
        "multiply",
        "set_minimum",
        "set_maximum",
        "replace",
    ]
    # Native amounts are checked to 12 digits, 4 decimals at load; a converted v3 ruleset
    # keeps the original's doubles exactly (their shortest decimal form).
    amount: Decimal = Field(allow_inf_nan=False)
    quantity: str | None = Field(default=None, description="add_per_unit: what to count")


class Rule(Strict):
    id: str = Field(min_length=1, max_length=200)
    name: str
    explanation: str = Field(description="one line; $impact and $quantity are filled in")
    category: Category
    services: list[Service]
    priority: int | float = 100
    active: bool = True
    when: Clause | None = None
    actions: list[Action] = Field(min_length=1)
    effective_from: dt.datetime | None = added_later()
    effective_to: dt.datetime | None = added_later()


class Handicap(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    explanation: str
    sides: list[Literal["pickup", "delivery"]] = Field(min_length=1)
    when: Clause = Field(description="fields are those of the side: stairs_flights, elevator …")
    kind: Literal["fixed", "per_unit", "percentage", "multiplier"]
    amount: Decimal = Field(max_digits=12, decimal_places=4)
    quantity: str | None = None
    active: bool = True


class ValuationPolicy(Strict):
    released_value_per_lb: Money = Field(
        default=Decimal("0.60"), description="carrier liability per lb, included at no charge"
    )
    full_value_percent: Decimal = Field(
        default=Decimal("1.0"), ge=0, le=100, description="charge, % of the declared value"
    )
    full_value_minimum_per_lb: Money = Field(
        default=Decimal("6.00"), description="declared value is at least weight × this"
    )


class DepositPolicy(Strict):
    percent: Decimal = Field(ge=0, le=100)
    minimum: Money = Decimal(0)


class Ruleset(Strict):
    name: str
    version: str = Field(min_length=1, max_length=50)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    tariff: Tariff | None = Field(default=None, description="required unless `compatibility`")
    calendar: Calendar = Calendar()
    rules: list[Rule] = Field(default_factory=list)
    handicaps: list[Handicap] = Field(default_factory=list)
    tax_rate: Decimal = Field(ge=0, le=1)
    deposit: DepositPolicy
    quote_valid_days: int = Field(ge=1, le=365)
    valuation: ValuationPolicy | None = added_later()
    compatibility: V3Compatibility | None = added_later()

    @property
    def native_tariff(self) -> Tariff:
        assert self.tariff is not None, "load_ruleset requires a tariff for native rulesets"
        return self.tariff

    @cached_property
    def input_fields_used(self) -> frozenset[str]:
        """Input fields that conditions and quantities read (derived values excluded)."""
        names: set[str] = set()
        for rule in self.rules:
            names.update(c.field for c in conditions_of(rule.when))
            for action in rule.actions:
                if action.quantity:
                    names |= parse_quantity(action.quantity, ANY_NAME).names
        return frozenset(names - DERIVED_FIELDS.keys())

    @cached_property
    def rule_plan(self) -> dict[str, tuple[tuple[Rule, Predicate], ...]]:
        """Per service, the active rules in evaluation order (ascending priority, ties in file
        order) with their conditions compiled: built once per loaded ruleset."""
        ordered = sorted((r for r in self.rules if r.active), key=lambda r: r.priority)
        return {
            service: tuple((r, compile_clause(r.when)) for r in ordered if service in r.services)
            for service in get_args(Service)
        }

    @cached_property
    def handicap_plan(self) -> tuple[tuple[Handicap, str, Predicate], ...]:
        """(handicap, side, compiled condition) for every active handicap and side, in order."""
        return tuple(
            (h, side, compile_clause(h.when))
            for h in self.handicaps
            if h.active
            for side in h.sides
        )

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON; computed once per loaded ruleset."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class RulesetError(ValueError):
    """Every problem of a ruleset, each as 'path: message'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def input_fields() -> set[str]:
    """Dot paths of every scalar input field, e.g. `pickup.stairs_flights`."""
    names: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{prefix}{name}.")
            else:
                names.add(f"{prefix}{name}")

    walk(EstimateInput, "")
    return names


KNOWN_FIELDS: dict[str, object] = dict.fromkeys(input_fields() | DERIVED_FIELDS.keys())


class _AnyName(dict[str, object]):
    """Compatibility rulesets read any dot path of the original's free-form input."""

    def __contains__(self, key: object) -> bool:
        return True


ANY_NAME: dict[str, object] = _AnyName()
SIDE_FIELDS: dict[str, object] = {
    name.split(".", 1)[1]: None for name in input_fields() if name.startswith("pickup.")
}


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _check_clause(
    clause: Clause, path: str, known: dict[str, object], native: bool, problems: list[str]
) -> None:
    if isinstance(clause, Fold):
        if native:
            problems.append(f"{path}.fold: only compatibility rulesets fold conditions left")
        for index, step in enumerate(clause.fold):
            _check_clause(step, f"{path}.fold[{index}]", known, native, problems)
        return
    if isinstance(clause, Condition):
        if clause.field not in known:
            problems.append(f"{path}.field: unknown field {clause.field!r}")
        if native and clause.op in V3_OPERATORS:
            problems.append(f"{path}.op: {clause.op} is only for compatibility rulesets")
        if native and clause.op in {"in", "nin"} and not isinstance(clause.value, list):
            problems.append(f"{path}.value: {clause.op} needs a list")
        if (
            native
            and clause.op == "between"
            and not (isinstance(clause.value, list) and len(clause.value) == 2)
        ):
            problems.append(f"{path}.value: between needs [low, high]")
        return
    children = clause.all if isinstance(clause, AllOf) else clause.any
    key = "all" if isinstance(clause, AllOf) else "any"
    for index, child in enumerate(children):
        _check_clause(child, f"{path}.{key}[{index}]", known, native, problems)


NATIVE_ID = re.compile(r"^[a-z0-9_]+$")
NATIVE_AMOUNT = Decimal("1e12")


def _check_action(action: Action, path: str, native: bool, problems: list[str]) -> None:
    if native:
        if action.type in V3_ACTIONS:
            problems.append(f"{path}.type: {action.type} is only for compatibility rulesets")
        exponent = action.amount.as_tuple().exponent
        if abs(action.amount) >= NATIVE_AMOUNT or (isinstance(exponent, int) and exponent < -4):
            problems.append(f"{path}.amount: at most 12 digits and 4 decimal places")
    if action.type == "add_per_unit":
        _check_quantity(
            action.quantity, f"{path}.quantity", KNOWN_FIELDS if native else ANY_NAME, problems
        )


def _check_quantity(
    source: str | None, path: str, known: dict[str, object], problems: list[str]
) -> Quantity | None:
    if source is None:
        problems.append(f"{path}: a quantity is required")
        return None
    try:
        return parse_quantity(source, known)
    except QuantityError as exc:
        problems.append(f"{path}: {exc}")
        return None


def _rule_problems(ruleset: Ruleset, native: bool) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for index, rule in enumerate(ruleset.rules):
        path = f"rules[{index}]"
        if native and not NATIVE_ID.match(rule.id):
            problems.append(f"{path}.id: lower-case letters, digits and _ only")
        if native and rule.id in seen:
            problems.append(f"{path}.id: duplicate id {rule.id!r}")
        if native and not rule.services:
            problems.append(f"{path}.services: at least one service")
        seen.add(rule.id)
        if rule.when is not None:
            known = KNOWN_FIELDS if native else ANY_NAME
            _check_clause(rule.when, f"{path}.when", known, native, problems)
        for number, action in enumerate(rule.actions):
            _check_action(action, f"{path}.actions[{number}]", native, problems)
    for index, handicap in enumerate(ruleset.handicaps):
        path = f"handicaps[{index}]"
        if handicap.id in seen:
            problems.append(f"{path}.id: duplicate id {handicap.id!r}")
        seen.add(handicap.id)
        _check_clause(handicap.when, f"{path}.when", SIDE_FIELDS, True, problems)
        if handicap.kind == "per_unit":
            _check_quantity(handicap.quantity, f"{path}.quantity", SIDE_FIELDS, problems)
    return problems


def _tariff_problems(tariff: Tariff) -> list[str]:
    problems: list[str] = []
    steps = [step.up_to_cubic_feet for step in tariff.crew_by_volume or []]
    if steps != sorted(set(steps)):
        problems.append("tariff.crew_by_volume: cubic feet must rise from row to row")
    sizes = [r.crew_size for r in tariff.hourly_rates]
    if len(sizes) != len(set(sizes)):
        problems.append("tariff.hourly_rates: two rows for the same crew size")
    brackets = tariff.long_distance
    if brackets[-1].up_to_lb is not None:
        problems.append("tariff.long_distance: the last bracket must have no upper limit")
    limits = [b.up_to_lb for b in brackets[:-1]]
    if any(limit is None for limit in limits) or limits != sorted(limits):  # type: ignore[type-var]
        problems.append("tariff.long_distance: brackets must rise, only the last without a limit")
    return problems


def _problems(ruleset: Ruleset) -> list[str]:
    compat = ruleset.compatibility
    native = compat is None
    problems = _rule_problems(ruleset, native)
    if ruleset.tariff is not None:
        problems += _tariff_problems(ruleset.tariff)
    elif native:
        problems.append("tariff: required (only a compatibility ruleset prices without one)")
    if compat is not None and ruleset.handicaps:
        problems.append("handicaps: a compatibility ruleset lists its handicaps in compatibility")
    for name in ("peak_months", "off_peak_months"):
        months = getattr(ruleset.calendar, name)
        if any(not 1 <= m <= 12 for m in months):
            problems.append(f"calendar.{name}: months are 1 to 12")
    return problems


def _parse_text(text: str | bytes) -> Any:
    """JSON, or YAML for people who edit rulesets by hand (safe loader: data only)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        json_problem = f"{exc.msg} at line {exc.lineno}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RulesetError(
            [f"(file): neither JSON ({json_problem}) nor YAML ({exc.__class__.__name__}{where})"]
        ) from None
    if not isinstance(data, dict):
        raise RulesetError([f"(file): not JSON ({json_problem}), and the YAML is not a mapping"])
    return data


def load_ruleset(data: Any) -> Ruleset:
    """Validate ruleset data (a dict, or JSON or YAML text); RulesetError lists every problem."""
    if isinstance(data, str | bytes):
        data = _parse_text(data)
    try:
        ruleset = Ruleset.model_validate(data)
    except ValidationError as exc:
        raise RulesetError([f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()]) from None
    problems = _problems(ruleset)
    if problems:
        raise RulesetError(problems)
    return ruleset
