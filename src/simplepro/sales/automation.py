"""Follow-up rules, run for real (simplepro.sales.rules is their language).

When something happens to an opportunity (`fire`, from the listeners at the bottom and in
simplepro.sales.listeners), every active rule for that trigger is run once for that
occasion: a `RuleRun` records whether its conditions held and why not, and each action
becomes a `RuleStep` due `delay_hours` after the trigger.

- A step due now is done at once, inside the change's transaction (a savepoint: an action
  that fails leaves nothing half-written and does not stop the change).
- A later step is a task scheduled for its due time (`rule_step`). The queue keeps it on
  Redis (or its SQLite file) across worker restarts, and the sweep (`due_steps_run`, every
  few minutes) does any step the queue lost. Either way the step is done under a row lock
  and only while pending, so it happens once.
- When a delayed step is due its rule is read again: the rule turned off, its conditions no
  longer holding, or the opportunity having moved on (won since a "call the lead" was
  scheduled; no longer lost when the re-engagement is due) skip it, and the step says why.

`rule_test` says what a rule would do for an opportunity, writing nothing.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from simplepro.accounts.models import Role, User
from simplepro.accounts.services import company_get
from simplepro.core import metrics
from simplepro.core.events import listen
from simplepro.core.problems import ProblemError
from simplepro.core.queue import task
from simplepro.messaging.automatic import customer_send
from simplepro.messaging.models import Conversation
from simplepro.messaging.outbound import reply_fields
from simplepro.notifications.catalogue import CATALOGUE
from simplepro.notifications.services import notify
from simplepro.notifications.wording import wordings
from simplepro.sales import services
from simplepro.sales.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActivityKind,
    FollowUpRule,
    Opportunity,
    RuleRun,
    RuleStep,
    RuleTrigger,
)
from simplepro.sales.rules import unmet

logger = logging.getLogger(__name__)
T = RuleTrigger
Step = RuleStep.Status
# A rule's action may set off rules of its own (a status change); past this depth it does
# not, so two rules that answer each other cannot loop.
MAX_DEPTH = 3
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("rule_depth", default=0)
# Templates a rule may send a customer: the ones worded for customers that are about sales.
CUSTOMER_TEMPLATES = frozenset({"customer_follow_up", "customer_re_engage"})


class Skip(Exception):
    """The action cannot or should not be done; the message says why (shown on the run)."""


def facts(opportunity: Opportunity, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "opportunity.source": opportunity.source,
        "opportunity.priority": opportunity.priority,
        "opportunity.status": opportunity.status,
        "opportunity.service": opportunity.service,
        "opportunity.move_size": opportunity.move_size,
        "opportunity.estimated_value": opportunity.estimated_value,
        "customer.type": opportunity.customer.type,
        **{f"event.{key}": value for key, value in event.items()},
    }


@contextmanager
def _deeper() -> Iterator[None]:
    token = _depth.set(_depth.get() + 1)
    try:
        yield
    finally:
        _depth.reset(token)


# --- running rules ---------------------------------------------------------------------


def fire(
    trigger: str, opportunity_id: Any, *, occasion: str, event: dict[str, Any] | None = None
) -> list[RuleRun]:
    """Run the active rules for `trigger` on the opportunity (inside the caller's
    transaction), once per `occasion`."""
    if _depth.get() >= MAX_DEPTH:
        logger.warning("rule_depth_reached", extra={"trigger": trigger})
        return []
    rules = list(FollowUpRule.objects.filter(trigger=trigger, is_active=True))
    if not rules:
        return []
    opportunity = services.opportunity_locked(opportunity_id)
    event = {**(event or {}), "status": opportunity.status}
    runs = []
    for rule in rules:
        run = _run(rule, opportunity, occasion=occasion, event=event)
        if run is not None:
            runs.append(run)
    return runs


def _run(
    rule: FollowUpRule, opportunity: Opportunity, *, occasion: str, event: dict[str, Any]
) -> RuleRun | None:
    why = unmet(rule.conditions, facts(opportunity, event))
    run, made = RuleRun.objects.get_or_create(
        rule=rule, opportunity=opportunity, occasion=occasion[:120],
        defaults={"trigger": rule.trigger, "event": event, "matched": not why,
                  "why_not": why[:300]},
    )  # fmt: skip
    metrics.RULE_RUNS.labels(rule=rule.key or "custom", matched=str(not why).lower()).inc()
    if not made or why:
        return run if made else None
    now = timezone.now()
    for position, action in enumerate(rule.actions):
        step = RuleStep.objects.create(
            run=run, position=position, action=action,
            due_at=now + dt.timedelta(hours=action.get("delay_hours", 0)),
        )  # fmt: skip
        if step.due_at <= now:
            _perform(step, run, rule, opportunity, recheck=False)
        else:
            transaction.on_commit(partial(_schedule, step))
    return run


def _schedule(step: RuleStep) -> None:
    try:
        rule_step.schedule(args=(step.pk,), eta=step.due_at)
    except Exception:
        # The step is in the database: the sweep does it when due even if the queue is down.
        logger.exception("rule_step_not_queued", extra={"step": step.pk})


def _perform(
    step: RuleStep, run: RuleRun, rule: FollowUpRule, opportunity: Opportunity, *, recheck: bool
) -> None:
    """Do one pending step now and record what happened."""
    try:
        if recheck:
            _still_wanted(run, rule, opportunity)
        with transaction.atomic(), _deeper():
            step.outcome = ACTIONS[step.action["type"]](
                _Doing(step.action, rule, opportunity, step.due_at, step)
            )
        step.status = Step.DONE
    except Skip as skip:
        step.status, step.outcome = Step.SKIPPED, str(skip)
    except ProblemError as problem:
        step.status, step.outcome = Step.SKIPPED, problem.explanation
    except Exception as exc:
        logger.exception("rule_step_failed", extra={"step": step.pk, "rule": rule.key})
        step.status, step.outcome = Step.FAILED, f"failed: {type(exc).__name__}"
    step.outcome = step.outcome[:300]
    step.done_at = timezone.now()
    step.save(update_fields=["status", "outcome", "done_at"])
    metrics.RULE_STEPS.labels(action=step.action["type"], status=step.status).inc()


def _still_wanted(run: RuleRun, rule: FollowUpRule, opportunity: Opportunity) -> None:
    """What a delayed step re-reads when due; raises Skip saying what changed."""
    if not rule.is_active:
        raise Skip("the rule was turned off since")
    was, now = run.event.get("status"), opportunity.status
    if run.trigger == T.STATUS_CHANGED:
        wanted = run.event.get("new_status")
        if now != wanted:
            raise Skip(f"the opportunity is {now} now, no longer {wanted}")
    elif was in OPEN_STATUSES and now in CLOSED_STATUSES:
        raise Skip(f"the opportunity was {now} since")
    why = unmet(rule.conditions, facts(opportunity, run.event))
    if why:
        raise Skip(f"its conditions no longer hold: {why}")


def step_run(step_id: int) -> str:
    """Do a due step (the task and the sweep); what became of it."""
    with transaction.atomic(durable=True):
        step = (
            RuleStep.objects.select_for_update(of=("self",))
            .select_related("run__rule")
            .filter(pk=step_id)
            .first()
        )
        if step is None:
            return "gone"
        if step.status != Step.PENDING:
            return f"already {step.status}"
        if step.due_at > timezone.now():
            return "not due"
        opportunity = services.opportunity_locked(step.run.opportunity_id)
        _perform(step, step.run, step.run.rule, opportunity, recheck=True)
        return step.status


@task(name="sales.rule_step")
def rule_step(step_id: int) -> str:
    return step_run(step_id)


# How late a step may be before the sweep does it itself: the scheduled task had its chance.
SWEEP_GRACE = dt.timedelta(minutes=2)


def due_steps_run(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Every pending step overdue by more than the grace: the ones the queue lost (a Redis
    restart without persistence, a task dropped after its retries). How many were done."""
    cutoff = (now or timezone.now()) - SWEEP_GRACE
    due = list(
        RuleStep.objects.filter(status=Step.PENDING, due_at__lte=cutoff)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    for step_id in due:
        step_run(step_id)
    return len(due)


def quiet_opportunities_fire(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The no-activity rules: each open opportunity quiet for the rule's days, once per quiet
    spell (a new activity starts a new one). How many runs were made."""
    now = now or timezone.now()
    made = 0
    for rule in FollowUpRule.objects.filter(trigger=T.NO_ACTIVITY, is_active=True):
        quiet = (
            Opportunity.objects.filter(
                status__in=OPEN_STATUSES,
                last_activity_at__lte=now - dt.timedelta(days=rule.inactive_days or 7),
            )
            .exclude(
                Exists(
                    RuleRun.objects.filter(
                        rule=rule, opportunity=OuterRef("pk"), at__gte=OuterRef("last_activity_at")
                    )
                )
            )
            .values_list("pk", "last_activity_at")[:limit]
        )
        for opportunity_id, since in quiet:
            with transaction.atomic(durable=True):
                runs = fire(
                    T.NO_ACTIVITY, opportunity_id, occasion=f"quiet_since:{since.isoformat()}",
                    event={"quiet_days": (now - since).days},
                )  # fmt: skip
                made += len(runs)
    return made


# --- actions ---------------------------------------------------------------------------


@dataclass
class _Doing:
    """One action about to be done (`step` set) or described for a test (`step` None)."""

    action: dict[str, Any]
    rule: FollowUpRule
    opportunity: Opportunity
    due_at: dt.datetime
    step: RuleStep | None

    @property
    def dry(self) -> bool:
        return self.step is None

    def said(self, what: str) -> str:
        return f"would {what}" if self.dry else what


def _person(spec: str, doing: _Doing) -> User | None:
    opportunity = doing.opportunity
    if spec in ("", "salesperson"):
        return opportunity.salesperson
    if spec == "customer_owner":
        return opportunity.customer.assigned_salesperson
    if spec == "round_robin":
        return services.rotation_peek() if doing.dry else services.next_in_rotation()
    return User.objects.filter(pk=spec, is_active=True).first()


def _create_activity(doing: _Doing) -> str:
    action = doing.action
    person = _person(action.get("assign_to", ""), doing)
    if person is None:
        raise Skip("nobody to give it to: the opportunity has no salesperson")
    kind = ActivityKind(action["kind"]).label.lower()
    text = f"{kind} “{action['subject']}” for {person.display_name}"
    if not doing.dry:
        services.activity_insert(
            actor=None, opportunity=doing.opportunity, kind=action["kind"],
            subject=action["subject"], description=action.get("description", ""),
            due_at=doing.due_at, assignee_id=person.pk,
            automatic=(doing.rule.key or str(doing.rule.pk))[:60],
        )  # fmt: skip
    return doing.said(f"create the {text}")


def _customer_context(opportunity: Opportunity) -> dict[str, Any]:
    salesperson = opportunity.salesperson
    return {
        "customer": opportunity.customer.name,
        "company": company_get().name,
        "salesperson": salesperson.display_name if salesperson else company_get().name,
        "move": services.describe(opportunity),
    }


def _send_customer(doing: _Doing) -> str:
    action, customer = doing.action, doing.opportunity.customer
    channel = "" if action.get("channel", "auto") == "auto" else action["channel"]
    context = _customer_context(doing.opportunity)
    if doing.dry:
        thread = Conversation.objects.filter(customer=customer).first() or Conversation(
            customer=customer, kind=Conversation.Kind.CUSTOMER
        )
        fields = reply_fields(thread, channel=channel)
        worded = wordings(action["template"], {fields["channel"]}, context)[fields["channel"]]
        return f"would send “{worded.subject or worded.text[:60]}” by {fields['channel']} " \
               f"to {fields['address']}"  # fmt: skip
    assert doing.step is not None
    message = customer_send(
        customer=customer, event=action["template"], key=f"rule-step:{doing.step.pk}",
        context=context, channel=channel,
    )  # fmt: skip
    if message is None:
        raise Skip("sent before")
    return f"sent {CATALOGUE[action['template']].label.lower()} by {message.channel} " \
           f"to {message.address}"  # fmt: skip


def _notify_user(doing: _Doing) -> str:
    who = doing.action["who"]
    if who == "managers":
        people = list(User.objects.filter(role=Role.MANAGER, is_active=True)) or list(
            User.objects.filter(role=Role.ADMIN, is_active=True)
        )
    else:
        person = _person(who, doing)
        people = [person] if person else []
    if not people:
        raise Skip(f"nobody to notify ({who})")
    names = ", ".join(p.display_name for p in people)
    if not doing.dry:
        assert doing.step is not None
        notify(
            recipients=people, event="sales_follow_up",
            context={"message": doing.action["message"],
                     "customer": doing.opportunity.customer.name,
                     "move": services.describe(doing.opportunity), "rule": doing.rule.name},
            link=f"/sales/opportunities/{doing.opportunity.pk}/",
            key=f"rule-step:{doing.step.pk}",
        )  # fmt: skip
    return doing.said(f"notify {names}: {doing.action['message']}")


def _assign_salesperson(doing: _Doing) -> str:
    person = _person(doing.action["to"], doing)
    if person is None:
        raise Skip("no active salesperson to assign")
    if person.pk == doing.opportunity.salesperson_id:
        raise Skip(f"already {person.display_name}'s")
    if not doing.dry:
        services.salesperson_assign(doing.opportunity, person, actor=None)
    return doing.said(f"give the opportunity to {person.display_name}")


def _change_status(doing: _Doing) -> str:
    to, opportunity = doing.action["status"], doing.opportunity
    if opportunity.status == to:
        raise Skip(f"already {to}")
    if to not in opportunity.allowed_next():
        raise Skip(f"an opportunity that is {opportunity.status} cannot become {to}")
    if not doing.dry:
        services.pipeline_move(opportunity, to, actor=None, reason=doing.action.get("reason", ""))
    return doing.said(f"move it to {to}")


ACTIONS: dict[str, Callable[[_Doing], str]] = {
    "create_activity": _create_activity,
    "send_customer": _send_customer,
    "notify_user": _notify_user,
    "assign_salesperson": _assign_salesperson,
    "change_status": _change_status,
}


def rule_test(rule: FollowUpRule, opportunity: Opportunity) -> dict[str, Any]:
    """What `rule` would do for `opportunity` if its trigger happened now: whether its
    conditions hold (and which does not) and, for each action, what and when. Writes
    nothing (a round-robin is peeked at, not advanced)."""
    opportunity = (
        Opportunity.objects.select_related("customer", "salesperson",
                                           "customer__assigned_salesperson")
        .get(pk=opportunity.pk)
    )  # fmt: skip
    event = _sample_event(rule, opportunity)
    why = unmet(rule.conditions, facts(opportunity, event))
    now = timezone.now()
    steps = []
    for position, action in enumerate(rule.actions):
        due = now + dt.timedelta(hours=action.get("delay_hours", 0))
        try:
            said = ACTIONS[action["type"]](_Doing(action, rule, opportunity, due, None))
            status = "would_do"
        except Skip as skip:
            said, status = str(skip), "would_skip"
        except ProblemError as problem:
            said, status = problem.explanation, "would_skip"
        steps.append({"position": position, "type": action["type"],
                      "delay_hours": action.get("delay_hours", 0), "due_at": due,
                      "status": status, "outcome": said})  # fmt: skip
    return {"rule_id": rule.pk, "opportunity_id": opportunity.pk, "matched": not why,
            "why_not": why, "event": event, "steps": steps if not why else []}  # fmt: skip


def _sample_event(rule: FollowUpRule, opportunity: Opportunity) -> dict[str, Any]:
    """The event a test pretends happened: the status the rule waits for, the outcome it
    asks about, the opportunity's own figures."""
    wanted = {c["field"]: c["value"] for c in rule.conditions if c["op"] == "equals"}
    event: dict[str, Any] = {"status": opportunity.status}
    if rule.trigger == T.STATUS_CHANGED:
        event["new_status"] = wanted.get("event.new_status", opportunity.status)
        event["previous_status"] = wanted.get("event.previous_status", opportunity.status)
    elif rule.trigger == T.ACTIVITY_COMPLETED:
        event["outcome"] = wanted.get("event.outcome", "reached")
        event["activity_kind"] = wanted.get("event.activity_kind", "call")
    elif rule.trigger == T.QUOTE_SENT:
        event["quote_total"] = str(opportunity.estimated_value or 0)
    return event


# --- triggers from the pipeline's own events -------------------------------------------


@listen("opportunity.changed")
def on_opportunity_changed(data: dict[str, Any]) -> None:
    opportunity, what = data["opportunity"], data["what"]
    if what == "created":
        fire(T.OPPORTUNITY_CREATED, opportunity["id"], occasion="created")
    elif what.startswith("status:"):
        fire(
            T.STATUS_CHANGED, opportunity["id"],
            occasion=f"status:{data.get('previous_status')}>{opportunity['status']}:"
                     f"{timezone.now().isoformat()}",
            event={"new_status": opportunity["status"],
                   "previous_status": data.get("previous_status")},
        )  # fmt: skip


@listen("activity.changed")
def on_activity_changed(data: dict[str, Any]) -> None:
    activity = data["activity"]
    if activity.get("what") == "completed":
        fire(
            T.ACTIVITY_COMPLETED, activity["opportunity_id"], occasion=f"activity:{activity['id']}",
            event={"outcome": activity.get("outcome"), "activity_kind": activity.get("kind")},
        )  # fmt: skip
