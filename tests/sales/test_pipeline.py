"""Opportunities through the pipeline: the state machine, activities, "My day", and quotes
and jobs moving them along (the funnel counts each step once)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.customers.models import Customer
from simplepro.estimates.services import (
    estimate_create,
    estimate_decide,
    estimate_send,
    quote_viewed,
)
from simplepro.jobs.services import job_create, job_transition
from simplepro.pricing import EstimateInput
from simplepro.sales import services
from simplepro.sales.models import Activity, FunnelEvent, Opportunity
from simplepro.sales.selectors import my_day
from tests.conftest import ApiClient
from tests.paperwork.helpers import sign_off_all

pytestmark = pytest.mark.django_db


def test_an_opportunity_goes_to_the_customers_salesperson(
    opportunity: Opportunity, personas: Any
) -> None:
    assert opportunity.salesperson == personas["sales"]


def test_an_illegal_move_is_409_with_the_allowed_ones_and_changes_nothing(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    api = ApiClient(personas["sales"])
    won = api.post_json(f"/api/opportunities/{opportunity.pk}/status", {"status": "won"})
    assert won.status_code == 409 and "accepted estimate" in won.json()["detail"]
    opportunity.refresh_from_db()
    assert opportunity.status == "open"
    bad = api.post_json(f"/api/opportunities/{opportunity.pk}/status", {"status": "negotiating"})
    assert bad.status_code == 409 and bad.json()["allowed"] == [
        "contacted",
        "quoted",
        "won",
        "lost",
        "cancelled",
    ]
    opportunity.refresh_from_db()
    assert opportunity.status == "open"
    contacted = api.post_json(
        f"/api/opportunities/{opportunity.pk}/status", {"status": "contacted"}
    )
    retried = api.post_json(f"/api/opportunities/{opportunity.pk}/status", {"status": "contacted"})
    assert contacted.status_code == retried.status_code == 200  # a retry changes nothing
    assert FunnelEvent.objects.filter(opportunity=opportunity).count() == 1


def test_lost_needs_a_reason_from_the_list(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    api = ApiClient(personas["sales"])
    url = f"/api/opportunities/{opportunity.pk}/status"
    missing = api.post_json(url, {"status": "lost"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reason"
    unknown = api.post_json(url, {"status": "lost", "reason": "aliens"})
    assert unknown.status_code == 422 and "price" in unknown.json()["reasons"]
    opportunity.refresh_from_db()
    assert opportunity.status == "open"
    lost = api.post_json(url, {"status": "lost", "reason": "competitor", "competitor": "Speedy Vans",
                               "price_difference": "-150.00"})  # fmt: skip
    assert lost.status_code == 200
    body = lost.json()
    assert (
        body["status"] == "lost"
        and body["competitor"] == "Speedy Vans"
        and body["allowed"] == ["open"]
    )
    assert FunnelEvent.objects.filter(stage="lost").count() == 1
    reopened = api.post_json(url, {"status": "open"})
    assert reopened.json()["status"] == "open" and reopened.json()["close_reason"] == ""


def test_a_salesperson_sees_and_works_only_their_own(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    other = ApiClient(personas["sales2"])
    assert other.get(f"/api/opportunities/{opportunity.pk}").status_code == 404
    assert other.get("/api/opportunities").json()["count"] == 0
    before = opportunity.status
    assert other.post_json(f"/api/opportunities/{opportunity.pk}/status",
                           {"status": "contacted"}).status_code == 404  # fmt: skip
    opportunity.refresh_from_db()
    assert opportunity.status == before
    own = ApiClient(personas["sales"])
    reassign = own.patch_json(f"/api/opportunities/{opportunity.pk}",
                              {"salesperson_id": str(personas["sales2"].pk)})  # fmt: skip
    assert reassign.status_code == 403
    service = ApiClient(personas["customer_service"])
    assert service.get(f"/api/opportunities/{opportunity.pk}").status_code == 200
    assert service.post_json(f"/api/opportunities/{opportunity.pk}/status",
                             {"status": "contacted"}).status_code == 403  # fmt: skip
    logged = service.post_json("/api/activities", {"opportunity_id": str(opportunity.pk),
                                                   "kind": "call", "subject": "Called back",
                                                   "outcome": "no_answer"})  # fmt: skip
    assert logged.status_code == 201
    assert ApiClient(personas["crew_member"]).get("/api/opportunities").status_code == 403


def test_activities_fill_my_day_and_completing_a_call_marks_contacted(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    api = ApiClient(personas["sales"])
    now = timezone.now()
    made = {}
    for name, due in (("late", now - dt.timedelta(hours=2)), ("soon", now + dt.timedelta(minutes=5)),
                      ("later", now + dt.timedelta(days=3))):  # fmt: skip
        response = api.post_json("/api/activities", {"opportunity_id": str(opportunity.pk),
                                                     "kind": "call", "subject": name,
                                                     "due_at": due.isoformat()})  # fmt: skip
        assert response.status_code == 201
        made[name] = response.json()["id"]
    overdue = api.get("/api/activities?assignee=me&state=overdue").json()
    assert [a["subject"] for a in overdue["items"]] == ["late"]
    upcoming = api.get("/api/activities?assignee=me&state=upcoming").json()
    assert [a["subject"] for a in upcoming["items"]] == ["later"]
    day = my_day(viewer=personas["sales"], now=now)
    assert [a["subject"] for a in day["overdue"]] == ["late"]
    assert "later" in [a["subject"] for a in day["upcoming"]]
    done = api.post_json(f"/api/activities/{made['late']}/complete", {"outcome": "reached"})
    assert done.status_code == 200 and done.json()["completed_at"]
    again = api.post_json(f"/api/activities/{made['late']}/complete", {"outcome": "reached"})
    assert again.status_code == 409
    opportunity.refresh_from_db()
    assert opportunity.status == "contacted"
    assert (
        ApiClient(personas["sales2"])
        .post_json(f"/api/activities/{made['soon']}/complete", {"outcome": "reached"})
        .status_code
        == 404
    )


def test_quote_view_accept_and_booking_move_the_opportunity_and_the_funnel(
    opportunity: Opportunity,
    customer: Customer,
    personas: dict[str, User],
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    sales = personas["sales"]
    estimate = estimate_create(
        actor=sales, customer=customer,
        estimate_input=EstimateInput(service="local", move_date=dt.date(2027, 6, 14)),
    )  # fmt: skip
    assert services.opportunity_for_estimate(estimate.pk) == opportunity  # quoted for the open move
    estimate_send(actor=sales, estimate=estimate)
    opportunity.refresh_from_db()
    assert opportunity.status == "quoted" and opportunity.estimated_value is not None
    quote_viewed(version=estimate.versions.get())
    assert opportunity.activities.filter(subject="The customer opened the quote").exists()
    estimate_decide(actor=sales, estimate=estimate, accepted=True)
    opportunity.refresh_from_db()
    assert opportunity.status == "won" and opportunity.closed_at is not None
    estimate.refresh_from_db()
    start = dt.datetime(2027, 6, 14, 12, tzinfo=dt.UTC)
    job = job_create(actor=personas["dispatcher"], customer=customer, data={
        "estimate": estimate, "scheduled_start": start, "scheduled_end": start + dt.timedelta(hours=5),
    })  # fmt: skip
    opportunity.refresh_from_db()
    assert opportunity.job == job
    sign_off_all(personas["dispatcher"], job)
    for step in ("confirmed", "en_route", "in_progress", "completed"):
        job_transition(actor=personas["dispatcher"], job=job, to=step)
    stages = list(FunnelEvent.objects.filter(opportunity=opportunity).order_by("at", "pk")
                  .values_list("stage", flat=True))  # fmt: skip
    assert stages == [
        "opportunity",
        "quote_sent",
        "quote_accepted",
        "won",
        "job_created",
        "job_completed",
    ]
    sent = FunnelEvent.objects.get(stage="quote_sent")
    assert sent.value == opportunity.estimated_value and sent.salesperson == sales
    # sending the same quote again is not a second step
    assert Activity.objects.filter(opportunity=opportunity, kind="quote_sent").count() == 1


def test_the_board_lists_each_status_with_values(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    services.opportunity_update(actor=personas["manager"], opportunity=opportunity,
                                data={"estimated_value": "2000.00"})  # fmt: skip
    board = ApiClient(personas["manager"]).get("/api/opportunities/board").json()
    open_column = next(c for c in board["columns"] if c["status"] == "open")
    assert open_column["count"] == 1 and open_column["value"] == "2000.00"
    assert open_column["weighted_value"] == "200.00"
    assert [c["status"] for c in board["columns"]][:4] == [
        "open",
        "contacted",
        "quoted",
        "negotiating",
    ]


def test_the_pages_render_for_a_salesperson(
    web_as: Any, opportunity: Opportunity, personas: dict[str, User]
) -> None:
    client = web_as(personas["sales"])
    for url in ("/sales/", "/sales/list/", "/sales/my-day/", "/sales/new-lead/",
                f"/sales/opportunities/{opportunity.pk}/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Ana Customer" in response.content or url in ("/sales/my-day/", "/sales/new-lead/")
    moved = client.post(f"/sales/opportunities/{opportunity.pk}/status/", {"status": "contacted"})
    assert moved.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.status == "contacted"
    assert (
        web_as(personas["sales2"]).get(f"/sales/opportunities/{opportunity.pk}/").status_code == 404
    )
    assert web_as(personas["crew_lead"]).get("/sales/").status_code == 403
    assert client.get("/sales/forms/").status_code == 403


def test_an_activity_due_without_a_utc_offset_is_a_422(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    response = ApiClient(personas["sales"]).post_json("/api/activities", {
        "opportunity_id": str(opportunity.pk), "kind": "call", "due_at": "2027-06-14T10:00:00",
    })  # fmt: skip
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "due_at"
    assert not Activity.objects.filter(kind="call").exists()


def test_the_board_and_my_day_cost_the_same_queries_for_3_or_30_moves(
    customer: Customer, personas: dict[str, User], web_as: Any
) -> None:
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    api, page = ApiClient(personas["manager"]), web_as(personas["sales"])

    def cost() -> tuple[int, int, int]:
        counts = []
        for client, path in ((api, "/api/opportunities/board"), (page, "/sales/"),
                             (page, "/sales/my-day/")):  # fmt: skip
            assert client.get(path).status_code == 200  # the session is cached from here on
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            counts.append(len(queries))
        return counts[0], counts[1], counts[2]

    def add(n: int) -> None:
        for i in range(n):
            made = services.opportunity_create(actor=personas["manager"], customer=customer,
                                               data={"estimated_value": "100"})  # fmt: skip
            services.activity_create(actor=personas["sales"], opportunity=made, data={
                "kind": "call", "subject": f"Call {i}", "due_at": timezone.now()})  # fmt: skip

    add(3)
    few = cost()
    add(27)
    assert cost() == few
    board = api.get("/api/opportunities/board").json()
    assert board["columns"][0]["count"] == 30 and board["columns"][0]["value"] == "3000.00"
