"""A referral follows its opportunity along the pipeline, and earns its commission when
the booked job is completed (inside the change's own transaction: core.events.listen)."""

from __future__ import annotations

from typing import Any

from simplepro.core.events import listen
from simplepro.jobs.models import Job, JobStatus
from simplepro.partners import services
from simplepro.partners.models import Referral
from simplepro.sales.models import Opportunity


@listen("opportunity.changed")
def follow_the_opportunity(data: dict[str, Any]) -> None:
    opportunity = data["opportunity"]
    referral = Referral.objects.filter(opportunity_id=opportunity["id"]).first()
    if referral is not None:
        job_id = (
            Opportunity.objects.filter(pk=opportunity["id"])
            .values_list("job_id", flat=True)
            .first()
        )
        services.referral_follow(referral, opportunity["status"], job_id)


@listen("job.status_changed")
def earn_on_completion(data: dict[str, Any]) -> None:
    if data["job"]["status"] != JobStatus.COMPLETED:
        return
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("partner")
        .filter(opportunity__job_id=data["job"]["id"])
        .first()
    )
    if referral is not None:
        services.commission_earn(referral, Job.objects.get(pk=data["job"]["id"]))
