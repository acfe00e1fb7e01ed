"""The notification centre: people are told about what matters to them, the bell counts what
is unread, the list pages by cursor, and nobody reads or marks anyone else's."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from simplepro.accounts.models import Role
from simplepro.core.models import StreamEvent
from simplepro.customers.services import customer_create
from simplepro.estimates.services import estimate_create, estimate_decide, estimate_send
from simplepro.jobs import crew_services
from simplepro.jobs import services as jobs
from simplepro.jobs.models import CrewMember
from simplepro.notifications.models import Notification
from simplepro.notifications.services import notify
from simplepro.pricing import EstimateInput

pytestmark = pytest.mark.django_db
START = dt.datetime(2027, 3, 2, 13, 0, tzinfo=dt.UTC)


@pytest.fixture
def job(personas: dict[str, Any]) -> Any:
    customer = customer_create(
        actor=personas["super_admin"],
        data={"type": "residential", "name": "Ana Garcia", "emails": ["ana@example.com"],
              "assigned_salesperson_id": personas["sales"].pk},
    )  # fmt: skip
    return jobs.job_create(
        actor=personas["dispatcher"], customer=customer,
        data={"scheduled_start": START, "scheduled_end": START + dt.timedelta(hours=6),
              "arrival_window_start": START, "arrival_window_end": START + dt.timedelta(hours=1),
              "pickup_address": {"line1": "5 Pickup Rd", "city": "Boston"}},
    )  # fmt: skip


def test_a_crew_member_put_on_a_job_is_told_where_and_when(
    personas: dict[str, Any], job: Any, company: Any
) -> None:
    lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
    jobs.assignment_create(actor=personas["dispatcher"], job=job, crew_member=lead, role="lead")
    told = Notification.objects.get(recipient=personas["crew_lead"])
    assert told.event == "job_assigned" and told.link == f"/jobs/{job.pk}/"
    assert told.title == f"You are on job {job.number} (Lead)"
    # 13:00 UTC is 08:00 in the demo company's New York time
    assert told.body == "Ana Garcia, Tue 02 Mar, 08:00. Arrive 08:00–09:00 at 5 Pickup Rd, Boston."
    assert not Notification.objects.exclude(recipient=personas["crew_lead"]).exists()


def test_a_schedule_change_tells_the_crew_and_taking_someone_off_tells_them(
    personas: dict[str, Any], job: Any
) -> None:
    lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
    assignment = jobs.assignment_create(actor=personas["dispatcher"], job=job, crew_member=lead)
    jobs.job_reschedule(
        actor=personas["dispatcher"], job=job, start=START + dt.timedelta(days=1),
        end=START + dt.timedelta(days=1, hours=6),
    )  # fmt: skip
    jobs.assignment_delete(actor=personas["dispatcher"], assignment=assignment)
    events = list(
        Notification.objects.filter(recipient=personas["crew_lead"])
        .order_by("id")
        .values_list("event", flat=True)
    )
    assert events == ["job_assigned", "schedule_changed", "job_unassigned"]


def test_time_off_goes_to_the_dispatchers_and_the_answer_back(personas: dict[str, Any]) -> None:
    lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
    asked = crew_services.time_off_request(
        actor=personas["crew_lead"], member=lead, start=START, end=START + dt.timedelta(days=1),
        reason="Wedding",
    )  # fmt: skip
    answerers = set(
        Notification.objects.filter(event="time_off_requested").values_list(
            "recipient__username", flat=True
        )
    )
    assert answerers == {"manager", "dispatcher"}
    crew_services.time_off_review(actor=personas["dispatcher"], time_off=asked, approve=False)
    answer = Notification.objects.get(event="time_off_answered")
    assert answer.recipient == personas["crew_lead"] and "declined" in answer.title


def test_the_salesperson_hears_their_quote_was_accepted_in_their_currency(
    personas: dict[str, Any],
) -> None:
    customer = customer_create(
        actor=personas["sales"],
        data={"type": "residential", "name": "Bo Li", "emails": ["bo@example.com"],
              "assigned_salesperson_id": personas["sales"].pk},
    )  # fmt: skip
    estimate = estimate_create(
        actor=personas["sales"], customer=customer,
        estimate_input=EstimateInput(service="local", move_date=dt.date(2027, 3, 2)),
    )  # fmt: skip
    estimate_send(actor=personas["sales"], estimate=estimate)
    estimate_decide(actor=personas["customer_service"], estimate=estimate, accepted=True)
    told = Notification.objects.get(recipient=personas["sales"])
    assert told.title == "Bo Li accepted their quote"
    assert told.body.startswith("Accepted USD ")
    # whoever decides it themselves is not told of their own act
    estimate2 = estimate_create(
        actor=personas["sales"], customer=customer,
        estimate_input=EstimateInput(service="local", move_date=dt.date(2027, 3, 2)),
    )  # fmt: skip
    estimate_send(actor=personas["sales"], estimate=estimate2)
    estimate_decide(actor=personas["sales"], estimate=estimate2, accepted=False)
    assert Notification.objects.filter(recipient=personas["sales"]).count() == 1


def test_a_notification_is_announced_with_the_unread_count(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    person = personas["crew_member"]
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[person, person, None], event="backup_problem", context={"problems": "x"})
        notify(recipients=[person], event="backup_problem", context={"problems": "y"})
    frames = list(StreamEvent.objects.filter(user=person).order_by("seq"))
    assert [f.data["unread"] for f in frames] == [1, 2]
    assert frames[1].data["notification"]["body"] == "y"


def _notifications(person: Any, count: int) -> list[Notification]:
    return [
        notify(recipients=[person], event="backup_problem", context={"problems": f"n{i}"})[0]
        for i in range(count)
    ]


def test_the_list_pages_by_cursor_newest_first(personas: dict[str, Any], api_as: Any) -> None:
    person = personas["dispatcher"]
    made = _notifications(person, 5)
    _notifications(personas["sales"], 2)
    api = api_as(person)
    first = api.get("/api/notifications?limit=2").json()
    assert [i["body"] for i in first["items"]] == ["n4", "n3"]
    assert first["has_more"] and first["unread"] == 5
    second = api.get(f"/api/notifications?limit=2&before={first['next_before']}").json()
    third = api.get(f"/api/notifications?limit=2&before={second['next_before']}").json()
    assert [i["body"] for i in second["items"] + third["items"]] == ["n2", "n1", "n0"]
    assert not third["has_more"] and third["next_before"] is None
    assert api.post(f"/api/notifications/{made[0].id}/read").json()["read"] is True
    assert api.get("/api/notifications/unread-count").json() == {"unread": 4}
    assert api.post("/api/notifications/read-all").json() == {"unread": 0}
    assert api.get("/api/notifications/unread-count").json() == {"unread": 0}


def test_nobody_marks_someone_elses_notification(personas: dict[str, Any], api_as: Any) -> None:
    (theirs,) = _notifications(personas["dispatcher"], 1)
    response = api_as(personas["sales"]).post(f"/api/notifications/{theirs.id}/read")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api_as(personas["sales"]).post("/api/notifications/999999/read").status_code == 404


def test_the_bell_shows_the_unread_count_and_opening_one_follows_its_link(
    personas: dict[str, Any], web_as: Any
) -> None:
    person = personas["crew_lead"]
    (first,) = notify(recipients=[person], event="backup_problem", context={"problems": "disk"},
                      link="/my-jobs/")  # fmt: skip
    _notifications(person, 1)
    browser = web_as(person)
    page = browser.get("/my-jobs/").content.decode()
    assert 'id="bell-count" >2</span>' in page or 'id="bell-count">2</span>' in page
    listing = browser.get("/notifications/").content.decode()
    assert "Backups need attention" in listing and "Mark all read" in listing
    response = browser.post(f"/notifications/{first.id}/open/")
    assert response.status_code == 302 and response["Location"] == "/my-jobs/"
    assert browser.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=person, read_at__isnull=True).exists()
    other = _notifications(personas["sales"], 1)[0]
    assert browser.post(f"/notifications/{other.id}/open/").status_code == 404


def test_a_link_off_the_site_is_not_followed(personas: dict[str, Any], web_as: Any) -> None:
    person = personas["crew_lead"]
    (odd,) = notify(recipients=[person], event="backup_problem", context={"problems": "x"},
                    link="https://evil.example/")  # fmt: skip
    response = web_as(person).post(f"/notifications/{odd.id}/open/")
    assert response["Location"] == "/notifications/"


def test_inactive_people_are_not_told(make_user: Any) -> None:
    gone = make_user(Role.DISPATCHER)
    gone.is_active = False
    gone.save()
    assert notify(recipients=[gone], event="backup_problem", context={"problems": "x"}) == []


def test_crews_are_reminded_the_evening_before_once(personas: dict[str, Any], job: Any) -> None:
    from simplepro.jobs.reminders import shift_reminders_send

    lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
    other = CrewMember.objects.create(name="Ben Mover", user=personas["crew_member"])
    for member in (lead, other):
        jobs.assignment_create(actor=personas["dispatcher"], job=job, crew_member=member)
    # the job starts Tue 2 Mar 08:00 New York time; the evening before is Mon 1 Mar
    afternoon = dt.datetime(2027, 3, 1, 16, 30, tzinfo=ZoneInfo("America/New_York"))
    assert shift_reminders_send(now=afternoon) == 0
    evening = afternoon.replace(hour=17, minute=5)
    assert shift_reminders_send(now=evening) == 2
    assert shift_reminders_send(now=evening.replace(hour=20)) == 0  # the next hourly run
    reminder = Notification.objects.get(recipient=personas["crew_member"], event="shift_reminder")
    assert reminder.title == f"Tomorrow: job {job.number} at Tue 02 Mar, 08:00"
    assert "Crew: Lead Person, Ben Mover." in reminder.body
    # moved to the next day: reminded again the evening before that
    jobs.job_reschedule(
        actor=personas["dispatcher"], job=job, start=START + dt.timedelta(days=1),
        end=START + dt.timedelta(days=1, hours=6),
    )  # fmt: skip
    assert shift_reminders_send(now=evening + dt.timedelta(days=1)) == 2


def test_a_cancelled_job_is_not_reminded(personas: dict[str, Any], job: Any) -> None:
    from simplepro.jobs.reminders import shift_reminders_send

    lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
    jobs.assignment_create(actor=personas["dispatcher"], job=job, crew_member=lead)
    jobs.job_transition(actor=personas["dispatcher"], job=job, to="cancelled", reason="Rain")
    evening = dt.datetime(2027, 3, 1, 18, 0, tzinfo=ZoneInfo("America/New_York"))
    assert shift_reminders_send(now=evening) == 0


def test_ids_beyond_64_bits_are_simply_not_found(personas: dict[str, Any], api_as: Any) -> None:
    api = api_as(personas["sales"])
    _notifications(personas["sales"], 1)
    assert api.post(f"/api/notifications/{2**70}/read").status_code == 404
    assert api.post("/api/notifications/0/read").status_code == 404
    assert len(api.get(f"/api/notifications?before={2**70}").json()["items"]) == 1
    assert api.get(f"/api/notifications?before={-5}").json()["items"] == []


def test_telling_more_people_costs_no_more_queries(
    make_user: Any, django_assert_num_queries: Any
) -> None:
    few = [make_user(Role.CREW_MEMBER) for _ in range(2)]
    many = [make_user(Role.CREW_MEMBER) for _ in range(6)]
    context = {"job": {"number": "J-1"}, "role": "Mover"}
    # read settings and templates, insert notifications, count the unread, insert deliveries
    for people in (few, many):
        with django_assert_num_queries(5):
            notify(recipients=people, event="job_assigned", context=context)
