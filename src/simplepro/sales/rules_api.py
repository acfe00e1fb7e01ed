"""Follow-up rules over the API: list, create, change, test on an opportunity, and the
record of their runs. Administrators (sales.configure) edit; the checks are the rules'
own (simplepro.sales.rules), so the page and the API refuse the same mistakes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Status

from simplepro.accounts.schemas import Out, StrictIn
from simplepro.core.api import PROBLEM, reject_nulls, require
from simplepro.core.problems import NotFound
from simplepro.sales import automation, rules_admin, selectors
from simplepro.sales.models import FollowUpRule, RuleRun

router = Router(tags=["sales"])
TriggerName = Literal[
    "opportunity_created", "status_changed", "quote_sent", "quote_viewed",
    "activity_completed", "no_activity",
]  # fmt: skip


class RuleIn(StrictIn):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=500)
    trigger: TriggerName
    inactive_days: int | None = Field(None, ge=1, le=365, strict=True)
    # Checked item by item by simplepro.sales.rules (422 naming e.g. "actions[1].kind").
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    actions: list[dict[str, Any]]
    position: int = Field(10, ge=0, le=1000)
    is_active: bool = True


class RulePatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=500)
    trigger: TriggerName | None = None
    inactive_days: int | None = Field(None, ge=1, le=365, strict=True)
    conditions: list[dict[str, Any]] | None = None
    actions: list[dict[str, Any]] | None = None
    position: int | None = Field(None, ge=0, le=1000)
    is_active: bool | None = None


class RuleOut(Out):
    id: UUID
    key: str
    name: str
    description: str
    trigger: str
    inactive_days: int | None
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    position: int
    is_active: bool
    updated_at: datetime


class RuleTestIn(StrictIn):
    opportunity_id: UUID


class StepPreviewOut(Out):
    position: int
    type: str
    delay_hours: float
    due_at: datetime
    status: Literal["would_do", "would_skip"]
    outcome: str


class RuleTestOut(Out):
    rule_id: UUID
    opportunity_id: UUID
    matched: bool
    why_not: str
    event: dict[str, Any]
    steps: list[StepPreviewOut]


class StepOut(Out):
    position: int
    type: str
    due_at: datetime
    status: str
    outcome: str
    done_at: datetime | None


class RunOut(Out):
    id: int
    rule_id: UUID
    rule: str
    opportunity_id: UUID
    trigger: str
    at: datetime
    matched: bool
    why_not: str
    steps: list[StepOut]


def _rule(rule_id: UUID) -> FollowUpRule:
    rule = FollowUpRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("follow-up rule")
    return rule


@router.get("", response={200: list[RuleOut], **PROBLEM})
def rule_list(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, "sales.configure")
    return [rules_admin.rule_out(rule) for rule in FollowUpRule.objects.all()]


@router.post("", response={201: RuleOut, **PROBLEM})
def rule_create(request: HttpRequest, payload: RuleIn) -> Status[dict[str, Any]]:
    user = require(request, "sales.configure")
    rule = rules_admin.rule_save(actor=user, rule=None, data=payload.model_dump())
    return Status(201, rules_admin.rule_out(rule))


@router.get("/runs", response={200: list[RunOut], **PROBLEM})
def run_list(
    request: HttpRequest, opportunity_id: UUID | None = None, rule_id: UUID | None = None
) -> list[dict[str, Any]]:
    """The newest 100 runs, of one opportunity or one rule."""
    require(request, "sales.configure")
    runs = RuleRun.objects.select_related("rule").prefetch_related("steps")
    if opportunity_id:
        runs = runs.filter(opportunity_id=opportunity_id)
    if rule_id:
        runs = runs.filter(rule_id=rule_id)
    return [rules_admin.run_out(run) for run in runs[:100]]


@router.get("/{rule_id}", response={200: RuleOut, **PROBLEM})
def rule_detail(request: HttpRequest, rule_id: UUID) -> dict[str, Any]:
    require(request, "sales.configure")
    return rules_admin.rule_out(_rule(rule_id))


@router.patch("/{rule_id}", response={200: RuleOut, **PROBLEM})
def rule_update(request: HttpRequest, rule_id: UUID, payload: RulePatch) -> dict[str, Any]:
    user = require(request, "sales.configure")
    changes = payload.model_dump(exclude_unset=True)
    reject_nulls(changes, nullable=frozenset({"inactive_days"}))
    rule = rules_admin.rule_save(actor=user, rule=_rule(rule_id), data=changes)
    return rules_admin.rule_out(rule)


@router.post("/{rule_id}/test", response={200: RuleTestOut, **PROBLEM})
def rule_test(request: HttpRequest, rule_id: UUID, payload: RuleTestIn) -> dict[str, Any]:
    """What the rule would do for the opportunity if its trigger happened now; nothing is
    written, nobody is told."""
    user = require(request, "sales.configure")
    rule = _rule(rule_id)
    opportunity = (
        selectors.visible_opportunities(viewer=user).filter(pk=payload.opportunity_id).first()
    )
    if opportunity is None:
        raise NotFound("opportunity")
    return automation.rule_test(rule, opportunity)
