"""The company's follow-up rules: saving one (checked by simplepro.sales.rules first), and
what a page or the API shows of a rule and its runs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from simplepro.accounts.models import User
from simplepro.audit.services import audit_record, field_changes
from simplepro.core.problems import invalid
from simplepro.sales.automation import CUSTOMER_TEMPLATES
from simplepro.sales.models import FollowUpRule, RuleRun
from simplepro.sales.rules import rule_clean

EDITABLE = ("name", "description", "trigger", "inactive_days", "conditions", "actions",
            "position", "is_active")  # fmt: skip


def _active_user(value: str) -> bool:
    try:
        return User.objects.filter(pk=uuid.UUID(value), is_active=True).exists()
    except ValueError:
        return False


def rule_save(*, actor: User, rule: FollowUpRule | None, data: Mapping[str, Any]) -> FollowUpRule:
    """Create (`rule` None) or change a rule; every part is checked against the whole rule
    as it will be, so a PATCH of the trigger alone cannot strand its conditions."""
    current = {name: getattr(rule, name) for name in EDITABLE} if rule else {}
    merged = {**current, **{k: v for k, v in data.items() if k in EDITABLE}}
    if not str(merged.get("name") or "").strip():
        raise invalid("name", "required", "A rule needs a name.")
    clean = rule_clean(merged, templates=CUSTOMER_TEMPLATES, users=_active_user)
    with transaction.atomic(durable=True):
        made = rule is None
        rule = rule or FollowUpRule()
        before = {name: getattr(rule, name) for name in EDITABLE} if not made else {}
        rule.name = merged["name"].strip()[:120]
        rule.description = str(merged.get("description") or "")[:500]
        rule.position = int(merged.get("position") or 10)
        rule.is_active = bool(merged.get("is_active", True))
        rule.trigger = clean["trigger"]
        rule.inactive_days = clean["inactive_days"]
        rule.conditions = clean["conditions"]
        rule.actions = clean["actions"]
        rule.updated_by = actor
        rule.save()
        after = {name: getattr(rule, name) for name in EDITABLE}
        audit_record(
            actor=actor, action="create" if made else "update", entity_type="follow_up_rule",
            entity_id=rule.pk, changes=field_changes(before, after, EDITABLE),
        )  # fmt: skip
    return rule


def rule_out(rule: FollowUpRule) -> dict[str, Any]:
    return {
        "id": rule.pk, "key": rule.key, "name": rule.name, "description": rule.description,
        "trigger": rule.trigger, "inactive_days": rule.inactive_days,
        "conditions": rule.conditions, "actions": rule.actions, "position": rule.position,
        "is_active": rule.is_active, "updated_at": rule.updated_at,
    }  # fmt: skip


def run_out(run: RuleRun) -> dict[str, Any]:
    return {
        "id": run.pk, "rule_id": run.rule_id, "rule": run.rule.name,
        "opportunity_id": run.opportunity_id, "trigger": run.trigger, "at": run.at,
        "matched": run.matched, "why_not": run.why_not,
        "steps": [{"position": s.position, "type": s.action["type"], "due_at": s.due_at,
                   "status": s.status, "outcome": s.outcome, "done_at": s.done_at}
                  for s in run.steps.all()],
    }  # fmt: skip
