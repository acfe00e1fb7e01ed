"""The funnel counts each recorded step once, by period and group, from its day rollup
(which always agrees with the events it sums); the leaderboard, the weighted pipeline and
why moves were lost."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from simplepro.accounts.models import User
from simplepro.customers.models import Customer
from simplepro.estimates.services import estimate_create, estimate_decide, estimate_send
from simplepro.jobs.services import job_create, job_transition
from simplepro.pricing import EstimateInput
from simplepro.sales import funnel, services
from simplepro.sales.models import FunnelDay, Opportunity
from tests.conftest import ApiClient
from tests.paperwork.helpers import sign_off_all
from tests.sales.conftest import post_lead

pytestmark = pytest.mark.django_db


def move_through(customer: Customer, personas: dict[str, User]) -> None:
    """Quote, accept, book and complete the customer's move, as the office does."""
    sales = personas["sales"]
    estimate = estimate_create(
        actor=sales, customer=customer,
        estimate_input=EstimateInput(service="local", move_date=dt.date(2027, 6, 14)),
    )  # fmt: skip
    estimate_send(actor=sales, estimate=estimate)
    estimate_decide(actor=None, estimate=estimate, accepted=True)
    estimate.refresh_from_db()
    start = dt.datetime(2027, 6, 14, 12, tzinfo=dt.UTC)
    job = job_create(actor=personas["dispatcher"], customer=customer, data={
        "estimate": estimate, "scheduled_start": start,
        "scheduled_end": start + dt.timedelta(hours=5),
    })  # fmt: skip
    sign_off_all(personas["dispatcher"], job)
    for step in ("confirmed", "en_route", "in_progress", "completed"):
        job_transition(actor=personas["dispatcher"], job=job, to=step)


def rollup() -> list[tuple[Any, ...]]:
    return sorted(FunnelDay.objects.values_list(
        "scope", "dimension", "key", "day", "stage", "count", "value", "timed"))  # fmt: skip


def test_the_funnel_counts_each_step_with_rates_and_groups(
    client: Any, lead_form: Any, personas: dict[str, User], customer: Customer, settings: Any,
    tmp_path: Any,
) -> None:  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    assert post_lead(client, lead_form).status_code == 201
    web = Opportunity.objects.get()
    services.opportunity_create(actor=personas["manager"], customer=customer,
                                data={"source": "phone", "move_size": "studio"})  # fmt: skip
    move_through(web.customer, personas)
    api = ApiClient(personas["manager"])
    answer = api.get("/api/pipeline/funnel").json()
    assert [(s["stage"], s["count"]) for s in answer["stages"]] == [
        ("lead", 1), ("opportunity", 2), ("quote_sent", 1), ("quote_accepted", 1),
        ("job_created", 1), ("job_completed", 1),
    ]  # fmt: skip
    assert [s["rate"] for s in answer["stages"]] == [None, 200.0, 50.0, 100.0, 100.0, 100.0]
    assert answer["overall_rate"] == 100.0 and answer["won"] == 1
    assert answer["stages"][2]["value"] == answer["stages"][3]["value"] != "0.00"
    assert answer["stages"][2]["avg_days"] == 0.0  # quoted minutes after it came in
    grouped = api.get("/api/pipeline/funnel?group_by=source").json()["groups"]
    assert {g["label"]: g["stages"][1]["count"] for g in grouped} == {"Website": 1, "Phone call": 1}
    sizes = api.get("/api/pipeline/funnel?group_by=move_size").json()["groups"]
    assert {g["label"] for g in sizes} == {"2 bedrooms", "Studio"}
    # A period before any of it: nothing.
    assert api.get("/api/pipeline/funnel?from=2020-01-01&to=2020-12-31").json()["stages"][1][
        "count"] == 0  # fmt: skip
    bad = api.get("/api/pipeline/funnel?from=2027-02-01&to=2027-01-01")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
    assert api.get("/api/pipeline/funnel?group_by=colour").status_code == 422
    # The rollup is what the events sum to.
    kept = rollup()
    assert funnel.rollup_rebuild() == 8  # events
    assert rollup() == kept


def test_a_salesperson_sees_their_own_figures_and_the_leaderboard(
    personas: dict[str, User], customer: Customer, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    opportunity = services.opportunity_create(
        actor=personas["manager"], customer=customer, data={"estimated_value": "2000"}
    )
    other = services.opportunity_create(
        actor=personas["manager"], customer=customer, data={"estimated_value": "500"},
        salesperson_id=personas["sales2"].pk,
    )  # fmt: skip
    services.opportunity_set_status(
        actor=personas["manager"], opportunity=other, status="lost", reason="price",
        competitor="Cheap Movers", price_difference=Decimal("-150"),
    )  # fmt: skip
    move_through(customer, personas)
    opportunity.refresh_from_db()
    assert opportunity.status == "won"
    own = ApiClient(personas["sales2"]).get("/api/pipeline/funnel").json()
    assert own["stages"][1]["count"] == 1 and own["lost"] == 1 and own["won"] == 0
    board = ApiClient(personas["sales2"]).get("/api/pipeline/leaderboard").json()
    assert [(row["name"], row["won"], row["lost"]) for row in board] == [
        (personas["sales"].display_name, 1, 0),
        (personas["sales2"].display_name, 0, 1),
    ]
    assert board[1]["win_rate"] == 0.0 and board[0]["win_rate"] == 100.0
    losses = ApiClient(personas["manager"]).get("/api/pipeline/losses").json()
    assert losses == [
        {
            "reason": "price",
            "label": "Price too high",
            "count": 1,
            "avg_price_difference": "-150.00",
            "competitors": ["Cheap Movers"],
        }
    ]
    services.opportunity_create(actor=personas["manager"], customer=customer,
                                data={"estimated_value": "1000"})  # fmt: skip
    value = ApiClient(personas["manager"]).get("/api/pipeline/value").json()
    assert value["value"] == "1000.00" and value["weighted"] == "100.00"  # open: 10 %
    assert ApiClient(personas["crew_member"]).get("/api/pipeline/funnel").status_code == 403


def test_the_figures_page_shows_the_funnel_and_the_pipeline(
    web_as: Any, personas: dict[str, User], customer: Customer
) -> None:
    services.opportunity_create(actor=personas["manager"], customer=customer,
                                data={"estimated_value": "1234.50", "source": "website"})  # fmt: skip
    page = web_as(personas["manager"]).get("/sales/figures/?group_by=source").content.decode()
    assert 'data-stage="opportunity"' in page and "Website" in page
    assert "USD 1,234.50" in page and "USD 123.45" in page  # weighted at 10 %
    mine = web_as(personas["sales2"]).get("/sales/figures/").content.decode()
    assert "(your opportunities)" in mine and "USD 1,234.50" not in mine
    assert web_as(personas["crew_member"]).get("/sales/figures/").status_code == 403
