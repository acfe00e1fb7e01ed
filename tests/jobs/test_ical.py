"""The per-person iCalendar feed: issued, read back with a real iCalendar parser, replaced,
revoked; crew manage only their own."""

from __future__ import annotations

from typing import Any

import icalendar
import pytest
from django.test import Client

from tests.jobs.conftest import job_body

pytestmark = pytest.mark.django_db


def _feed_path(url: str, settings: Any) -> str:
    return url.split(settings.PUBLIC_URL, 1)[1]


def test_a_feed_parses_back_and_can_be_replaced_and_revoked(
    personas: Any, api_as: Any, customer: Any, crew: Any, settings: Any
) -> None:
    office = api_as(personas["dispatcher"])
    job = office.post_json(
        "/api/jobs", job_body(customer, notes="", delivery_address="9 Drop Ave, Cambridge; MA")
    ).json()
    office.post_json(
        f"/api/jobs/{job['id']}/assignments",
        {"crew_member_id": str(crew["ana"].pk), "role": "lead"},
    )
    issued = api_as(personas["crew_lead"]).post(f"/api/crew-members/{crew['ana'].pk}/calendar-feed")
    assert issued.status_code == 201
    url = issued.json()["url"]
    assert url.startswith(settings.PUBLIC_URL + "/ical/") and url.endswith(".ics")
    settings.TIME_ZONE = "UTC"
    response = Client().get(_feed_path(url, settings))  # no account: the URL is the key
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"{job['number']} Jo Mover"
    assert event.decoded("DTSTART").isoformat() == "2027-03-02T13:00:00+00:00"
    assert event.decoded("DTEND").isoformat() == "2027-03-02T19:00:00+00:00"
    assert str(event["LOCATION"]) == "5 Pickup Rd, Boston"
    assert "Delivery: 9 Drop Ave, Cambridge; MA" in str(event["DESCRIPTION"])  # escaped and back
    assert str(event["STATUS"]) == "TENTATIVE"
    office.post_json(
        f"/api/jobs/{job['id']}/transition", {"to": "cancelled", "reason": "Sold the house"}
    )
    cancelled = icalendar.Calendar.from_ical(Client().get(_feed_path(url, settings)).content)
    assert str(cancelled.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"

    again = office.post(f"/api/crew-members/{crew['ana'].pk}/calendar-feed").json()["url"]
    assert Client().get(_feed_path(url, settings)).status_code == 404  # the old URL is dead
    assert Client().get(_feed_path(again, settings)).status_code == 200
    assert office.delete(f"/api/crew-members/{crew['ana'].pk}/calendar-feed").status_code == 204
    assert Client().get(_feed_path(again, settings)).status_code == 404


def test_crew_manage_only_their_own_feed(personas: Any, api_as: Any, crew: Any) -> None:
    other = api_as(personas["crew_member"]).post(
        f"/api/crew-members/{crew['ana'].pk}/calendar-feed"
    )
    assert other.status_code == 404
    assert (
        api_as(personas["sales"])
        .post(f"/api/crew-members/{crew['ana'].pk}/calendar-feed")
        .status_code
        == 404
    )
    assert Client().get("/ical/not-a-real-token.ics").status_code == 404


def test_long_lines_are_folded_without_splitting_characters() -> None:
    from simplepro.jobs.ical import _fold

    line = "DESCRIPTION:" + "é" * 80
    folded = _fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
