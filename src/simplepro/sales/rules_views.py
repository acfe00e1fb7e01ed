"""The follow-up rules pages: the list, one rule's editor with its recent runs, and "test
this rule" on an opportunity. The editor posts rows of conditions and actions; they are
checked by the same code as the API (simplepro.sales.rules), so the page shows the same
field-by-field mistakes."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from simplepro.accounts.models import User
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.notifications.catalogue import CATALOGUE
from simplepro.sales import automation, rules_admin, selectors
from simplepro.sales.models import (
    OPEN_STATUSES,
    ActivityKind,
    FollowUpRule,
    OpportunityStatus,
    RuleRun,
    RuleTrigger,
)
from simplepro.sales.rules import ACTION_TYPES, FIELDS, OPERATORS, action_text, condition_text

BLANK_ROWS = 2
# The one form field that names a person, whichever parameter the action calls it.
PERSON_PARAMS = ("assign_to", "to", "who")


def _people() -> dict[str, str]:
    return {str(pk): name for pk, name in
            ((u.pk, u.display_name) for u in User.objects.filter(is_active=True))}  # fmt: skip


def rule_view(rule: FollowUpRule, people: dict[str, str]) -> dict[str, Any]:
    return {
        "obj": rule,
        "trigger": RuleTrigger(rule.trigger).label
        + (f" ({rule.inactive_days} days)" if rule.inactive_days else ""),
        "conditions": [condition_text(c) for c in rule.conditions],
        "actions": [action_text(a, people) for a in rule.actions],
    }


class RuleListView(PermissionRequiredMixin, View):
    permission = "sales.configure"

    def get(self, request: HttpRequest) -> HttpResponse:
        people = _people()
        week = timezone.now() - dt.timedelta(days=7)
        rules = [
            rule_view(rule, people) | {"runs": rule.runs.filter(at__gte=week, matched=True).count()}
            for rule in FollowUpRule.objects.all()
        ]
        return render(request, "sales/rules.html", {"rules": rules})


def _rows(post: QueryDict, prefix: str) -> list[dict[str, str]]:
    rows = []
    for index in range(20):
        start = f"{prefix}-{index}-"
        row = {key[len(start):]: str(post.get(key, "")).strip() for key in post
               if key.startswith(start)}  # fmt: skip
        if row:
            rows.append(row)
    return rows


def _condition(row: dict[str, str]) -> dict[str, Any] | None:
    if not row.get("field"):
        return None
    value: Any = row.get("value", "")
    if row.get("op") in ("in", "not_in"):
        value = [v.strip() for v in value.split(",") if v.strip()]
    return {"field": row["field"], "op": row.get("op", "equals"), "value": value}


def _action(row: dict[str, str]) -> dict[str, Any] | None:
    kind = ACTION_TYPES.get(row.get("type", ""))
    if kind is None:
        return None
    action: dict[str, Any] = {"type": row["type"], "delay_hours": row.get("delay_hours") or 0}
    for name in kind.params:
        value = row.get("person") if name in PERSON_PARAMS else row.get(name)
        if value:
            action[name] = value
    return action


def rule_from_post(post: QueryDict) -> dict[str, Any]:
    """The editor's rows as the API's JSON (blank rows dropped)."""
    days = str(post.get("inactive_days", "")).strip()
    position = str(post.get("position", ""))
    return {
        "name": post.get("name", "").strip(),
        "description": post.get("description", "").strip(),
        "trigger": post.get("trigger", ""),
        "inactive_days": int(days) if days.isdigit() else None,
        "position": int(position) if position.isdigit() else 10,
        "is_active": bool(post.get("is_active")),
        "conditions": [c for c in map(_condition, _rows(post, "condition")) if c],
        "actions": [a for a in map(_action, _rows(post, "action")) if a],
    }


class RuleEditView(PermissionRequiredMixin, View):
    """One rule: its editor, a test on an opportunity, and its last runs."""

    permission = "sales.configure"

    def _rule(self, rule_id: UUID | None) -> FollowUpRule | None:
        if rule_id is None:
            return None
        rule = FollowUpRule.objects.filter(pk=rule_id).first()
        if rule is None:
            raise Http404("No such rule.")
        return rule

    def _page(self, request: HttpRequest, rule: FollowUpRule | None, **extra: Any) -> HttpResponse:
        people = _people()
        data = extra.pop("data", None) or (
            rules_admin.rule_out(rule) if rule else {"actions": [], "conditions": [],
                                                     "is_active": True, "position": 10})  # fmt: skip
        for action in data["actions"]:
            action["person"] = next((action[p] for p in PERSON_PARAMS if p in action), "")
        context = {
            "rule": rule, "data": data,
            "view": rule_view(rule, people) if rule else None,
            "condition_rows": [*data["conditions"], *[{}] * BLANK_ROWS],
            "action_rows": [*data["actions"], *[{}] * BLANK_ROWS],
            "triggers": RuleTrigger.choices,
            "fields": [(key, fact.label) for key, fact in FIELDS.items()],
            "operators": [(op, op.replace("_", " ")) for op in OPERATORS],
            "action_types": [(key, kind.label) for key, kind in ACTION_TYPES.items()],
            "kinds": ActivityKind.choices, "statuses": OpportunityStatus.choices,
            "templates": [(k, CATALOGUE[k].label) for k in sorted(automation.CUSTOMER_TEMPLATES)],
            "people": [("salesperson", "The salesperson"),
                       ("customer_owner", "The customer's salesperson"),
                       ("round_robin", "The next salesperson in turn"),
                       ("managers", "The managers (for a notification)"),
                       *sorted(people.items(), key=lambda p: p[1])],
            "opportunities": selectors.visible_opportunities(viewer=request.user)  # type: ignore[arg-type]
            .filter(status__in=OPEN_STATUSES).select_related("customer")
            .order_by("-updated_at")[:50],
            "runs": RuleRun.objects.filter(rule=rule).select_related("opportunity__customer")
            .prefetch_related("steps")[:20] if rule else [],
            **extra,
        }  # fmt: skip
        return render(request, "sales/rule_edit.html", context)

    def get(self, request: HttpRequest, rule_id: UUID | None = None) -> HttpResponse:
        return self._page(request, self._rule(rule_id))

    def post(self, request: HttpRequest, rule_id: UUID | None = None) -> HttpResponse:
        rule = self._rule(rule_id)
        assert isinstance(request.user, User)
        if rule is not None and request.POST.get("test_opportunity"):
            return self._test(request, rule)
        data = rule_from_post(request.POST)
        try:
            saved = rules_admin.rule_save(actor=request.user, rule=rule, data=data)
        except ProblemError as problem:
            return self._page(request, rule, data=data, errors=problem.errors,
                              error=problem.detail)  # fmt: skip
        messages.success(request, f"Rule “{saved.name}” saved.")
        return redirect("follow-up-rule", rule_id=saved.pk)

    def _test(self, request: HttpRequest, rule: FollowUpRule) -> HttpResponse:
        try:
            chosen = UUID(request.POST["test_opportunity"])
        except ValueError:
            raise Http404("No such opportunity.") from None
        assert isinstance(request.user, User)
        opportunity = selectors.visible_opportunities(viewer=request.user).filter(pk=chosen).first()
        if opportunity is None:
            raise Http404("No such opportunity.")
        return self._page(request, rule, test=automation.rule_test(rule, opportunity),
                          tested=opportunity)  # fmt: skip
