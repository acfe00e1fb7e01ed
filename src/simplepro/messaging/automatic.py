"""Messages SimplePro sends customers by itself, worded from templates the company edits
("Notification wording": the events "To the customer: …"):

- booking confirmed: when a job is confirmed;
- the day before: from REMINDER_HOUR the evening before, with the arrival window (a task);
- crew on the way: when the job goes en route.

Each goes into the customer's thread like a reply from the office (so everyone sees what the
customer was told), by text when SMS is on and the number has not texted STOP, else by
e-mail; a customer who cannot be reached is skipped and logged. Each is sent once per job
(and per day for the reminder): its `automatic` key says which, and is checked before writing.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Any

from django.db import transaction
from django.utils import timezone

from simplepro.accounts.services import company_get
from simplepro.core.events import listen
from simplepro.core.problems import ProblemError
from simplepro.customers.models import Customer
from simplepro.jobs.events import job_context
from simplepro.jobs.models import Job, JobStatus
from simplepro.jobs.reminders import REMINDED_STATUSES, REMINDER_HOUR
from simplepro.messaging import outbound
from simplepro.messaging.models import Message
from simplepro.messaging.services import announce, customer_thread
from simplepro.messaging.unsubscribe import unsubscribed
from simplepro.notifications.catalogue import CATALOGUE
from simplepro.notifications.wording import wordings

logger = logging.getLogger(__name__)
ON_STATUS = {
    JobStatus.CONFIRMED: "customer_booking_confirmed",
    JobStatus.EN_ROUTE: "customer_crew_on_way",
}


def customer_send(
    *, customer: Customer, event: str, key: str, context: dict[str, Any], channel: str = ""
) -> Message | None:
    """Word `event` for `customer` and queue it in their thread, once per `key` (stored as
    `event:key`, so what it was is read back from the message); None when it was sent
    before. `channel` ("email" or "sms") insists on one, else the thread's usual one.
    Raises ProblemError saying why the customer cannot be reached (no address, SMS off,
    texted STOP, unsubscribed from what is not transactional)."""
    key = f"{event}:{key}"
    if len(key) > Message._meta.get_field("automatic").max_length:  # type: ignore[operator]
        # A programming error, caught on SQLite too (which would store it whole).
        raise ValueError(f"automatic message key too long: {key!r}")
    conversation = customer_thread(customer=customer)
    if conversation.messages.filter(automatic=key).exists():
        return None
    fields = outbound.reply_fields(conversation, channel=channel)
    if (
        not CATALOGUE[event].transactional
        and fields["channel"] == Message.Channel.EMAIL
        and unsubscribed(fields["address"])
    ):
        raise ProblemError(409, f"{fields['address']} unsubscribed from these messages.")
    worded = wordings(event, {fields["channel"]}, context)[fields["channel"]]
    message = Message.objects.create(
        conversation=conversation, body=worded.text, subject=worded.subject, automatic=key,
        **fields,
    )  # fmt: skip
    announce(message)
    outbound.send_on_commit(message)
    return message


def customer_message_send(*, job: Job, event: str, key: str) -> Message | None:
    """`event` about `job` to its customer, once per `key`; skipped (and logged) when the
    customer cannot be reached: the job's own change must go through."""
    crew = ", ".join(
        job.assignments.exclude(crew_member=None)
        .order_by("role")
        .values_list("crew_member__name", flat=True)
    )
    context: dict[str, Any] = {**job_context(job), "customer": job.customer.name,
                               "company": company_get().name, "crew": crew}  # fmt: skip
    try:
        return customer_send(customer=job.customer, event=event, key=key, context=context)
    except ProblemError as problem:
        logger.info("customer_message_skipped", extra={"event": event, "job": job.number,
                                                       "why": problem.explanation})  # fmt: skip
        return None


@listen("job.status_changed")
def on_status_changed(data: dict[str, Any]) -> None:
    event = ON_STATUS.get(data["job"]["status"])
    if event is None:
        return
    job = Job.objects.select_related("customer").get(pk=data["job"]["id"])
    customer_message_send(job=job, event=event, key=job.number)


def day_before_send(*, now: dt.datetime | None = None) -> int:
    """The evening-before message to every customer moving tomorrow; how many were queued."""
    zone = zoneinfo.ZoneInfo(company_get().time_zone)
    local = (now or timezone.now()).astimezone(zone)
    if local.hour < REMINDER_HOUR:
        return 0
    tomorrow = local.date() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=zone)
    jobs = Job.objects.filter(
        scheduled_start__gte=start, scheduled_start__lt=start + dt.timedelta(days=1),
        status__in=REMINDED_STATUSES,
    ).select_related("customer")  # fmt: skip
    sent = 0
    for job in jobs:
        with transaction.atomic():
            key = f"{job.number}:{tomorrow.isoformat()}"
            sent += customer_message_send(job=job, event="customer_day_before", key=key) is not None
    return sent
