"""What the sales pipeline tells people by itself, on a schedule (simplepro.sales.tasks):

- overdue tasks, once per task, gathered into one notification per person;
- tasks coming up in the next half hour, once each;
- the 08:00 summary of each salesperson's day, in the company's time zone, once a day;
- opportunities gone quiet (no activity for STALE_DAYS), once per quiet spell;
- quotes neither opened nor decided 3, 7 and 14 days after sending: the customer gets a
  reminder with their link, the salesperson hears of it.

Each is idempotent: a schedule that runs twice, or a worker that retries, tells nobody twice
(a stamp on the activity, or the notification's key).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from simplepro.accounts.models import Role, User
from simplepro.accounts.services import company_get
from simplepro.core.problems import ProblemError
from simplepro.estimates.models import Estimate, EstimateStatus
from simplepro.estimates.services import quote_link
from simplepro.messaging.automatic import customer_send
from simplepro.notifications.services import notify
from simplepro.sales import services
from simplepro.sales.models import OPEN_STATUSES, Activity, Opportunity

logger = logging.getLogger(__name__)
UPCOMING_WITHIN = dt.timedelta(minutes=30)
SUMMARY_HOUR = 8
# The summary is sent on the first run at or after 08:00, and not after noon (a scheduler
# down all morning does not send "your day" at tea time).
SUMMARY_UNTIL_HOUR = 12
STALE_DAYS = 7
QUOTE_REMINDER_DAYS = (3, 7, 14)
QUOTE_REMINDER_HOUR = 9
LISTED = 5


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(company_get().time_zone)


def _line(activity: Activity) -> str:
    return f"{activity.subject} ({activity.opportunity.customer.name})"


def overdue_remind(*, now: dt.datetime | None = None) -> int:
    """Tell each person of their tasks that became overdue since the last run; how many
    people were told."""
    now = now or timezone.now()
    told = 0
    with transaction.atomic(durable=True):
        due = list(
            Activity.objects.pending()
            .filter(due_at__lt=now, overdue_reminded_at__isnull=True, assignee__is_active=True)
            .select_related("assignee", "opportunity__customer")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("due_at")[:1000]
        )
        by_person: dict[User, list[Activity]] = defaultdict(list)
        for activity in due:
            assert activity.assignee is not None
            by_person[activity.assignee].append(activity)
        for person, activities in by_person.items():
            told += len(notify(
                recipients=[person], event="activities_overdue",
                context={"count": len(activities), "first": _line(activities[0]),
                         "list": "; ".join(_line(a) for a in activities[:LISTED])},
                link="/sales/my-day/",
            ))  # fmt: skip
        Activity.objects.filter(pk__in=[a.pk for a in due]).update(overdue_reminded_at=now)
    return told


def upcoming_remind(*, now: dt.datetime | None = None) -> int:
    """Each task due within the next half hour, once; how many reminders."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        soon = list(
            Activity.objects.pending()
            .filter(due_at__gte=now, due_at__lte=now + UPCOMING_WITHIN,
                    upcoming_reminded_at__isnull=True, assignee__is_active=True)
            .select_related("assignee", "opportunity__customer")
            .select_for_update(of=("self",), skip_locked=True)[:1000]
        )  # fmt: skip
        for activity in soon:
            notify(
                recipients=[activity.assignee], event="activities_upcoming",
                context={"subject": activity.subject,
                         "customer": activity.opportunity.customer.name,
                         "due": timezone.localtime(activity.due_at, _zone()).strftime("%H:%M"),
                         "description": activity.description[:200]},
                link=f"/sales/opportunities/{activity.opportunity_id}/",
            )  # fmt: skip
        Activity.objects.filter(pk__in=[a.pk for a in soon]).update(upcoming_reminded_at=now)
    return len(soon)


def daily_summaries_send(*, now: dt.datetime | None = None) -> int:
    """The morning summary for every active salesperson; how many were sent now."""
    zone = _zone()
    local = (now or timezone.now()).astimezone(zone)
    if not SUMMARY_HOUR <= local.hour < SUMMARY_UNTIL_HOUR:
        return 0
    start = dt.datetime.combine(local.date(), dt.time(0), tzinfo=zone)
    end = start + dt.timedelta(days=1)
    quiet_since = local - dt.timedelta(days=STALE_DAYS)
    sent = 0
    for person in User.objects.filter(is_active=True, role=Role.SALES):
        pending = Activity.objects.pending().filter(assignee=person)
        today = list(
            pending.filter(due_at__gte=start, due_at__lt=end)
            .select_related("opportunity__customer")
            .order_by("due_at")[:LISTED]
        )
        due_today = pending.filter(due_at__gte=start, due_at__lt=end).count()
        overdue = pending.filter(due_at__lt=start).count()
        stale = list(
            Opportunity.objects.filter(
                salesperson=person, status__in=OPEN_STATUSES, last_activity_at__lt=quiet_since
            ).values_list("customer__name", flat=True)[:LISTED]
        )
        with transaction.atomic(durable=True):
            sent += len(notify(
                recipients=[person], event="sales_daily_summary",
                context={"due_today": due_today, "overdue": overdue,
                         "list": "; ".join(
                             f"{timezone.localtime(a.due_at, zone):%H:%M} {_line(a)}"
                             for a in today) or "Nothing is due today.",
                         "stale": ", ".join(stale),
                         "open": Opportunity.objects.filter(
                             salesperson=person, status__in=OPEN_STATUSES).count()},
                link="/sales/my-day/", key=f"daily-summary:{local.date().isoformat()}",
            ))  # fmt: skip
    return sent


def stale_opportunities_flag(*, now: dt.datetime | None = None) -> int:
    """Tell the salesperson of each open opportunity with no activity for STALE_DAYS, once
    per quiet spell; how many were told."""
    now = now or timezone.now()
    quiet = (
        Opportunity.objects.filter(
            status__in=OPEN_STATUSES, salesperson__is_active=True,
            last_activity_at__lte=now - dt.timedelta(days=STALE_DAYS),
        )
        .select_related("customer", "salesperson")
        .order_by("last_activity_at")[:500]
    )  # fmt: skip
    told = 0
    for opportunity in quiet:
        with transaction.atomic(durable=True):
            told += len(notify(
                recipients=[opportunity.salesperson], event="opportunity_stale",
                context={"customer": opportunity.customer.name,
                         "move": services.describe(opportunity),
                         "days": (now - opportunity.last_activity_at).days,
                         "last": timezone.localtime(opportunity.last_activity_at,
                                                    _zone()).strftime("%d %b")},
                link=f"/sales/opportunities/{opportunity.pk}/",
                key=f"stale:{opportunity.pk}:{opportunity.last_activity_at.isoformat()}",
            ))  # fmt: skip
    return told


def quote_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Quotes sent 3, 7 or 14 days ago (company days) and neither opened nor decided: a
    reminder to the customer (with their link) and a word to the salesperson, once per quote
    and day count; how many customers were reminded."""
    zone = _zone()
    local = (now or timezone.now()).astimezone(zone)
    if local.hour < QUOTE_REMINDER_HOUR:
        return 0
    reminded = 0
    for days in QUOTE_REMINDER_DAYS:
        start = dt.datetime.combine(local.date() - dt.timedelta(days=days), dt.time(0),
                                    tzinfo=zone)  # fmt: skip
        quotes = Estimate.objects.filter(
            status=EstimateStatus.SENT, viewed_at__isnull=True,
            sent_at__gte=start, sent_at__lt=start + dt.timedelta(days=1),
        ).select_related("customer__assigned_salesperson", "created_by")  # fmt: skip
        for estimate in quotes:
            with transaction.atomic(durable=True):
                reminded += _quote_remind(estimate, days)
    return reminded


def _quote_remind(estimate: Estimate, days: int) -> int:
    version = estimate.versions.exclude(pdf_sha256="").order_by("-number").first()
    if version is None:
        return 0
    key = f"quote-reminder:{estimate.pk}:{days}"
    person = estimate.customer.assigned_salesperson or estimate.created_by
    total = services.money(version.total)
    sent = 0
    try:
        sent = customer_send(
            customer=estimate.customer, event="customer_quote_reminder",
            key=f"q{days}:{estimate.pk}",
            context={"customer": estimate.customer.name, "company": company_get().name,
                     "salesperson": person.display_name if person else company_get().name,
                     "total": total, "link": quote_link(version),
                     "valid_until": estimate.valid_until.strftime("%d %b %Y")
                     if estimate.valid_until else "further notice"},
        ) is not None  # fmt: skip
    except ProblemError as problem:
        logger.info("quote_reminder_skipped", extra={"estimate": str(estimate.pk),
                                                     "why": problem.explanation})  # fmt: skip
    notify(
        recipients=[person], event="quote_not_viewed",
        context={"customer": estimate.customer.name, "days": days, "total": total,
                 "sent": timezone.localtime(estimate.sent_at, _zone()).strftime("%d %b")
                 if estimate.sent_at else ""},
        link=f"/estimates/{estimate.pk}/", key=key,
    )  # fmt: skip
    return int(sent)
