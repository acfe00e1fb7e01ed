"""The job page (checklist, status buttons, timeline), the crew's phone screen with clock in
and out, and the checklist templates administrators edit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from simplepro.jobs.models import Job, TimeEntry, TimeOff
from tests.jobs.conftest import job_body

pytestmark = pytest.mark.django_db


def _booked_job(api: Any, customer: Any, crew: Any, **extra: Any) -> dict[str, Any]:
    """A job tomorrow (the crew's screen shows the next two weeks)."""
    start = (timezone.now() + dt.timedelta(days=1)).replace(
        hour=13, minute=0, second=0, microsecond=0
    )
    body = {
        **job_body(customer, **extra),
        "scheduled_start": start.isoformat(),
        "scheduled_end": (start + dt.timedelta(hours=5)).isoformat(),
        "arrival_window_start": start.isoformat(),
        "arrival_window_end": (start + dt.timedelta(hours=1)).isoformat(),
    }
    job = api.post_json("/api/jobs", body).json()
    api.post_json(f"/api/jobs/{job['id']}/assignments", {"crew_member_id": str(crew["ben"].pk)})
    return dict(job)


def test_templates_are_copied_into_new_jobs_and_admins_edit_them(
    personas: Any, api_as: Any, customer: Any
) -> None:
    admin = api_as(personas["admin"])
    before = admin.post_json("/api/jobs", job_body(customer)).json()
    assert any(i["item"] == "Bill of lading signed" for i in before["checklist"])
    saved = admin.put_json(
        "/api/checklist-templates/on_site", {"items": ["Photograph the piano", " "]}
    )
    assert saved.status_code == 200 and saved.json()["on_site"] == ["Photograph the piano"]
    after = admin.post_json("/api/jobs", job_body(customer, day=4)).json()
    on_site = [i["item"] for i in after["checklist"] if i["phase"] == "on_site"]
    assert on_site == ["Photograph the piano"]
    unchanged = admin.get(f"/api/jobs/{before['id']}").json()["checklist"]
    assert unchanged == before["checklist"]  # a job keeps the list it was made with
    assert (
        api_as(personas["dispatcher"])
        .put_json("/api/checklist-templates/on_site", {"items": []})
        .status_code
        == 403
    )


def test_the_crew_ticks_the_checklist_and_clocks_in_from_their_phone(
    personas: Any, api_as: Any, web_as: Any, customer: Any, crew: Any
) -> None:
    office = api_as(personas["dispatcher"])
    job = _booked_job(office, customer, crew)
    phone = web_as(personas["crew_member"])  # Ben
    mine = phone.get("/my-jobs/").content.decode()
    assert job["number"] in mine and "openstreetmap.org/search?query=5%20Pickup%20Rd" in mine
    assert phone.post(f"/jobs/{job['id']}/clock-in/", {"next": "/my-jobs/"}).status_code == 302
    assert TimeEntry.objects.filter(job_id=job["id"], clock_out__isnull=True).count() == 1
    assert "Clock out of" in phone.get("/my-jobs/").content.decode()
    phone.post(f"/jobs/{job['id']}/checklist/", {"index": "0", "done": "1"})
    ticked = Job.objects.get(pk=job["id"]).checklist[0]
    assert ticked["done_by"] and ticked["done_at"]
    page = phone.get(f"/jobs/{job['id']}/").content.decode()
    assert "☑" in page and "Clock out" in page and "checklist" in page  # timeline shows it
    phone.post(f"/jobs/{job['id']}/clock-out/")
    assert TimeEntry.objects.get(job_id=job["id"]).clock_out is not None
    # status buttons are the office's
    assert phone.post(f"/jobs/{job['id']}/transition/", {"to": "confirmed"}).status_code == 403
    other = web_as(personas["crew_member2"])
    assert other.get(f"/jobs/{job['id']}/").status_code == 404


def test_the_office_changes_status_from_the_job_page(
    personas: Any, web_as: Any, api_as: Any, customer: Any, crew: Any
) -> None:
    job = _booked_job(api_as(personas["dispatcher"]), customer, crew)
    web = web_as(personas["dispatcher"])
    page = web.get(f"/jobs/{job['id']}/").content.decode()
    assert "Confirmed" in page and "Cancelled" in page
    web.post(f"/jobs/{job['id']}/transition/", {"to": "cancelled"})  # no reason: refused
    assert Job.objects.get(pk=job["id"]).status == "scheduled"
    web.post(f"/jobs/{job['id']}/transition/", {"to": "confirmed"})
    assert Job.objects.get(pk=job["id"]).status == "confirmed"


def test_schedule_a_job_from_an_accepted_estimate_page(
    personas: Any, api_as: Any, web_as: Any, customer: Any
) -> None:
    sales = api_as(personas["sales"])
    estimate = sales.post_json(
        "/api/estimates",
        {"customer_id": str(customer.pk),
         "input": {"service": "local", "move_date": "2027-03-02", "crew_size": 3, "estimated_hours": "5"}},
    ).json()  # fmt: skip
    sales.post(f"/api/estimates/{estimate['id']}/send")
    sales.post_json(f"/api/estimates/{estimate['id']}/accept", {})
    web = web_as(personas["dispatcher"])
    page = web.get(f"/estimates/{estimate['id']}/").content.decode()
    assert "Schedule the job" in page
    done = web.post(
        f"/jobs/from-estimate/{estimate['id']}/", {"start": "2027-03-02T08:00", "hours": "5"}
    )
    assert done.status_code == 302
    job = Job.objects.get(estimate_id=estimate["id"])
    assert done["Location"] == f"/jobs/{job.pk}/"
    assert (job.required_crew, job.scheduled_end - job.scheduled_start) == (
        3,
        dt.timedelta(hours=5),
    )
    assert job.number in web.get(f"/estimates/{estimate['id']}/").content.decode()


def test_crew_ask_for_time_off_and_the_dispatcher_answers(
    personas: Any, api_as: Any, web_as: Any, customer: Any, crew: Any
) -> None:
    job = _booked_job(api_as(personas["dispatcher"]), customer, crew)  # Ben, tomorrow
    phone = web_as(personas["crew_member"])
    day = Job.objects.get(pk=job["id"]).scheduled_start.date()
    phone.post(
        "/my-jobs/time-off/",
        {"first_day": day.isoformat(), "last_day": day.isoformat(), "reason": "Wedding"},
    )
    later = day + dt.timedelta(days=10)
    phone.post(
        "/my-jobs/time-off/", {"first_day": later.isoformat(), "last_day": later.isoformat()}
    )
    office = web_as(personas["dispatcher"])
    page = office.get("/dispatch/time-off/").content.decode()
    assert page.count("Approve") == 2 and "Wedding" in page
    booked, free = TimeOff.objects.order_by("start")
    refused = office.post(
        "/dispatch/time-off/", {"time_off_id": booked.pk, "approve": "1"}, follow=True
    )
    assert job["number"] in refused.content.decode()  # the job in the way is named
    booked.refresh_from_db()
    assert booked.status == "requested"
    office.post("/dispatch/time-off/", {"time_off_id": free.pk, "approve": "1"})
    free.refresh_from_db()
    assert free.status == "approved"
    assert phone.get("/dispatch/time-off/").status_code == 403
    assert office.post("/dispatch/time-off/", {"time_off_id": "x'; --"}).status_code == 404


def test_administrators_edit_the_checklists_on_a_page(personas: Any, web_as: Any) -> None:
    admin = web_as(personas["admin"])
    page = admin.get("/company/checklists/").content.decode()
    assert "Bill of lading signed" in page
    admin.post(
        "/company/checklists/",
        {
            "pre_move": "Call the customer\n\n  Load the piano board  ",
            "on_site": "Photos",
            "post_move": "Receipt",
        },
    )
    from simplepro.jobs.services import checklist_templates

    assert checklist_templates()["pre_move"] == ["Call the customer", "Load the piano board"]
    assert web_as(personas["dispatcher"]).get("/company/checklists/").status_code == 403


def test_the_sign_offs_per_job_type_are_the_companys(
    personas: Any, web_as: Any, api_as: Any, customer: Any
) -> None:
    admin = web_as(personas["admin"])
    admin.post(
        "/company/checklists/",
        {"pre_move": "Call", "on_site": "Photos", "post_move": "Receipt",
         "signoffs_local": "Estimate accepted\nInventory walkthrough signed",
         "signoffs_long_distance": "estimate_accepted", "signoffs_storage": "estimate_accepted",
         "signoffs_packing_only": ""},
    )  # fmt: skip
    company = api_as(personas["admin"]).get("/api/company").json()
    assert company["required_signoffs"]["local"] == [
        "estimate_accepted",
        "inventory_walkthrough_signed",
    ]
    assert company["required_signoffs"]["packing_only"] == []
    job = api_as(personas["dispatcher"]).post_json("/api/jobs", job_body(customer)).json()
    assert job["required_signoffs"] == ["estimate_accepted", "inventory_walkthrough_signed"]
    refused = api_as(personas["admin"]).patch_json(
        "/api/company", {"required_signoffs": {"local": ["Not A Name!"]}}
    )
    assert refused.status_code == 422
