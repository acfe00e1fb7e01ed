"""What the pipeline tells people on a schedule, each once however often the task runs."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from simplepro.accounts.models import Company, User
from simplepro.customers.models import Customer
from simplepro.estimates.models import Estimate
from simplepro.estimates.services import estimate_create, estimate_send
from simplepro.messaging.models import Message
from simplepro.notifications.models import Notification
from simplepro.pricing import EstimateInput
from simplepro.sales import reminders, services
from simplepro.sales.models import Opportunity

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _new_york() -> None:
    Company.objects.filter(pk=1).update(time_zone="America/New_York")


def told(person: User, event: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person, event=event))


def test_overdue_and_upcoming_tasks_are_each_reminded_once(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    sales = personas["sales"]
    now = timezone.now()
    for subject, due in (("Late one", now - dt.timedelta(hours=2)),
                         ("Later one", now - dt.timedelta(minutes=5)),
                         ("Soon", now + dt.timedelta(minutes=20)),
                         ("Tomorrow", now + dt.timedelta(days=1))):  # fmt: skip
        services.activity_create(actor=sales, opportunity=opportunity,
                                 data={"kind": "call", "subject": subject, "due_at": due})  # fmt: skip
    assert reminders.overdue_remind() == 1
    [overdue] = told(sales, "activities_overdue")
    assert overdue.title.startswith("2 overdue: Late one (Ana Customer)")
    assert reminders.upcoming_remind() == 1
    assert [n.title for n in told(sales, "activities_upcoming")][0].endswith(": Soon")
    assert (reminders.overdue_remind(), reminders.upcoming_remind()) == (0, 0)


def test_the_morning_summary_goes_at_eight_company_time_once(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    sales = personas["sales"]
    morning = dt.datetime.combine(timezone.localdate(timezone=NY), dt.time(8, 2), tzinfo=NY)
    services.activity_create(
        actor=sales,
        opportunity=opportunity,
        data={"kind": "call", "subject": "Morning call", "due_at": morning + dt.timedelta(hours=2)},
    )
    assert reminders.daily_summaries_send(now=morning - dt.timedelta(hours=1)) == 0  # 07:02
    assert reminders.daily_summaries_send(now=morning) >= 1
    [summary] = told(sales, "sales_daily_summary")
    assert summary.title == "Today: 1 to do, 0 overdue"
    assert "10:02 Morning call (Ana Customer)" in summary.body
    assert reminders.daily_summaries_send(now=morning + dt.timedelta(hours=1)) == 0
    assert reminders.daily_summaries_send(now=morning + dt.timedelta(hours=6)) == 0  # 14:02


def test_a_quiet_opportunity_is_flagged_once_per_quiet_spell(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    assert reminders.stale_opportunities_flag() == 0
    Opportunity.objects.filter(pk=opportunity.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=8)
    )
    assert reminders.stale_opportunities_flag() == 1
    assert reminders.stale_opportunities_flag() == 0
    [stale] = told(personas["sales"], "opportunity_stale")
    assert stale.title == "Ana Customer: nothing for 8 days"


def test_an_unopened_quote_is_reminded_at_three_seven_and_fourteen_days(
    customer: Customer, personas: dict[str, User], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    estimate = estimate_create(
        actor=personas["sales"], customer=customer,
        estimate_input=EstimateInput(service="local", move_date=dt.date(2027, 6, 14)),
    )  # fmt: skip
    estimate_send(actor=personas["sales"], estimate=estimate)
    sent = timezone.now()
    at_ten = dt.datetime.combine(sent.astimezone(NY).date(), dt.time(10), tzinfo=NY)
    for days, expected in ((1, 0), (3, 1), (3, 0), (7, 1), (14, 1)):
        assert reminders.quote_reminders_send(now=at_ten + dt.timedelta(days=days)) == expected
    reminded = Message.objects.filter(automatic__startswith="customer_quote_reminder:")
    assert reminded.count() == 3
    assert "/q/" in reminded.first().body
    assert len(told(personas["sales"], "quote_not_viewed")) == 3
    # Once the customer opens it, no more reminders.
    Estimate.objects.filter(pk=estimate.pk).update(viewed_at=timezone.now())
    Message.objects.all().delete()
    assert reminders.quote_reminders_send(now=at_ten + dt.timedelta(days=3)) == 0
