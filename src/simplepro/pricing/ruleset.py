"""A ruleset: versioned pricing data (tariff tables, rules, location handicaps, calendar,
tax, deposit, validity), validated at load with the path of every problem."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simplepro.pricing.inputs import EstimateInput, Service
from simplepro.pricing.quantities import Quantity, QuantityError, parse_quantity

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)]
Category = Literal["labor", "travel", "materials", "special_items", "seasonal"]
Operator = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "between", "exists"]

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


class Calendar(Strict):
    peak_months: list[int] = Field(default_factory=list)
    off_peak_months: list[int] = Field(default_factory=list)
    holidays: Literal["US", "none"] = "US"


class Condition(Strict):
    field: str
    op: Operator
    value: Any = None


class AllOf(Strict):
    all: list[Clause] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Clause] = Field(min_length=1)


Clause = Union[Condition, AllOf, AnyOf]  # noqa: UP007 - recursive alias needs Union
AllOf.model_rebuild()
AnyOf.model_rebuild()


class Action(Strict):
    type: Literal[
        "add_fixed", "add_per_unit", "add_percentage", "multiply", "set_minimum", "set_maximum"
    ]
    amount: Decimal = Field(max_digits=12, decimal_places=4)
    quantity: str | None = Field(default=None, description="add_per_unit: what to count")


class Rule(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    explanation: str = Field(description="one line; $impact and $quantity are filled in")
    category: Category
    services: list[Service] = Field(min_length=1)
    priority: int = 100
    active: bool = True
    when: Clause | None = None
    actions: list[Action] = Field(min_length=1)


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


class DepositPolicy(Strict):
    percent: Decimal = Field(ge=0, le=100)
    minimum: Money = Decimal(0)


class Ruleset(Strict):
    name: str
    version: str = Field(min_length=1, max_length=50)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    tariff: Tariff
    calendar: Calendar = Calendar()
    rules: list[Rule] = Field(default_factory=list)
    handicaps: list[Handicap] = Field(default_factory=list)
    tax_rate: Decimal = Field(ge=0, le=1)
    deposit: DepositPolicy
    quote_valid_days: int = Field(ge=1, le=365)

    @cached_property
    def input_fields_used(self) -> frozenset[str]:
        """Input fields that conditions and quantities read (derived values excluded)."""
        names: set[str] = set()

        def walk(clause: Clause | None) -> None:
            if isinstance(clause, Condition):
                names.add(clause.field)
            elif isinstance(clause, AllOf):
                for child in clause.all:
                    walk(child)
            elif isinstance(clause, AnyOf):
                for child in clause.any:
                    walk(child)

        for rule in self.rules:
            walk(rule.when)
            for action in rule.actions:
                if action.quantity:
                    names |= parse_quantity(action.quantity, KNOWN_FIELDS).names
        return frozenset(names - DERIVED_FIELDS.keys())

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
SIDE_FIELDS: dict[str, object] = {
    name.split(".", 1)[1]: None for name in input_fields() if name.startswith("pickup.")
}


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _check_clause(clause: Clause, path: str, known: dict[str, object], problems: list[str]) -> None:
    if isinstance(clause, Condition):
        if clause.field not in known:
            problems.append(f"{path}.field: unknown field {clause.field!r}")
        if clause.op in {"in", "nin"} and not isinstance(clause.value, list):
            problems.append(f"{path}.value: {clause.op} needs a list")
        if clause.op == "between" and not (
            isinstance(clause.value, list) and len(clause.value) == 2
        ):
            problems.append(f"{path}.value: between needs [low, high]")
        return
    children = clause.all if isinstance(clause, AllOf) else clause.any
    key = "all" if isinstance(clause, AllOf) else "any"
    for index, child in enumerate(children):
        _check_clause(child, f"{path}.{key}[{index}]", known, problems)


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


def load_ruleset(data: Any) -> Ruleset:
    """Validate ruleset data (a dict, or JSON text); RulesetError lists every problem."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise RulesetError([f"(file): not JSON: {exc.msg} at line {exc.lineno}"]) from None
    try:
        ruleset = Ruleset.model_validate(data)
    except ValidationError as exc:
        raise RulesetError([f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()]) from None
    problems: list[str] = []
    seen: set[str] = set()
    for index, rule in enumerate(ruleset.rules):
        path = f"rules[{index}]"
        if rule.id in seen:
            problems.append(f"{path}.id: duplicate id {rule.id!r}")
        seen.add(rule.id)
        if rule.when is not None:
            _check_clause(rule.when, f"{path}.when", KNOWN_FIELDS, problems)
        for number, action in enumerate(rule.actions):
            if action.type == "add_per_unit":
                _check_quantity(
                    action.quantity, f"{path}.actions[{number}].quantity", KNOWN_FIELDS, problems
                )
    for index, handicap in enumerate(ruleset.handicaps):
        path = f"handicaps[{index}]"
        if handicap.id in seen:
            problems.append(f"{path}.id: duplicate id {handicap.id!r}")
        seen.add(handicap.id)
        _check_clause(handicap.when, f"{path}.when", SIDE_FIELDS, problems)
        if handicap.kind == "per_unit":
            _check_quantity(handicap.quantity, f"{path}.quantity", SIDE_FIELDS, problems)
    sizes = [r.crew_size for r in ruleset.tariff.hourly_rates]
    if len(sizes) != len(set(sizes)):
        problems.append("tariff.hourly_rates: two rows for the same crew size")
    brackets = ruleset.tariff.long_distance
    if brackets[-1].up_to_lb is not None:
        problems.append("tariff.long_distance: the last bracket must have no upper limit")
    limits = [b.up_to_lb for b in brackets[:-1]]
    if any(limit is None for limit in limits) or limits != sorted(limits):  # type: ignore[type-var]
        problems.append("tariff.long_distance: brackets must rise, only the last without a limit")
    for name in ("peak_months", "off_peak_months"):
        months = getattr(ruleset.calendar, name)
        if any(not 1 <= m <= 12 for m in months):
            problems.append(f"calendar.{name}: months are 1 to 12")
    if problems:
        raise RulesetError(problems)
    return ruleset
