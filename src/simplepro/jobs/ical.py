"""A crew member's bookings as an iCalendar feed (RFC 5545) their phone subscribes to.

The URL carries a secret; only its SHA-256 is stored, so a leaked database does not leak
feeds, and issuing a new URL or revoking it cuts the old one off at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from simplepro.jobs.models import Assignment, CrewMember, JobStatus

PAST = dt.timedelta(days=30)
FUTURE = dt.timedelta(days=180)
STATUSES: dict[str, str] = {JobStatus.CANCELLED: "CANCELLED", JobStatus.SCHEDULED: "TENTATIVE"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def member_for_token(token: str) -> CrewMember | None:
    if not token or len(token) > 100:
        return None
    return CrewMember.objects.filter(calendar_token_hash=token_hash(token), active=True).first()


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74
    return "\r\n ".join(parts)


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _address(address: dict[str, object]) -> str:
    return ", ".join(str(address[k]) for k in ("line1", "city", "region") if address.get(k))


def render(member: CrewMember, company_name: str, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    bookings = (
        Assignment.objects.filter(crew_member=member, start__gte=now - PAST, start__lt=now + FUTURE)
        .select_related("job", "job__customer")
        .order_by("start")
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//SimplePro//Dispatch//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(f'{company_name} — {member.name}')}",
    ]
    for booking in bookings:
        job = booking.job
        details = [f"Job {job.number} ({job.get_status_display()}), you are {booking.role}."]
        if job.arrival_window_start and job.arrival_window_end:
            window = f"{timezone.localtime(job.arrival_window_start):%H:%M}–{timezone.localtime(job.arrival_window_end):%H:%M}"
            details.append(f"Arrival window {window}.")
        if job.delivery_address:
            details.append(f"Delivery: {_address(job.delivery_address)}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{booking.pk}@simplepro",
            f"DTSTAMP:{_when(now)}",
            f"DTSTART:{_when(booking.start)}",
            f"DTEND:{_when(booking.end)}",
            f"SUMMARY:{_text(f'{job.number} {job.customer.name}')}",
            f"LOCATION:{_text(_address(job.pickup_address))}",
            f"DESCRIPTION:{_text(chr(10).join(details))}",
            f"STATUS:{STATUSES.get(job.status, 'CONFIRMED')}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
