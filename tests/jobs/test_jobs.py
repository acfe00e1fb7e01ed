"""Jobs: creation (numbers, from an accepted estimate), the status state machine with its
sign-off guard, assignments and the one booking guard, suggestions, the calendar."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from simplepro.audit.models import AuditRecord
from simplepro.jobs.lifecycle import TRANSITIONS
from simplepro.jobs.models import Assignment, Job, JobStatus, TimeOff
from simplepro.jobs.services import next_job_number
from tests.jobs.conftest import job_body
from tests.paperwork.helpers import sign_off_all

pytestmark = pytest.mark.django_db


def _create(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post_json("/api/jobs", body)
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_create_a_job_with_a_number_two_windows_and_addresses(
    personas: Any, api_as: Any, customer: Any
) -> None:
    api = api_as(personas["dispatcher"])
    job = _create(api, job_body(customer, stops=["2 Storage Ln, Somerville MA"]))
    assert re.fullmatch(r"J-\d{4}-\d{5}", job["number"])
    assert job["status"] == "scheduled"
    assert job["scheduled_start"] == "2027-03-02T13:00:00Z"  # stored in UTC
    assert job["delivery_address"] == {"line1": "9 Drop Ave, Cambridge MA"}
    assert job["pickup_address"]["latitude"] == 42.35
    assert job["stops"] == [{"line1": "2 Storage Ln, Somerville MA"}]
    assert job["required_signoffs"] == [
        "estimate_accepted",
        "valuation_chosen",
        "bill_of_lading_signed",
    ]
    assert job["allowed_transitions"] == ["cancelled", "confirmed", "on_hold"]
    second = _create(api, job_body(customer, day=3))
    assert int(second["number"][-5:]) == int(job["number"][-5:]) + 1


def test_naive_times_and_backwards_blocks_are_refused(
    personas: Any, api_as: Any, customer: Any
) -> None:
    api = api_as(personas["dispatcher"])
    naive = api.post_json(
        "/api/jobs", {**job_body(customer), "scheduled_start": "2027-03-02T08:00:00"}
    )
    assert naive.status_code == 422
    backwards = api.post_json(
        "/api/jobs", {**job_body(customer), "scheduled_end": "2027-03-02T07:00:00-05:00"}
    )
    assert (
        backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "scheduled_end"
    )
    assert Job.objects.count() == 0


def test_job_numbers_are_one_atomic_statement_per_year() -> None:
    numbers = [next_job_number(2031) for _ in range(5)]
    assert numbers == [f"J-2031-0000{n}" for n in range(1, 6)]
    assert next_job_number(2032) == "J-2032-00001"


def test_a_job_from_an_accepted_estimate_carries_it_over(
    personas: Any, api_as: Any, customer: Any
) -> None:
    sales = api_as(personas["sales"])
    estimate = sales.post_json(
        "/api/estimates",
        {
            "customer_id": str(customer.pk),
            "input": {"service": "local", "move_date": "2027-03-02", "crew_size": 3,
                      "estimated_hours": "5", "special_items": {"piano": True}},
            "inventory": [{"room": "Living", "key": "sofa_3_seat", "quantity": 1}],
            "pickup_address": "1 Elm St",
        },
    ).json()  # fmt: skip
    office = api_as(personas["dispatcher"])
    body = {**job_body(customer), "estimate_id": estimate["id"]}
    del body["pickup_address"]
    refused = office.post_json("/api/jobs", body)
    assert refused.status_code == 409 and "accepted" in refused.json()["detail"]
    sales.post(f"/api/estimates/{estimate['id']}/send")
    sales.post_json(f"/api/estimates/{estimate['id']}/accept", {})
    job = _create(office, body)
    assert (job["estimate_id"], job["estimate_version"]) == (estimate["id"], 1)
    assert job["required_crew"] == 3 and job["estimated_hours"] == "5.00"
    assert job["total"] == estimate["current"]["total"]
    assert job["pickup_address"] == {"line1": "1 Elm St"}
    assert job["required_skills"] == ["piano"]
    assert "estimate_accepted" not in job["missing_signoffs"]


@pytest.mark.parametrize("start", list(JobStatus.values))
def test_every_transition_is_allowed_or_refused_with_the_allowed_list(
    personas: Any, api_as: Any, customer: Any, start: str
) -> None:
    api = api_as(personas["dispatcher"])
    job = _create(api, job_body(customer))
    Job.objects.filter(pk=job["id"]).update(
        status=start, signoffs={"estimate_accepted": {}, "valuation_chosen": {}, "bill_of_lading_signed": {}}
    )  # fmt: skip
    for target in JobStatus.values:
        Job.objects.filter(pk=job["id"]).update(status=start)
        response = api.post_json(
            f"/api/jobs/{job['id']}/transition", {"to": target, "reason": "customer asked"}
        )
        if target in TRANSITIONS[start]:
            assert response.status_code == 200, (start, target, response.json())
            assert response.json()["status"] == target
        else:
            assert response.status_code == 409, (start, target)
            assert response.json()["allowed"] == sorted(TRANSITIONS[start])


def test_work_cannot_start_before_the_sign_offs_and_transitions_are_audited(
    personas: Any, api_as: Any, customer: Any
) -> None:
    api = api_as(personas["dispatcher"])
    job = _create(api, job_body(customer))
    for status in ("confirmed", "en_route"):
        assert api.post_json(f"/api/jobs/{job['id']}/transition", {"to": status}).status_code == 200
    refused = api.post_json(f"/api/jobs/{job['id']}/transition", {"to": "in_progress"})
    assert refused.status_code == 409
    assert refused.json()["missing_signoffs"] == job["required_signoffs"]
    ticked = api.post_json(f"/api/jobs/{job['id']}/signoffs", {"name": "bill_of_lading_signed"})
    assert ticked.status_code == 409 and "paperwork" in ticked.json()["detail"]
    sign_off_all(personas["dispatcher"], Job.objects.get(pk=job["id"]))
    assert (
        api.post_json(f"/api/jobs/{job['id']}/transition", {"to": "in_progress"}).status_code == 200
    )
    assert AuditRecord.objects.filter(entity_id=job["id"], action="transition").count() == 3
    no_reason = api.post_json(f"/api/jobs/{job['id']}/transition", {"to": "completed"})
    assert no_reason.status_code == 200


def test_cancelling_needs_a_reason_and_frees_the_crew(
    personas: Any, api_as: Any, customer: Any, crew: Any
) -> None:
    api = api_as(personas["dispatcher"])
    first = _create(api, job_body(customer))
    api.post_json(f"/api/jobs/{first['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)})
    second = _create(api, job_body(customer, start=10))
    busy = api.post_json(
        f"/api/jobs/{second['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)}
    )
    assert busy.status_code == 409
    assert busy.json()["conflicts"][0]["job_number"] == first["number"]
    assert (
        api.post_json(f"/api/jobs/{first['id']}/transition", {"to": "cancelled"}).status_code == 422
    )
    api.post_json(
        f"/api/jobs/{first['id']}/transition", {"to": "cancelled", "reason": "Moved out of state"}
    )
    freed = api.post_json(
        f"/api/jobs/{second['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)}
    )
    assert freed.status_code == 201


def test_half_open_blocks_touching_ends_do_not_clash(
    personas: Any, api_as: Any, customer: Any, crew: Any, trucks: Any
) -> None:
    api = api_as(personas["dispatcher"])
    morning = _create(api, job_body(customer, start=8, hours=4))
    afternoon = _create(api, job_body(customer, start=12, hours=4))
    for job in (morning, afternoon):
        response = api.post_json(
            f"/api/jobs/{job['id']}/assignments", {"truck_id": str(trucks["van"].pk)}
        )
        assert response.status_code == 201, response.json()


def test_every_path_goes_through_the_guard(
    personas: Any, api_as: Any, customer: Any, crew: Any, trucks: Any
) -> None:
    api = api_as(personas["dispatcher"])
    monday = _create(api, job_body(customer, day=1))
    tuesday = _create(api, job_body(customer, day=2))
    api.post_json(
        f"/api/jobs/{monday['id']}/assignments",
        {"crew_member_id": str(crew["ana"].pk), "role": "lead"},
    )
    api.post_json(f"/api/jobs/{tuesday['id']}/assignments", {"crew_member_id": str(crew["ana"].pk)})
    # rescheduling Tuesday onto Monday would double-book Ana: refused, nothing moves
    moved = api.patch_json(
        f"/api/jobs/{tuesday['id']}",
        {
            "scheduled_start": "2027-03-01T10:00:00-05:00",
            "scheduled_end": "2027-03-01T16:00:00-05:00",
        },
    )
    assert (
        moved.status_code == 409 and moved.json()["conflicts"][0]["job_number"] == monday["number"]
    )
    assert Job.objects.get(pk=tuesday["id"]).scheduled_start.day == 2
    # extending Monday into the evening is fine
    longer = api.patch_json(
        f"/api/jobs/{monday['id']}", {"scheduled_end": "2027-03-01T20:00:00-05:00"}
    )
    assert (
        longer.status_code == 200
        and longer.json()["assignments"][0]["end"] == "2027-03-02T01:00:00Z"
    )
    # approving time off over a booked day is refused; over a free day it is approved
    request = api.post_json(
        f"/api/crew-members/{crew['ana'].pk}/time-off",
        {
            "start": "2027-03-02T00:00:00-05:00",
            "end": "2027-03-03T00:00:00-05:00",
            "reason": "Dentist",
        },
    ).json()
    refused = api.post_json(f"/api/time-off/{request['id']}/review", {"approve": True})
    assert (
        refused.status_code == 409
        and refused.json()["conflicts"][0]["job_number"] == tuesday["number"]
    )
    assert TimeOff.objects.get(pk=request["id"]).status == "requested"
    # a truck in maintenance cannot be booked, and maintenance over a booking is refused
    api.post_json(
        f"/api/trucks/{trucks['big'].pk}/maintenance",
        {
            "start": "2027-03-01T00:00:00-05:00",
            "end": "2027-03-01T23:00:00-05:00",
            "reason": "Brakes",
        },
    )
    in_shop = api.post_json(
        f"/api/jobs/{monday['id']}/assignments", {"truck_id": str(trucks["big"].pk)}
    )
    assert in_shop.status_code == 409 and in_shop.json()["conflicts"][0]["kind"] == "maintenance"
    api.post_json(f"/api/jobs/{tuesday['id']}/assignments", {"truck_id": str(trucks["van"].pk)})
    over = api.post_json(
        f"/api/trucks/{trucks['van'].pk}/maintenance",
        {"start": "2027-03-02T09:00:00-05:00", "end": "2027-03-02T10:00:00-05:00"},
    )
    assert over.status_code == 409


def test_a_driver_must_hold_the_trucks_license_class_unexpired(
    personas: Any, api_as: Any, customer: Any, crew: Any, trucks: Any
) -> None:
    api = api_as(personas["dispatcher"])
    job = _create(api, job_body(customer))
    api.post_json(f"/api/jobs/{job['id']}/assignments", {"truck_id": str(trucks["big"].pk)})
    ben = api.post_json(
        f"/api/jobs/{job['id']}/assignments",
        {"crew_member_id": str(crew["ben"].pk), "role": "driver"},
    )
    assert ben.status_code == 409 and ben.json()["conflicts"][0]["kind"] == "license"
    crew["ana"].license_expires = "2027-01-01"
    crew["ana"].save()
    expired = api.post_json(
        f"/api/jobs/{job['id']}/assignments",
        {"crew_member_id": str(crew["ana"].pk), "role": "driver"},
    )
    assert expired.status_code == 409 and expired.json()["conflicts"][0]["expires"] == "2027-01-01"
    as_mover = api.post_json(
        f"/api/jobs/{job['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)}
    )
    assert as_mover.status_code == 201


def test_the_database_refuses_an_overlapping_booking_itself(
    personas: Any, api_as: Any, customer: Any, crew: Any
) -> None:
    api = api_as(personas["dispatcher"])
    one = _create(api, job_body(customer, start=8))
    two = _create(api, job_body(customer, start=9))
    api.post_json(f"/api/jobs/{one['id']}/assignments", {"crew_member_id": str(crew["cy"].pk)})
    job_two = Job.objects.get(pk=two["id"])
    raw = Assignment(
        job=job_two,
        crew_member=crew["cy"],
        start=job_two.scheduled_start,
        end=job_two.scheduled_end,
    )
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            raw.save()  # the exclusion constraint, not our code, says no
    else:
        # SQLite has no exclusion constraints: the guard (serialised writes) is the rule there
        refused = api.post_json(
            f"/api/jobs/{two['id']}/assignments", {"crew_member_id": str(crew["cy"].pk)}
        )
        assert refused.status_code == 409
    assert Assignment.objects.filter(crew_member=crew["cy"]).count() == 1


def test_suggested_crew_is_scored_in_the_open_and_assigned_in_one_action(
    personas: Any, api_as: Any, customer: Any, crew: Any
) -> None:
    api = api_as(personas["dispatcher"])
    job = _create(api, job_body(customer, required_crew=2, required_skills=["piano"]))
    other = _create(api, job_body(customer, start=9))
    api.post_json(f"/api/jobs/{other['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)})
    suggested = api.get(f"/api/jobs/{job['id']}/suggested-crew").json()
    assert suggested["required_crew"] == 2
    by_name = {s["name"]: s for s in suggested["items"]}
    cy, ana, ben = by_name["Cy Piano"], by_name["Ana Lead"], by_name["Ben Mover"]
    assert cy["parts"]["skills"] == 30 and ana["parts"]["skills"] == 0
    assert ana["parts"]["proximity"] == 20  # 1 mile from the pickup
    assert cy["parts"]["proximity"] == 10 and "unknown" in cy["notes"][0]
    assert ben["available"] is False and ben["parts"]["availability"] == 0
    assert ana["parts"]["rating"] == 15 and cy["parts"]["rating"] == 9
    assert [s["name"] for s in suggested["items"]][-1] == "Ben Mover"  # the busy one last
    assert cy["score"] == sum(cy["parts"].values())
    done = api.post(f"/api/jobs/{job['id']}/assign-suggested")
    assert done.status_code == 200
    assigned = {(a["name"], a["role"]) for a in done.json()["assignments"]}
    assert assigned == {("Cy Piano", "lead"), ("Ana Lead", "mover")}


def test_calendar_lists_a_range_with_assignments_in_a_constant_number_of_queries(
    personas: Any, api_as: Any, customer: Any, crew: Any, django_assert_max_num_queries: Any
) -> None:
    api = api_as(personas["dispatcher"])
    for day in range(1, 8):
        job = _create(api, job_body(customer, day=day))
        api.post_json(f"/api/jobs/{job['id']}/assignments", {"crew_member_id": str(crew["ana"].pk)})
    _create(api, job_body(customer, day=20))
    body = api.get("/api/dispatch/calendar", {"start": "2027-03-01", "end": "2027-03-08"}).json()
    assert len(body["items"]) == 7
    assert all(item["conflicts"] == [] and item["assignments"] for item in body["items"])
    # auth, rate limit, company, 5 version aggregates, the cache (DB cache: get and set), jobs,
    # assignments — the same for 7 jobs or 2,000 (bench/dispatch_bench.py counts both)
    with django_assert_max_num_queries(18):
        api.get("/api/dispatch/calendar", {"start": "2027-03-01", "end": "2027-03-31"})
    too_long = api.get("/api/dispatch/calendar", {"start": "2027-01-01", "end": "2027-06-01"})
    assert too_long.status_code == 422


def test_crew_see_only_their_jobs_and_a_lead_moves_their_job_along(
    personas: Any, api_as: Any, customer: Any, crew: Any
) -> None:
    office = api_as(personas["dispatcher"])
    mine = _create(office, job_body(customer))
    _create(office, job_body(customer, day=5))
    office.post_json(
        f"/api/jobs/{mine['id']}/assignments",
        {"crew_member_id": str(crew["ana"].pk), "role": "lead"},
    )
    office.post_json(f"/api/jobs/{mine['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)})
    office.post_json(f"/api/jobs/{mine['id']}/transition", {"to": "confirmed"})
    lead, mover = api_as(personas["crew_lead"]), api_as(personas["crew_member"])
    assert [j["id"] for j in lead.get("/api/jobs").json()["items"]] == [mine["id"]]
    assert (
        mover.post_json(f"/api/jobs/{mine['id']}/transition", {"to": "en_route"}).status_code == 403
    )
    assert (
        lead.post_json(f"/api/jobs/{mine['id']}/transition", {"to": "en_route"}).status_code == 200
    )
    assert (
        lead.post_json(
            f"/api/jobs/{mine['id']}/transition", {"to": "on_hold", "reason": "x"}
        ).status_code
        == 403
    )
    assert api_as(personas["crew_member2"]).get(f"/api/jobs/{mine['id']}").status_code == 404


def test_the_board_shows_overlaps_if_the_data_ever_holds_them() -> None:
    """Normally impossible (guard + exclusion constraint); the calendar still reports them."""
    import datetime as dt

    from simplepro.jobs.api import conflicts_among

    t = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)
    jobs = {
        "a": {"id": "a", "number": "J-1", "scheduled_start": t, "scheduled_end": t + dt.timedelta(hours=4)},
        "b": {"id": "b", "number": "J-2", "scheduled_start": t + dt.timedelta(hours=3),
              "scheduled_end": t + dt.timedelta(hours=5)},
        "c": {"id": "c", "number": "J-3", "scheduled_start": t + dt.timedelta(hours=5),
              "scheduled_end": t + dt.timedelta(hours=6)},
    }  # fmt: skip
    rows = [
        {"job_id": job, "crew_member_id": "p", "truck_id": None, "blocks": True} for job in "abc"
    ]
    found = conflicts_among(rows, jobs)
    assert [c["job_number"] for c in found["a"]] == ["J-2"]
    assert [c["job_number"] for c in found["b"]] == ["J-1"]
    assert "c" not in found  # touching ends do not overlap


def test_the_board_page_and_its_keyboard_move_form(
    personas: Any, api_as: Any, web_as: Any, customer: Any, trucks: Any
) -> None:
    api = api_as(personas["dispatcher"])
    one = _create(api, job_body(customer))
    two = _create(api, job_body(customer))
    api.post_json(f"/api/jobs/{one['id']}/assignments", {"truck_id": str(trucks["van"].pk)})
    api.post_json(f"/api/jobs/{two['id']}/assignments", {"truck_id": str(trucks["big"].pk)})
    web = web_as(personas["dispatcher"])
    page = web.get("/dispatch/?date=2027-03-02").content.decode()
    assert one["number"] in page and two["number"] in page and "Cargo van" in page
    assignment = Assignment.objects.get(job_id=one["id"])
    refused = web.post(
        "/dispatch/move/",
        {"job_id": one["id"], "assignment_id": str(assignment.pk), "kind": "truck",
         "target_id": str(trucks["big"].pk), "next": "/dispatch/?date=2027-03-02"},
        follow=True,
    )  # fmt: skip
    assert "not free" in refused.content.decode()
    assert Assignment.objects.get(job_id=one["id"]).truck_id == trucks["van"].pk  # nothing moved
    crew_view = web_as(personas["crew_member"]).get("/dispatch/")
    assert crew_view.status_code == 403


def test_working_hours_shape_the_suggestions(
    personas: Any, api_as: Any, customer: Any, crew: Any
) -> None:
    api = api_as(personas["dispatcher"])
    company = api_as(personas["admin"])
    company.patch_json("/api/company", {"time_zone": "America/New_York"})
    job = _create(api, job_body(customer))  # Tuesday 2 March 2027, 08:00–14:00 New York
    early = api.put_json(
        f"/api/crew-members/{crew['cy'].pk}/working-hours",
        {"days": [{"weekday": 1, "start": "06:00", "end": "12:00"}]},
    )
    assert early.status_code == 200 and early.json() == [
        {"weekday": 1, "start": "06:00:00", "end": "12:00:00"}
    ]
    api.put_json(
        f"/api/crew-members/{crew['ben'].pk}/working-hours",
        {"days": [{"weekday": 1, "start": "07:00", "end": "17:00"}]},
    )
    items = {s["name"]: s for s in api.get(f"/api/jobs/{job['id']}/suggested-crew").json()["items"]}
    assert items["Cy Piano"]["available"] is False
    assert "outside their working hours" in items["Cy Piano"]["notes"]
    assert items["Ben Mover"]["available"] is True  # inside his hours
    assert items["Ana Lead"]["available"] is True  # no hours set: any time
    bad = api.put_json(
        f"/api/crew-members/{crew['cy'].pk}/working-hours",
        {"days": [{"weekday": 1, "start": "12:00", "end": "06:00"}]},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "days[0].end"


def test_a_user_has_at_most_one_crew_profile(personas: Any, api_as: Any, crew: Any) -> None:
    api = api_as(personas["dispatcher"])
    body = {"name": "Second profile", "user_id": str(personas["crew_lead"].pk)}  # Ana's user
    refused = api.post_json("/api/crew-members", body)
    assert refused.status_code == 409 and "already has a crew profile" in refused.json()["detail"]


def test_the_board_by_person_moves_bookings_and_keeps_its_query_count(
    personas: Any, api_as: Any, web_as: Any, customer: Any, crew: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    api = api_as(personas["dispatcher"])
    for day in range(1, 8):
        job = _create(api, job_body(customer, day=day))
        api.post_json(f"/api/jobs/{job['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)})
    web = web_as(personas["dispatcher"])
    with django_assert_max_num_queries(14):  # session, user, company, jobs, bookings, people
        page = web.get("/dispatch/?date=2027-03-01&days=7&by=crew")
    assert page.status_code == 200 and page.content.decode().count("job-card") >= 7
    booking = Assignment.objects.filter(crew_member=crew["ben"]).first()
    assert booking is not None
    moved = web.post(
        "/dispatch/move/",
        {"job_id": str(booking.job_id), "assignment_id": str(booking.pk), "kind": "crew",
         "target_id": str(crew["cy"].pk)},
        HTTP_ACCEPT="application/json",
    )  # fmt: skip
    assert moved.status_code == 200 and "now with Cy Piano" in moved.json()["message"]
    assert Assignment.objects.get(pk=moved.json()["assignment_id"]).crew_member == crew["cy"]
    # a second job at the same time as Cy's new booking: moving its person to Cy is refused
    cy_job = Job.objects.get(pk=booking.job_id)
    same_time = _create(api, job_body(customer, day=cy_job.scheduled_start.day))
    ana = api.post_json(
        f"/api/jobs/{same_time['id']}/assignments", {"crew_member_id": str(crew["ana"].pk)}
    ).json()
    refused = web.post(
        "/dispatch/move/",
        {"job_id": same_time["id"], "assignment_id": ana["id"], "kind": "crew",
         "target_id": str(crew["cy"].pk)},
        HTTP_ACCEPT="application/json",
    )  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["conflicts"][0]["job_number"] == cy_job.number
    assert Assignment.objects.get(pk=ana["id"]).crew_member == crew["ana"]  # nothing moved


def test_the_cached_calendar_never_shows_stale_data(
    personas: Any, api_as: Any, customer: Any, crew: Any, trucks: Any
) -> None:
    api = api_as(personas["dispatcher"])
    admin = api_as(personas["super_admin"])
    job = _create(api, job_body(customer))
    week = {"start": "2027-03-01", "end": "2027-03-08"}

    def item() -> dict[str, Any]:
        [found] = [
            i
            for i in api.get("/api/dispatch/calendar", week).json()["items"]
            if i["id"] == job["id"]
        ]
        return dict(found)

    assert item()["assignments"] == []  # now cached
    booked = api.post_json(
        f"/api/jobs/{job['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)}
    ).json()
    assert [a["name"] for a in item()["assignments"]] == ["Ben Mover"]
    api.patch_json(f"/api/crew-members/{crew['ben'].pk}", {"name": "Benjamin Mover"})
    assert [a["name"] for a in item()["assignments"]] == ["Benjamin Mover"]
    admin.patch_json(f"/api/customers/{customer.pk}", {"name": "Joanna Mover"})
    assert item()["customer_name"] == "Joanna Mover"
    api.patch_json(f"/api/jobs/{job['id']}", {"scheduled_end": "2027-03-02T15:00:00-05:00"})
    assert item()["scheduled_end"] == "2027-03-02T20:00:00Z"
    api.delete(f"/api/jobs/{job['id']}/assignments/{booked['id']}")
    assert item()["assignments"] == []
    api.post_json(f"/api/jobs/{job['id']}/transition", {"to": "cancelled", "reason": "Gone"})
    assert item()["status"] == "cancelled"


def test_crew_profiles_link_only_crew_users_and_money_reads_as_cents(
    personas: Any, api_as: Any
) -> None:
    api = api_as(personas["dispatcher"])
    office_user = api.post_json(
        "/api/crew-members", {"name": "X", "user_id": str(personas["sales"].pk)}
    )
    assert office_user.status_code == 422 and office_user.json()["errors"][0]["code"] == "not_crew"
    made = api.post_json(
        "/api/crew-members",
        {"name": "Dee", "user_id": str(personas["crew_member2"].pk), "hourly_rate": "25"},
    )
    assert made.status_code == 201 and made.json()["hourly_rate"] == "25.00"
    assert made.json()["rating"] == "3.0"


def test_working_hours_with_a_utc_offset_are_refused(personas: Any, api_as: Any, crew: Any) -> None:
    """Found by the API fuzzer: "03:39:44Z" reached the database (a 500 on SQLite)."""
    api = api_as(personas["dispatcher"])
    response = api.put_json(
        f"/api/crew-members/{crew['cy'].pk}/working-hours",
        {"days": [{"weekday": 5, "start": "03:39:44Z", "end": "09:30:00-09:00"}]},
    )
    assert response.status_code == 422
    assert "without a UTC offset" in response.content.decode()
