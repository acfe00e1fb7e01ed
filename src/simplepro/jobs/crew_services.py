"""Writes about the people and trucks rather than the jobs: crew members and trucks, time off,
maintenance windows, working hours and calendar feeds. (They move to a `crews` app with their
models; until then they live beside the jobs they are booked on.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.audit.services import audit_record
from simplepro.core.problems import Conflict, invalid
from simplepro.jobs import booking, events, ical
from simplepro.jobs.events import announce_time_off
from simplepro.jobs.models import (
    CrewMember,
    MaintenanceWindow,
    TimeOff,
    TimeOffStatus,
    Truck,
    WorkingHours,
)

_NEXT_NUMBER_SQL = (
    "INSERT INTO jobs_jobsequence (year, last) VALUES (%s, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = jobs_jobsequence.last + 1 RETURNING last"
)


def time_off_request(
    *, actor: User, member: CrewMember, start: dt.datetime, end: dt.datetime, reason: str
) -> TimeOff:
    """A request waits for a dispatcher; only approval goes through the booking guard."""
    if end <= start:
        raise invalid("end", "before_start", "The end must be after the start.")
    with transaction.atomic(durable=True):
        period = TimeOff.objects.create(crew_member=member, start=start, end=end, reason=reason)
        audit_record(
            actor=actor, action="request", entity_type="time_off", entity_id=period.pk,
            changes={"period": {"before": None, "after": [start.isoformat(), end.isoformat()]}},
        )  # fmt: skip
        announce_time_off("time_off.requested", period, actor=actor)
        events.notify_time_off(period, actor=actor)
    return period


def time_off_review(*, actor: User, time_off: TimeOff, approve: bool) -> TimeOff:
    """Approving time off goes through the booking guard: the person must be free."""
    with transaction.atomic(durable=True):
        time_off = TimeOff.objects.select_for_update().get(pk=time_off.pk)
        if time_off.status != TimeOffStatus.REQUESTED:
            raise Conflict(f"This request is {time_off.status} already.")
        if approve:
            booking.lock([time_off.crew_member_id])
            bookings = booking.clashes(
                start=time_off.start, end=time_off.end, crew_member=time_off.crew_member
            )
            jobs = [b for b in bookings if b["kind"] == "job"]
            if jobs:
                raise booking.BookingConflict("The person is booked on jobs in this period.", jobs)
        time_off.status = TimeOffStatus.APPROVED if approve else TimeOffStatus.DECLINED
        time_off.reviewed_by, time_off.reviewed_at = actor, timezone.now()
        time_off.save()
        audit_record(
            actor=actor, action="review", entity_type="time_off", entity_id=time_off.pk,
            changes={"status": {"before": "requested", "after": time_off.status}},
        )  # fmt: skip
        announce_time_off("time_off.answered", time_off, actor=actor)
        events.notify_time_off(time_off, actor=actor)
    return time_off


def maintenance_create(
    *, actor: User, truck: Truck, start: dt.datetime, end: dt.datetime, reason: str = ""
) -> MaintenanceWindow:
    booking.check_block(start, end, "end")
    with transaction.atomic(durable=True):
        booking.lock(truck_ids=[truck.pk])
        jobs = [c for c in booking.clashes(start=start, end=end, truck=truck) if c["kind"] == "job"]
        if jobs:
            raise booking.BookingConflict("The truck is booked on jobs in this period.", jobs)
        window = MaintenanceWindow.objects.create(truck=truck, start=start, end=end, reason=reason)
        audit_record(
            actor=actor, action="create", entity_type="maintenance", entity_id=window.pk,
            changes={"truck": {"before": None, "after": truck.name}},
        )  # fmt: skip
    return window


def save_resource(*, actor: User, instance: CrewMember | Truck, fields: dict[str, Any]) -> Any:
    """Create or update a crew member or truck (audited with each field's before/after)."""
    kind = "crew_member" if isinstance(instance, CrewMember) else "truck"
    with transaction.atomic(durable=True):
        creating = instance._state.adding
        before = {name: getattr(instance, name) for name in fields}
        for name, value in fields.items():
            setattr(instance, name, value)
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError:  # e.g. two requests linking the same user at once
            raise Conflict("This conflicts with an existing record.") from None
        audit_record(
            actor=actor, action="create" if creating else "update", entity_type=kind,
            entity_id=instance.pk,
            changes={n: {"before": None if creating else str(before[n]), "after": str(v)} for n, v in fields.items()},
        )  # fmt: skip
    return instance


def calendar_feed_issue(*, actor: User, member: CrewMember) -> str:
    """A new secret for the person's iCalendar URL; only its hash is kept."""
    token = ical.new_token()
    with transaction.atomic(durable=True):
        CrewMember.objects.filter(pk=member.pk).update(calendar_token_hash=ical.token_hash(token))
        audit_record(
            actor=actor, action="issue_calendar_feed", entity_type="crew_member",
            entity_id=member.pk, changes={},
        )  # fmt: skip
    return token


def calendar_feed_revoke(*, actor: User, member: CrewMember) -> None:
    with transaction.atomic(durable=True):
        CrewMember.objects.filter(pk=member.pk).update(calendar_token_hash="")
        audit_record(
            actor=actor, action="revoke_calendar_feed", entity_type="crew_member",
            entity_id=member.pk, changes={},
        )  # fmt: skip


def working_hours_set(*, actor: User, member: CrewMember, days: list[dict[str, Any]]) -> None:
    weekdays = [d["weekday"] for d in days]
    if len(weekdays) != len(set(weekdays)):
        raise invalid("days", "duplicate_weekday", "One range per weekday.")
    for index, day in enumerate(days):
        if day["end"] <= day["start"]:
            raise invalid(f"days[{index}].end", "before_start", "The end must be after the start.")
    with transaction.atomic(durable=True):
        member.working_hours.all().delete()
        WorkingHours.objects.bulk_create(WorkingHours(crew_member=member, **day) for day in days)
        audit_record(
            actor=actor, action="update", entity_type="crew_member", entity_id=member.pk,
            changes={"working_hours": {"before": None, "after": [
                f"{d['weekday']} {d['start']:%H:%M}-{d['end']:%H:%M}" for d in days]}},
        )  # fmt: skip
