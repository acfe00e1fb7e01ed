"""Estimate and pricing pages through Django's test client (the browser test drives the
builder's htmx in Chromium; these cover the server side of every form)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simplepro.customers.services import customer_create
from simplepro.estimates.models import Estimate, StoredRuleset
from simplepro.pricing.defaults import default_ruleset

pytestmark = pytest.mark.django_db

FORM = {
    "service": "local",
    "move_date": "2026-10-13",
    "crew_size": "3",
    "estimated_hours": "4",
    "estimate_type": "binding",
    "valuation": "released",
    "pickup_address": "1 Elm St",
    "room-ab12": "Bedroom",
    "qty-ab12-bed_queen": "1",
    "qty-ab12-dresser_large": "2",
    "qty-ab12-no_such_item": "3",
}


@pytest.fixture
def customer(personas: Any) -> Any:
    return customer_create(
        actor=personas["super_admin"],
        data={"type": "residential", "name": "Web Buyer", "emails": ["web@example.com"]},
    )


def test_live_preview_prices_and_totals_the_survey(personas: Any, web_as: Any) -> None:
    client = web_as(personas["sales"])
    page = client.post("/estimates/builder/preview/", FORM).content.decode()
    assert 'data-test="items">3<' in page  # the unknown item is left out
    assert 'data-test="cubic-feet">140<' in page  # 60 + 2 × 40
    assert 'data-test="total">990.00<' in page


def test_the_builder_lists_every_problem_and_keeps_what_was_typed(
    personas: Any, web_as: Any, customer: Any
) -> None:
    client = web_as(personas["manager"])
    bad = {**FORM, "customer": str(customer.pk), "crew_size": "40", "adjustment_kind": "override",
           "adjustment_value": "500", "adjustment_reason": ""}  # fmt: skip
    response = client.post("/estimates/new/", bad)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Crew size" in page and "less than or equal to 12" in page
    assert 'value="1 Elm St"' in page and 'name="qty-' in page
    assert Estimate.objects.count() == 0


def test_save_then_edit_makes_a_second_version(personas: Any, web_as: Any, customer: Any) -> None:
    client = web_as(personas["super_admin"])
    saved = client.post("/estimates/new/", {**FORM, "customer": str(customer.pk)})
    assert saved.status_code == 302
    estimate = Estimate.objects.get()
    detail = client.get(saved["Location"]).content.decode()
    assert "990.00" in detail and "Binding estimate" in detail
    edit = client.get(f"/estimates/{estimate.pk}/edit/").content.decode()
    assert 'value="Bedroom"' in edit and "Queen bed" in edit
    again = client.post(f"/estimates/{estimate.pk}/edit/", {**FORM, "crew_size": "4"})
    assert again.status_code == 302
    assert estimate.versions.count() == 2
    quote = client.get(f"/estimates/{estimate.pk}/quote/").content.decode()
    assert 'id="quote-total"' in quote
    pdf = client.get(f"/estimates/{estimate.pk}/quote/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_pages_follow_the_permission_map(personas: Any, web_as: Any, customer: Any) -> None:
    assert web_as(personas["dispatcher"]).get("/estimates/new/").status_code == 403
    assert web_as(personas["dispatcher"]).get("/estimates/").status_code == 200
    assert web_as(personas["crew_member"]).get("/estimates/").status_code == 403
    assert web_as(personas["sales"]).get("/pricing/").status_code == 403
    client = web_as(personas["sales2"])  # not this customer's salesperson
    response = client.post("/estimates/new/", {**FORM, "customer": str(customer.pk)})
    assert response.status_code == 422 and "choose the customer" in response.content.decode()


def test_ruleset_page_shows_problems_in_place_then_previews_and_activates(
    personas: Any, web_as: Any
) -> None:
    client = web_as(personas["admin"])
    page = client.get("/pricing/").content.decode()
    assert "SimplePro default" in page and "&quot;version&quot;: &quot;2026.2&quot;" in page
    content = default_ruleset().model_dump(mode="json")
    broken = {**content, "version": "2027.1", "tax_rate": "2"}
    broken["rules"] = [{**content["rules"][0], "when": {"field": "nope", "op": "eq", "value": 1}}]
    refused = client.post("/pricing/", {"content": json.dumps(broken)})
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "tax_rate: Input should be less than or equal to 1" in text
    assert "&quot;version&quot;: &quot;2027.1&quot;" in text  # what was typed stays
    broken["tax_rate"] = "0.05"
    text = client.post("/pricing/", {"content": json.dumps(broken)}).content.decode()
    assert "rules[0].when.field: unknown field &#x27;nope&#x27;" in text
    assert not StoredRuleset.objects.filter(version="2027.1").exists()

    yaml_text = "\n".join(
        ["name: Winter tariff", "version: '2027.1'", f"tariff: {json.dumps(content['tariff'])}",
         "tax_rate: '0.05'", "deposit: {percent: '10'}", "quote_valid_days: 14"]
    )  # fmt: skip
    stored = client.post("/pricing/", {"content": yaml_text})
    assert stored.status_code == 302
    detail = client.get(stored["Location"]).content.decode()
    assert "Activate this version" in detail
    activated = client.post(stored["Location"])
    assert activated.status_code == 302
    assert StoredRuleset.objects.get(is_active=True).version == "2027.1"


def test_a_move_size_prices_without_a_survey(personas: Any, web_as: Any) -> None:
    form = {k: v for k, v in FORM.items() if not k.startswith(("room-", "qty-"))}
    page = web_as(personas["sales"]).post(
        "/estimates/builder/preview/", {**form, "move_size": "three_bedroom_house"}
    )
    text = page.content.decode()
    assert 'data-test="items">0<' in text
    assert "4 movers" in text  # suggested for 1,500 cu ft
