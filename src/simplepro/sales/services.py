"""Every write of the sales pipeline: opportunities and their status, activities, estimates
quoted for an opportunity, and the funnel events each step leaves.

Entry points (what views, the API, tasks and listeners call) validate first, then write the
change, its audit record and its funnel event in one transaction. The pipeline is an
explicit state machine (`models.TRANSITIONS`): an illegal move is a 409 naming the allowed
ones, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from simplepro.accounts.models import Role, User
from simplepro.accounts.permissions import (
    OWN_OPPORTUNITIES_ONLY,
    opportunity_readers_filter,
)
from simplepro.accounts.selectors import salespeople
from simplepro.accounts.services import company_get
from simplepro.audit.services import audit_record, field_changes
from simplepro.core import metrics
from simplepro.core.events import publish_on_commit
from simplepro.core.problems import Conflict, Forbidden, ProblemError, invalid
from simplepro.customers.models import Customer
from simplepro.estimates.models import Estimate, EstimateStatus
from simplepro.notifications.services import notify
from simplepro.pricing.money import cents, money_text
from simplepro.sales import funnel
from simplepro.sales.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Activity,
    CloseReason,
    FunnelEvent,
    FunnelStage,
    Opportunity,
    OpportunityEstimate,
    OpportunityStatus,
    Outcome,
    SalesTurn,
)

S = OpportunityStatus
# A done activity of these kinds with these outcomes means someone spoke to the customer.
CONTACT_KINDS = frozenset({"call", "email", "text", "meeting"})
CONTACT_OUTCOMES = frozenset({"reached", "callback_requested", "converted"})
# What a person may set on an opportunity directly (status has its own service).
EDITABLE_FIELDS = (
    "service", "move_date", "flexibility", "move_size", "origin", "destination", "source",
    "campaign", "priority", "estimated_value", "notes",
)  # fmt: skip
AUDITED_FIELDS = (*EDITABLE_FIELDS, "salesperson_id", "status", "close_reason", "job_id")


def _snapshot(opportunity: Opportunity) -> dict[str, Any]:
    values = {name: getattr(opportunity, name) for name in AUDITED_FIELDS}
    for name, value in values.items():
        if isinstance(value, (UUID, Decimal, dt.date)):
            values[name] = str(value)
    return values


# --- who works a lead ------------------------------------------------------------------


def active_salespeople() -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.SALES).order_by("pk"))


def _turn_after(people: list[User], last_id: Any) -> User:
    after = [p for p in people if last_id is not None and p.pk > last_id]
    return after[0] if after else people[0]


def next_in_rotation() -> User | None:
    """The next salesperson in turn (by id order, wrapping). The turn row is locked until
    the caller's transaction ends, so two leads arriving together go to two people."""
    people = active_salespeople()
    if not people:
        return None
    SalesTurn.objects.get_or_create(pk=1)
    turn = SalesTurn.objects.select_for_update(of=("self",)).get(pk=1)
    chosen = _turn_after(people, turn.last_user_id)
    turn.last_user = chosen
    turn.save(update_fields=["last_user"])
    return chosen


def rotation_peek() -> User | None:
    """Whose turn is next, without taking it (a rule's test run)."""
    people = active_salespeople()
    if not people:
        return None
    last = SalesTurn.objects.filter(pk=1).values_list("last_user_id", flat=True).first()
    return _turn_after(people, last)


def _salesperson(actor: User | None, requested: UUID | None, customer: Customer) -> User | None:
    """Explicit choice, else the customer's own salesperson, else the rotation. A
    salesperson creating an opportunity works it themselves."""
    if actor is not None and actor.role in OWN_OPPORTUNITIES_ONLY:
        if requested is not None and requested != actor.pk:
            raise Forbidden("A salesperson can only work their own opportunities.")
        return actor
    if requested is not None:
        person = salespeople().filter(pk=requested).first()
        if person is None:
            raise invalid("salesperson_id", "invalid_choice", "No active salesperson has this id.")
        return person
    owner = customer.assigned_salesperson
    if owner is not None and owner.is_active:
        return owner
    return next_in_rotation()


# --- funnel and announcements ----------------------------------------------------------


def funnel_record(
    opportunity: Opportunity, stage: str, *, value: Decimal | None = None,
    at: dt.datetime | None = None,
) -> bool:  # fmt: skip
    """Record that `opportunity` reached `stage`, once (later repeats are not new steps).
    Whether it was recorded now."""
    try:
        with transaction.atomic():
            event = FunnelEvent.objects.create(
                stage=stage, opportunity=opportunity, at=at or timezone.now(),
                source=opportunity.source, salesperson_id=opportunity.salesperson_id,
                move_size=opportunity.move_size, value=value,
            )  # fmt: skip
    except IntegrityError:
        return False
    funnel.rollup_add(event)
    return True


def opportunity_audience(opportunity: Opportunity) -> list[UUID]:
    who = opportunity_readers_filter(opportunity.salesperson_id)
    return list(User.objects.filter(who, is_active=True).values_list("pk", flat=True))


def announce(opportunity: Opportunity, *, actor: User | None, what: str, **extra: Any) -> None:
    """`opportunity.changed` to its readers (and to the follow-up rules, which listen)."""
    data = {
        **extra,
        "opportunity": {
            "id": opportunity.pk,
            "status": opportunity.status,
            "customer": {"id": opportunity.customer_id, "name": opportunity.customer.name},
            "salesperson_id": opportunity.salesperson_id,
        },
        "what": what,
        "by": actor.display_name if actor else None,
    }
    publish_on_commit("opportunity.changed", opportunity_audience(opportunity), data)


def _touch(opportunity: Opportunity, at: dt.datetime | None = None) -> None:
    opportunity.last_activity_at = at or timezone.now()
    Opportunity.objects.filter(pk=opportunity.pk).update(
        last_activity_at=opportunity.last_activity_at, updated_at=timezone.now()
    )


# --- opportunities ---------------------------------------------------------------------


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = {key: value for key, value in data.items() if key in EDITABLE_FIELDS}
    if clean.get("estimated_value") is not None:
        value = cents(clean["estimated_value"])
        if value < 0:
            raise invalid("estimated_value", "negative", "The estimated value cannot be negative.")
        clean["estimated_value"] = value
    for side in ("origin", "destination"):
        if side in clean:
            clean[side] = {k: v for k, v in dict(clean[side] or {}).items() if v not in ("", None)}
    return clean


def opportunity_insert(
    *, actor: User | None, customer: Customer, data: Mapping[str, Any],
    salesperson_id: UUID | None = None, duplicate: bool = False,
) -> Opportunity:  # fmt: skip
    """Create inside the caller's transaction (lead intake makes the customer first).
    `duplicate`: it came as a lead from someone who is already a customer."""
    opportunity = Opportunity(customer=customer, created_by=actor, **_clean(data))
    opportunity.salesperson = _salesperson(actor, salesperson_id, customer)
    opportunity.save()
    if customer.assigned_salesperson_id is None and opportunity.salesperson_id is not None:
        # The customer follows the opportunity's salesperson, so the customer scope agrees.
        Customer.objects.filter(pk=customer.pk).update(assigned_salesperson=opportunity.salesperson)
        customer.assigned_salesperson = opportunity.salesperson
    audit_record(
        actor=actor, action="create", entity_type="opportunity", entity_id=opportunity.pk,
        changes=field_changes({}, _snapshot(opportunity), AUDITED_FIELDS),
    )  # fmt: skip
    funnel_record(opportunity, FunnelStage.OPPORTUNITY, value=opportunity.estimated_value)
    announce(opportunity, actor=actor, what="created")
    if opportunity.salesperson is not None and opportunity.salesperson != actor:
        _notify_new(opportunity, duplicate=duplicate)
    metrics.OPPORTUNITIES_CREATED.labels(source=opportunity.source or "none").inc()
    return opportunity


def _notify_new(opportunity: Opportunity, *, duplicate: bool = False) -> None:
    notify(
        recipients=[opportunity.salesperson],
        event="lead_assigned",
        context={
            "customer": opportunity.customer.name,
            "source": opportunity.get_source_display() or "the office",
            "move": describe(opportunity),
            "duplicate": "yes" if duplicate else "",
        },
        link=f"/sales/opportunities/{opportunity.pk}/",
    )


def note_repeat_lead(opportunity: Opportunity, *, actor: User | None) -> None:
    """The customer sent another lead for the move already being worked: a note on its
    timeline and a word to its salesperson, not a second opportunity."""
    activity_insert(
        actor=actor, opportunity=opportunity, kind="note",
        subject="The customer sent the lead form again",
    )  # fmt: skip
    if opportunity.salesperson is not None and opportunity.salesperson != actor:
        _notify_new(opportunity, duplicate=True)


def describe(opportunity: Opportunity) -> str:
    """ "2 bedrooms, local move, 14 Jun 2027 (flexible)" — the move in a few words."""
    parts = [opportunity.get_move_size_display(), opportunity.get_service_display().lower()]
    if opportunity.move_date:
        when = opportunity.move_date.strftime("%d %b %Y")
        if opportunity.flexibility != "exact":
            when += f" ({opportunity.get_flexibility_display().lower()})"
        parts.append(when)
    return ", ".join(p for p in parts if p)


def opportunity_create(
    *, actor: User, customer: Customer, data: Mapping[str, Any],
    salesperson_id: UUID | None = None,
) -> Opportunity:  # fmt: skip
    with transaction.atomic(durable=True):
        return opportunity_insert(
            actor=actor, customer=customer, data=data, salesperson_id=salesperson_id
        )


def opportunity_locked(opportunity_id: Any) -> Opportunity:
    """The opportunity, row-locked until the caller's transaction ends, with the people a
    change to it needs (listeners and follow-up rules lock it the same way)."""
    return (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("customer", "salesperson", "customer__assigned_salesperson")
        .get(pk=opportunity_id)
    )


def _locked(opportunity: Opportunity) -> Opportunity:
    return opportunity_locked(opportunity.pk)


def opportunity_update(
    *, actor: User, opportunity: Opportunity, data: Mapping[str, Any],
) -> Opportunity:  # fmt: skip
    """PATCH semantics. `salesperson_id` in `data` reassigns (not by a salesperson)."""
    clean = _clean(data)
    with transaction.atomic(durable=True):
        opportunity = _locked(opportunity)
        before = _snapshot(opportunity)
        reassigned = False
        if "salesperson_id" in data:
            if actor.role in OWN_OPPORTUNITIES_ONLY:
                raise Forbidden("A salesperson cannot reassign an opportunity.")
            requested = data["salesperson_id"]
            person = _salesperson(actor, requested, opportunity.customer) if requested else None
            reassigned = person != opportunity.salesperson
            opportunity.salesperson = person
        for name, value in clean.items():
            setattr(opportunity, name, value)
        changes = field_changes(before, _snapshot(opportunity), AUDITED_FIELDS)
        if not changes:
            return opportunity
        opportunity.last_activity_at = timezone.now()
        opportunity.save()
        audit_record(
            actor=actor, action="update", entity_type="opportunity", entity_id=opportunity.pk,
            changes=changes,
        )  # fmt: skip
        announce(opportunity, actor=actor, what="reassigned" if reassigned else "updated")
        if reassigned and opportunity.salesperson is not None and opportunity.salesperson != actor:
            _notify_new(opportunity)
    return opportunity


def salesperson_assign(opportunity: Opportunity, person: User, *, actor: User | None) -> None:
    """Give a locked opportunity (and, when it has none, its customer) to `person`."""
    before = opportunity.salesperson_id
    opportunity.salesperson = person
    opportunity.save(update_fields=["salesperson", "updated_at"])
    if opportunity.customer.assigned_salesperson_id is None:
        Customer.objects.filter(pk=opportunity.customer_id).update(assigned_salesperson=person)
    audit_record(
        actor=actor, action="update", entity_type="opportunity", entity_id=opportunity.pk,
        changes={"salesperson_id": {"before": str(before) if before else None,
                                    "after": str(person.pk)}},
    )  # fmt: skip
    announce(opportunity, actor=actor, what="reassigned")
    if person != actor:
        _notify_new(opportunity)


def _require_reason(status: str, reason: str) -> None:
    if status not in (S.LOST, S.CANCELLED):
        return
    keys = set(
        CloseReason.objects.filter(kind=status, is_active=True).values_list("key", flat=True)
    )
    if reason not in keys:
        raise ProblemError(
            422,
            f"A {status} opportunity needs a reason.",
            errors=[{"field": "reason", "code": "invalid_choice" if reason else "required",
                     "message": f"Choose one of: {', '.join(sorted(keys))}."}],
            extra={"reasons": sorted(keys)},
        )  # fmt: skip


def _has_accepted_estimate(opportunity: Opportunity) -> bool:
    return (
        opportunity.job_id is not None
        or opportunity.quotes.filter(estimate__status=EstimateStatus.ACCEPTED).exists()
    )


def pipeline_move(
    opportunity: Opportunity, to: str, *, actor: User | None, reason: str = "",
    note: str = "", competitor: str = "", price_difference: Decimal | None = None,
) -> Opportunity:  # fmt: skip
    """Move a locked opportunity along the pipeline (the caller holds the transaction)."""
    allowed = opportunity.allowed_next()
    if to not in allowed:
        raise ProblemError(
            409,
            f"An opportunity that is {opportunity.status} cannot become {to}.",
            extra={"allowed": list(allowed)},
        )
    _require_reason(to, reason)
    if to == S.WON and not _has_accepted_estimate(opportunity):
        raise ProblemError(
            409,
            "An opportunity is won with an accepted estimate or a booked job: "
            "accept its quote or book the job first.",
            extra={"allowed": list(allowed)},
        )
    before = _snapshot(opportunity)
    now = timezone.now()
    opportunity.status = to
    opportunity.close_reason = reason if to in (S.LOST, S.CANCELLED) else ""
    if to in CLOSED_STATUSES:
        opportunity.closed_at = now
        opportunity.close_note = note[:500]
        opportunity.competitor = competitor[:120]
        opportunity.price_difference = (
            cents(price_difference) if price_difference is not None else None
        )
    else:
        opportunity.closed_at = None
    opportunity.last_activity_at = now
    opportunity.save()
    audit_record(
        actor=actor, action="status", entity_type="opportunity", entity_id=opportunity.pk,
        changes={**field_changes(before, _snapshot(opportunity), AUDITED_FIELDS),
                 **({"note": {"before": None, "after": note}} if note else {})},
    )  # fmt: skip
    if to == S.WON:
        funnel_record(opportunity, FunnelStage.WON, value=opportunity.estimated_value)
    elif to == S.LOST:
        funnel_record(opportunity, FunnelStage.LOST)
    announce(opportunity, actor=actor, what=f"status:{to}", previous_status=before["status"])
    metrics.OPPORTUNITY_MOVES.labels(to=to).inc()
    return opportunity


def opportunity_set_status(
    *, actor: User, opportunity: Opportunity, status: str, reason: str = "", note: str = "",
    competitor: str = "", price_difference: Decimal | None = None,
) -> Opportunity:  # fmt: skip
    if status not in S.values:
        raise invalid("status", "invalid_choice", f"Choose one of: {', '.join(S.values)}.")
    with transaction.atomic(durable=True):
        opportunity = _locked(opportunity)
        if opportunity.status == status:
            return opportunity  # already there: a retried request changes nothing
        return pipeline_move(
            opportunity, status, actor=actor, reason=reason, note=note,
            competitor=competitor, price_difference=price_difference,
        )  # fmt: skip


def opportunity_for_estimate(estimate_id: Any) -> Opportunity | None:
    link = (
        OpportunityEstimate.objects.select_related("opportunity__customer")
        .filter(estimate_id=estimate_id)
        .first()
    )
    return link.opportunity if link else None


def estimate_link(*, actor: User | None, opportunity: Opportunity, estimate: Estimate) -> None:
    """Quote `estimate` for `opportunity` (inside the caller's transaction). An estimate is
    quoted for one opportunity of its own customer."""
    if estimate.customer_id != opportunity.customer_id:
        raise invalid("estimate_id", "other_customer", "The estimate is for another customer.")
    link, made = OpportunityEstimate.objects.get_or_create(
        estimate=estimate, defaults={"opportunity": opportunity}
    )
    if not made and link.opportunity_id != opportunity.pk:
        raise Conflict("The estimate is already quoted for another opportunity.")
    if made:
        audit_record(
            actor=actor, action="link_estimate", entity_type="opportunity",
            entity_id=opportunity.pk, changes={"estimate": {"before": None,
                                                            "after": str(estimate.pk)}},
        )  # fmt: skip
        _touch(opportunity)


def opportunity_link_estimate(
    *, actor: User, opportunity: Opportunity, estimate: Estimate
) -> Opportunity:
    with transaction.atomic(durable=True):
        opportunity = _locked(opportunity)
        estimate_link(actor=actor, opportunity=opportunity, estimate=estimate)
        announce(opportunity, actor=actor, what="quote_linked")
    return opportunity


def open_opportunity_of(customer_id: Any) -> Opportunity | None:
    """The customer's move being worked now (the most recently changed open one)."""
    return (
        Opportunity.objects.select_related("customer")
        .filter(customer_id=customer_id, status__in=OPEN_STATUSES)
        .order_by("-updated_at")
        .first()
    )


# --- activities ------------------------------------------------------------------------


def _assignee(actor: User | None, opportunity: Opportunity, requested: UUID | None) -> User | None:
    if requested is None:
        return opportunity.salesperson or actor
    person = User.objects.filter(pk=requested, is_active=True).first()
    if person is None:
        raise invalid("assignee_id", "invalid_choice", "No active user has this id.")
    if actor is not None and actor.role in OWN_OPPORTUNITIES_ONLY and person != actor:
        raise Forbidden("A salesperson can only give activities to themselves.")
    return person


def activity_insert(
    *, actor: User | None, opportunity: Opportunity, kind: str, subject: str,
    description: str = "", due_at: dt.datetime | None = None,
    assignee_id: UUID | None = None, outcome: str = "", automatic: str = "",
) -> Activity:  # fmt: skip
    """Inside the caller's transaction. A note, or an activity given with its outcome, is
    done as it is logged; everything else is to do."""
    done = kind == "note" or bool(outcome)
    now = timezone.now()
    activity = Activity.objects.create(
        opportunity=opportunity, kind=kind, subject=subject.strip()[:200] or kind.title(),
        description=description, due_at=due_at,
        assignee=_assignee(actor, opportunity, assignee_id), created_by=actor,
        automatic=automatic, outcome=outcome or ("done" if done else ""),
        completed_at=now if done else None, completed_by=actor if done else None,
    )  # fmt: skip
    if not automatic:
        # What a rule does is not news from the customer: it must not reset the quiet
        # clock the stale and no-activity checks read.
        _touch(opportunity, now)
    publish_on_commit(
        "activity.changed",
        _activity_audience(activity),
        {"activity": {"id": activity.pk, "opportunity_id": opportunity.pk, "what": "created"}},
    )
    if activity.assignee is not None and activity.assignee != actor and not done:
        notify(
            recipients=[activity.assignee],
            event="activity_assigned",
            context={"subject": activity.subject, "customer": opportunity.customer.name,
                     "due": _local(activity.due_at), "by": actor.display_name if actor else ""},
            link=f"/sales/opportunities/{opportunity.pk}/",
        )  # fmt: skip
    return activity


def money(amount: Decimal | None) -> str:
    if amount is None:
        return "no total"
    return money_text(amount, company_get().currency)


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return "no set time"
    return timezone.localtime(moment).strftime("%a %d %b, %H:%M")


def _activity_audience(activity: Activity) -> list[UUID]:
    who = opportunity_readers_filter(activity.opportunity.salesperson_id)
    if activity.assignee_id:
        who |= Q(pk=activity.assignee_id)
    return list(User.objects.filter(who, is_active=True).values_list("pk", flat=True))


def activity_create(*, actor: User, opportunity: Opportunity, data: Mapping[str, Any]) -> Activity:
    with transaction.atomic(durable=True):
        opportunity = _locked(opportunity)
        activity = activity_insert(actor=actor, opportunity=opportunity, **data)
        audit_record(
            actor=actor, action="log_activity", entity_type="opportunity",
            entity_id=opportunity.pk,
            changes={"activity": {"before": None,
                                  "after": f"{activity.kind}: {activity.subject}"}},
        )  # fmt: skip
    return activity


def activity_complete(*, actor: User, activity: Activity, outcome: str, note: str = "") -> Activity:
    if outcome not in Outcome.values:
        raise invalid("outcome", "invalid_choice", f"Choose one of: {', '.join(Outcome.values)}.")
    with transaction.atomic(durable=True):
        activity = (
            Activity.objects.select_for_update(of=("self",))
            .select_related("opportunity__customer")
            .get(pk=activity.pk)
        )
        if activity.is_done:
            raise Conflict("This activity is already done.")
        now = timezone.now()
        activity.outcome = outcome
        activity.completed_at = now
        activity.completed_by = actor
        if note:
            activity.description = (activity.description + "\n\n" + note).strip()
        activity.save()
        # Locked before it may move along the pipeline: a status change racing this one
        # must not be overwritten by a stale copy.
        opportunity = _locked(activity.opportunity)
        _touch(opportunity, now)
        audit_record(
            actor=actor, action="complete_activity", entity_type="opportunity",
            entity_id=opportunity.pk,
            changes={"activity": {"before": activity.subject, "after": outcome}},
        )  # fmt: skip
        if (
            opportunity.status == S.OPEN
            and activity.kind in CONTACT_KINDS
            and outcome in CONTACT_OUTCOMES
        ):
            # Someone spoke to the customer: the pipeline says so without a second click.
            pipeline_move(opportunity, S.CONTACTED, actor=actor)
        publish_on_commit(
            "activity.changed",
            _activity_audience(activity),
            {"activity": {"id": activity.pk, "opportunity_id": opportunity.pk,
                          "what": "completed", "kind": activity.kind, "outcome": outcome}},
        )  # fmt: skip
    return activity
