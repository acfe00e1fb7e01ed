"""The language of follow-up rules: what can trigger one, what its conditions may look at,
and what its actions do — validated before a rule is saved, so a rule that would fail at
3 a.m. is refused with a 422 naming the field when an administrator writes it.

A rule is data (`FollowUpRule.conditions` and `.actions` are JSON):

- conditions: ``[{"field": "opportunity.source", "op": "equals", "value": "website"}]``,
  all of which must hold (AND). Fields are facts about the opportunity, its customer and the
  event that triggered the rule (`FIELDS`).
- actions: ``[{"type": "create_activity", "delay_hours": 1, "kind": "call",
  "subject": "Call the new lead"}]``, done in order, each `delay_hours` after the trigger.

Nothing here touches the database: simplepro.sales.automation runs the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from simplepro.core.problems import FieldError, ProblemError
from simplepro.customers.models import CustomerType, LeadSource
from simplepro.sales.models import (
    ActivityKind,
    MoveSize,
    OpportunityStatus,
    Outcome,
    Priority,
    RuleTrigger,
    Service,
)

MAX_CONDITIONS = 10
MAX_ACTIONS = 10
MAX_DELAY_HOURS = 24 * 365


@dataclass(frozen=True)
class Fact:
    label: str
    # The values it may take (None: a number).
    choices: tuple[str, ...] | None
    # Triggers whose event carries it (empty: every trigger, it is about the opportunity).
    triggers: tuple[str, ...] = ()


T = RuleTrigger
FIELDS: dict[str, Fact] = {
    "opportunity.source": Fact("Source", tuple(LeadSource.values)),
    "opportunity.priority": Fact("Priority", tuple(Priority.values)),
    "opportunity.status": Fact("Status", tuple(OpportunityStatus.values)),
    "opportunity.service": Fact("Service", tuple(Service.values)),
    "opportunity.move_size": Fact("Move size", tuple(MoveSize.values)),
    "opportunity.estimated_value": Fact("Estimated value", None),
    "customer.type": Fact("Customer type", tuple(CustomerType.values)),
    "event.new_status": Fact("New status", tuple(OpportunityStatus.values), (T.STATUS_CHANGED,)),
    "event.previous_status": Fact(
        "Previous status", tuple(OpportunityStatus.values), (T.STATUS_CHANGED,)
    ),
    "event.outcome": Fact("Activity outcome", tuple(Outcome.values), (T.ACTIVITY_COMPLETED,)),
    "event.activity_kind": Fact(
        "Activity kind", tuple(ActivityKind.values), (T.ACTIVITY_COMPLETED,)
    ),
    "event.quote_total": Fact("Quote total", None, (T.QUOTE_SENT,)),
}

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda fact, value: fact == value,
    "not_equals": lambda fact, value: fact != value,
    "in": lambda fact, value: fact in value,
    "not_in": lambda fact, value: fact not in value,
    "greater_than": lambda fact, value: fact is not None and fact > value,
    "less_than": lambda fact, value: fact is not None and fact < value,
}
LIST_OPERATORS = frozenset({"in", "not_in"})
NUMBER_OPERATORS = frozenset({"greater_than", "less_than", "equals", "not_equals"})

# Who an action means: the opportunity's salesperson, the customer's own salesperson, the
# next in the round-robin, or one named user (their id).
ASSIGNEES = ("salesperson", "customer_owner", "round_robin")
NOTIFY_WHO = ("salesperson", "managers")


@dataclass(frozen=True)
class ActionType:
    label: str
    # Parameter → (required, allowed values or None for free text / a user id).
    params: Mapping[str, tuple[bool, tuple[str, ...] | None]]


ACTION_TYPES: dict[str, ActionType] = {
    "create_activity": ActionType(
        "Create an activity",
        {
            "kind": (True, tuple(ActivityKind.values)),
            "subject": (True, None),
            "description": (False, None),
            "assign_to": (False, None),
        },
    ),  # fmt: skip
    "send_customer": ActionType(
        "Send the customer a message",
        {"template": (True, None), "channel": (False, ("auto", "email", "sms"))},
    ),
    "notify_user": ActionType("Notify someone", {"who": (True, None), "message": (True, None)}),
    "assign_salesperson": ActionType("Assign a salesperson", {"to": (True, None)}),
    "change_status": ActionType(
        "Change the status",
        {"status": (True, tuple(OpportunityStatus.values)), "reason": (False, None)},
    ),
}


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, code: str, message: str) -> None:
        self.items.append({"field": field, "code": code, "message": message})


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _clean_condition(index: int, raw: Any, trigger: str, errors: _Errors) -> dict[str, Any] | None:
    where = f"conditions[{index}]"
    if not isinstance(raw, dict):
        errors.add(where, "type", "A condition is an object with field, op and value.")
        return None
    field, op, value = raw.get("field"), raw.get("op"), raw.get("value")
    fact = FIELDS.get(field) if isinstance(field, str) else None
    if fact is None:
        errors.add(f"{where}.field", "invalid_choice", f"Choose one of: {', '.join(FIELDS)}.")
        return None
    if fact.triggers and trigger not in fact.triggers:
        errors.add(f"{where}.field", "wrong_trigger",
                   f"{field} is only known to a rule triggered by "
                   f"{' or '.join(fact.triggers)}.")  # fmt: skip
        return None
    allowed_ops = NUMBER_OPERATORS if fact.choices is None else set(OPERATORS) - {
        "greater_than", "less_than"}  # fmt: skip
    if not isinstance(op, str) or op not in allowed_ops:
        errors.add(f"{where}.op", "invalid_choice",
                   f"Choose one of: {', '.join(sorted(allowed_ops))}.")  # fmt: skip
        return None
    values = value if op in LIST_OPERATORS else [value]
    if not isinstance(values, list) or not values:
        errors.add(f"{where}.value", "type", f"{op} takes a non-empty list of values.")
        return None
    if fact.choices is None:
        numbers = [_number(v) for v in values]
        if any(n is None for n in numbers):
            errors.add(f"{where}.value", "type", f"{field} is compared with a number.")
            return None
        values = [str(n) for n in numbers]
    else:
        wrong = [v for v in values if v not in fact.choices]
        if wrong:
            errors.add(f"{where}.value", "invalid_choice",
                       f"{wrong[0]!r} is not a {fact.label.lower()}; choose from: "
                       f"{', '.join(fact.choices)}.")  # fmt: skip
            return None
    return {"field": field, "op": op, "value": values if op in LIST_OPERATORS else values[0]}


def _clean_action(
    index: int, raw: Any, errors: _Errors, templates: frozenset[str], users: Callable[[str], bool]
) -> dict[str, Any] | None:
    where = f"actions[{index}]"
    if not isinstance(raw, dict):
        errors.add(where, "type", "An action is an object with a type and a delay_hours.")
        return None
    kind = ACTION_TYPES.get(raw["type"]) if isinstance(raw.get("type"), str) else None
    if kind is None:
        errors.add(f"{where}.type", "invalid_choice",
                   f"Choose one of: {', '.join(ACTION_TYPES)}.")  # fmt: skip
        return None
    delay = _number(raw.get("delay_hours", 0))
    if delay is None or delay < 0 or delay > MAX_DELAY_HOURS:
        errors.add(f"{where}.delay_hours", "range",
                   f"A delay is a number of hours from 0 to {MAX_DELAY_HOURS}.")  # fmt: skip
        return None
    clean: dict[str, Any] = {"type": raw["type"], "delay_hours": float(delay)}
    unknown = set(raw) - set(kind.params) - {"type", "delay_hours"}
    if unknown:
        errors.add(f"{where}.{sorted(unknown)[0]}", "unknown",
                   f"{raw['type']} takes: {', '.join(kind.params)}.")  # fmt: skip
        return None
    for name, (required, choices) in kind.params.items():
        value = raw.get(name)
        if value in (None, ""):
            if required:
                errors.add(f"{where}.{name}", "required", f"{kind.label} needs {name}.")
            continue
        if not isinstance(value, str) or len(value) > 500:
            errors.add(f"{where}.{name}", "type", f"{name} is a text of at most 500 characters.")
        elif choices is not None and value not in choices:
            errors.add(f"{where}.{name}", "invalid_choice", f"Choose one of: {', '.join(choices)}.")
        else:
            clean[name] = value
    _check_people(where, clean, errors, templates, users)
    return clean


def _check_people(
    where: str, action: dict[str, Any], errors: _Errors, templates: frozenset[str],
    users: Callable[[str], bool],
) -> None:  # fmt: skip
    """The parameters that name someone or something kept elsewhere."""
    for name, named in (("assign_to", ASSIGNEES), ("to", ASSIGNEES), ("who", NOTIFY_WHO)):
        value = action.get(name)
        if value and value not in named and not users(value):
            errors.add(f"{where}.{name}", "invalid_choice",
                       f"Use one of {', '.join(named)}, or the id of an active user.")  # fmt: skip
    if action["type"] == "send_customer" and action.get("template") not in templates:
        errors.add(f"{where}.template", "invalid_choice",
                   f"Choose one of: {', '.join(sorted(templates))}.")  # fmt: skip
    if (
        action["type"] == "change_status"
        and action.get("status") in ("lost", "cancelled")
        and (not action.get("reason"))
    ):
        errors.add(f"{where}.reason", "required", "A lost or cancelled status needs a reason.")


def rule_clean(
    data: Mapping[str, Any], *, templates: frozenset[str], users: Callable[[str], bool]
) -> dict[str, Any]:
    """The rule's trigger, conditions and actions, checked; a 422 listing every mistake."""
    errors = _Errors()
    trigger = data.get("trigger")
    if not isinstance(trigger, str) or trigger not in T.values:
        errors.add("trigger", "invalid_choice", f"Choose one of: {', '.join(T.values)}.")
        raise ProblemError(422, "The rule has mistakes.", errors=errors.items)
    days = data.get("inactive_days")
    if trigger == T.NO_ACTIVITY and (
        not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365
    ):
        errors.add("inactive_days", "range", "A no-activity rule needs 1 to 365 days.")
    conditions = data.get("conditions") or []
    actions = data.get("actions") or []
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        errors.add("conditions", "type", f"Conditions are a list of at most {MAX_CONDITIONS}.")
        conditions = []
    if not isinstance(actions, list) or not actions or len(actions) > MAX_ACTIONS:
        errors.add("actions", "type", f"A rule does 1 to {MAX_ACTIONS} actions.")
        actions = []
    clean_conditions = [_clean_condition(i, c, trigger, errors) for i, c in enumerate(conditions)]
    clean_actions = [_clean_action(i, a, errors, templates, users) for i, a in enumerate(actions)]
    if errors.items:
        raise ProblemError(422, "The rule has mistakes.", errors=errors.items)
    return {
        "trigger": trigger,
        "inactive_days": days if trigger == T.NO_ACTIVITY else None,
        "conditions": clean_conditions,
        "actions": clean_actions,
    }


def unmet(conditions: list[dict[str, Any]], facts: Mapping[str, Any]) -> str:
    """Why the conditions do not hold for `facts` ("" when they all do)."""
    for condition in conditions:
        fact, value = facts.get(condition["field"]), condition["value"]
        if FIELDS[condition["field"]].choices is None:
            fact = _number(fact) if fact is not None else None
            value = [Decimal(v) for v in value] if isinstance(value, list) else Decimal(value)
        if not OPERATORS[condition["op"]](fact, value):
            raw = condition["value"]
            shown = ", ".join(map(str, raw)) if isinstance(raw, list) else raw
            return f"{condition['field']} is {facts.get(condition['field']) or 'empty'}, " \
                   f"not {condition['op'].replace('_', ' ')} {shown}"  # fmt: skip
    return ""


def _label(field: str, value: Any) -> str:
    """A value as people read it ("2 bedrooms", not "two_bedrooms")."""
    enum = {"opportunity.source": LeadSource, "opportunity.priority": Priority,
            "opportunity.service": Service, "opportunity.move_size": MoveSize,
            "customer.type": CustomerType, "event.outcome": Outcome,
            "event.activity_kind": ActivityKind}.get(field)  # fmt: skip
    if enum is None and field.endswith("status"):
        enum = OpportunityStatus
    if enum is None:
        return str(value)
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value)


def condition_text(condition: dict[str, Any]) -> str:
    """ "Source is Website", "Move size is one of 4 bedrooms, 5 bedrooms"."""
    field, op, value = condition["field"], condition["op"], condition["value"]
    words = {"equals": "is", "not_equals": "is not", "in": "is one of", "not_in": "is none of",
             "greater_than": "is more than", "less_than": "is less than"}[op]  # fmt: skip
    shown = ", ".join(_label(field, v) for v in value) if isinstance(value, list) else (
        _label(field, value))  # fmt: skip
    return f"{FIELDS[field].label} {words} {shown}"


def _delay_text(hours: float) -> str:
    if not hours:
        return "At once"
    if hours >= 48 and hours % 24 == 0:
        return f"After {int(hours // 24)} days"
    return f"After {hours:g} h"


def action_text(action: dict[str, Any], people: Mapping[str, str]) -> str:
    """ "After 1 h: a call “Call the new website lead” for the salesperson". `people` maps
    user ids to names."""

    def who(spec: str) -> str:
        return {"": "the salesperson", "salesperson": "the salesperson",
                "customer_owner": "the customer's salesperson",
                "round_robin": "the next salesperson in turn",
                "managers": "the managers"}.get(spec) or people.get(spec, "a former user")  # fmt: skip

    kind = action["type"]
    if kind == "create_activity":
        what = f"a {ActivityKind(action['kind']).label.lower()} “{action['subject']}” for " \
               f"{who(action.get('assign_to', ''))}"  # fmt: skip
    elif kind == "send_customer":
        by = {"email": " by e-mail", "sms": " by text"}.get(action.get("channel", ""), "")
        what = f"send the customer “{action['template'].replace('customer_', '').replace('_', ' ')}”{by}"
    elif kind == "notify_user":
        what = f"tell {who(action['who'])}: {action['message']}"
    elif kind == "assign_salesperson":
        what = f"give it to {who(action['to'])}"
    else:
        what = f"move it to {OpportunityStatus(action['status']).label.lower()}"
    return f"{_delay_text(action.get('delay_hours', 0))}: {what}"
