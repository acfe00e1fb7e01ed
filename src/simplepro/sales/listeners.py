"""Quotes and jobs move opportunities along without anyone clicking:

- an estimate made for a customer is quoted for the move being worked for them;
- sending it makes the opportunity "quoted" (and records the quote in the funnel);
- the customer opening it, or declining, goes on the opportunity's timeline;
- accepting it wins the opportunity; booking its job links the job; completing the job
  records the completed move.

They run inside the estimate's or job's own transaction (core.events.listen), so the
opportunity moves exactly when the quote or job does. They never raise for the state of an
opportunity (one closed by hand stays closed): the quote or job change must go through.
"""

from __future__ import annotations

import logging
from typing import Any

from simplepro.core.events import listen
from simplepro.estimates.models import Estimate
from simplepro.jobs.models import Job, JobStatus
from simplepro.sales import automation, services
from simplepro.sales.models import FunnelStage, Opportunity, OpportunityStatus, RuleTrigger

logger = logging.getLogger(__name__)
S = OpportunityStatus


def _estimate(data: dict[str, Any]) -> Estimate | None:
    return Estimate.objects.select_related("customer").filter(pk=data["estimate"]["id"]).first()


def _latest_total(estimate: Estimate) -> Any:
    return estimate.versions.order_by("-number").values_list("total", flat=True).first()


def _locked(opportunity: Opportunity) -> Opportunity:
    return services.opportunity_locked(opportunity.pk)


def _advance(opportunity: Opportunity, to: str) -> None:
    if to in opportunity.allowed_next():
        services.pipeline_move(opportunity, to, actor=None)


@listen("estimate.created")
def quote_for_open_opportunity(data: dict[str, Any]) -> None:
    estimate = _estimate(data)
    opportunity = services.open_opportunity_of(data["estimate"]["customer"]["id"])
    if estimate is None or opportunity is None:
        return
    services.estimate_link(actor=None, opportunity=_locked(opportunity), estimate=estimate)


@listen("estimate.sent")
def quote_sent(data: dict[str, Any]) -> None:
    estimate = _estimate(data)
    found = services.opportunity_for_estimate(data["estimate"]["id"])
    if estimate is None or found is None:
        return
    opportunity = _locked(found)
    total = _latest_total(estimate)
    if opportunity.estimated_value is None and total is not None:
        Opportunity.objects.filter(pk=opportunity.pk).update(estimated_value=total)
        opportunity.estimated_value = total
    services.funnel_record(opportunity, FunnelStage.QUOTE_SENT, value=total)
    services.activity_insert(
        actor=None, opportunity=opportunity, kind="quote_sent",
        subject=f"Quote sent ({services.money(total)})", outcome="done",
    )  # fmt: skip
    if opportunity.status in (S.OPEN, S.CONTACTED):
        _advance(opportunity, S.QUOTED)
    version = estimate.versions.order_by("-number").values_list("number", flat=True).first()
    automation.fire(
        RuleTrigger.QUOTE_SENT, opportunity.pk,
        occasion=f"quote_sent:{estimate.pk}:v{version}",
        event={"quote_total": str(total) if total is not None else None},
    )  # fmt: skip


@listen("estimate.viewed")
def quote_viewed(data: dict[str, Any]) -> None:
    found = services.opportunity_for_estimate(data["estimate"]["id"])
    if found is not None:
        services.activity_insert(
            actor=None, opportunity=found, kind="note", subject="The customer opened the quote"
        )
        automation.fire(
            RuleTrigger.QUOTE_VIEWED, found.pk, occasion=f"quote_viewed:{data['estimate']['id']}"
        )


@listen("estimate.declined")
def quote_declined(data: dict[str, Any]) -> None:
    found = services.opportunity_for_estimate(data["estimate"]["id"])
    if found is not None:
        note = data.get("note") or ""
        services.activity_insert(
            actor=None, opportunity=found, kind="note", subject="The customer declined the quote",
            description=note,
        )  # fmt: skip


@listen("estimate.accepted")
def quote_accepted(data: dict[str, Any]) -> None:
    estimate = _estimate(data)
    found = services.opportunity_for_estimate(data["estimate"]["id"])
    if estimate is None or found is None:
        return
    opportunity = _locked(found)
    services.funnel_record(opportunity, FunnelStage.QUOTE_ACCEPTED, value=_latest_total(estimate))
    if opportunity.is_open:
        # The estimate row is already accepted in this transaction: winning is allowed.
        _advance(opportunity, S.WON)


@listen("job.created")
def job_booked(data: dict[str, Any]) -> None:
    job = Job.objects.filter(pk=data["job"]["id"]).first()
    if job is None or job.estimate_id is None:
        return
    found = services.opportunity_for_estimate(job.estimate_id)
    if found is None:
        return
    opportunity = _locked(found)
    if opportunity.job_id is None:
        Opportunity.objects.filter(pk=opportunity.pk).update(job=job)
        opportunity.job = job
    services.funnel_record(opportunity, FunnelStage.JOB_CREATED, value=job.total)
    if opportunity.is_open:
        _advance(opportunity, S.WON)


@listen("job.status_changed")
def move_completed(data: dict[str, Any]) -> None:
    if data["job"]["status"] != JobStatus.COMPLETED:
        return
    opportunity = Opportunity.objects.filter(job_id=data["job"]["id"]).first()
    if opportunity is not None:
        total = Job.objects.filter(pk=data["job"]["id"]).values_list("total", flat=True).first()
        services.funnel_record(opportunity, FunnelStage.JOB_COMPLETED, value=total)
