"""Leads from the public endpoint and the office: validation, duplicates, abuse."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from simplepro.accounts.models import User
from simplepro.customers.models import Customer
from simplepro.customers.services import customer_create
from simplepro.notifications.models import Notification
from simplepro.sales.models import FunnelEvent, Lead, LeadForm, Opportunity
from tests.conftest import ApiClient, fresh_rate_limit_window
from tests.sales.conftest import LEAD, SITE, post_lead

pytestmark = pytest.mark.django_db


def test_a_web_lead_makes_a_customer_and_an_opportunity_for_the_next_salesperson(
    lead_form: LeadForm, personas: dict[str, User]
) -> None:
    response = post_lead(Client(), lead_form, {**LEAD, "utm_campaign": "spring", "utm_source": "g"})
    assert response.status_code == 201
    assert response.json()["status"] == "received"
    lead = Lead.objects.get(pk=response.json()["id"])
    customer = lead.customer
    assert customer.name == "Jamie Rivera"
    assert customer.phones == ["+16175550142"] and customer.emails == ["jamie@example.com"]
    opportunity = lead.opportunity
    assert opportunity.status == "open" and opportunity.source == "website"
    assert opportunity.move_size == "two_bedrooms" and str(opportunity.move_date) == "2027-06-14"
    assert opportunity.origin == {"postal_code": "02139"}
    assert opportunity.campaign == "spring" and lead.utm == {
        "utm_campaign": "spring",
        "utm_source": "g",
    }
    # the rotation's first salesperson works it, and the customer is theirs
    assert opportunity.salesperson in (personas["sales"], personas["sales2"])
    assert customer.assigned_salesperson == opportunity.salesperson
    assert Notification.objects.filter(
        recipient=opportunity.salesperson, event="lead_assigned"
    ).exists()
    assert set(FunnelEvent.objects.values_list("stage", flat=True)) == {"lead", "opportunity"}


def test_round_robin_gives_consecutive_leads_to_different_salespeople(
    lead_form: LeadForm, personas: dict[str, User]
) -> None:
    owners = []
    for index in range(4):
        body = {**LEAD, "email": f"p{index}@example.com", "phone": f"617-555-01{50 + index}"}
        lead = Lead.objects.get(pk=post_lead(Client(), lead_form, body).json()["id"])
        owners.append(lead.opportunity.salesperson_id)
    assert owners[0] != owners[1] and owners[0] == owners[2] and owners[1] == owners[3]


def test_a_lead_from_an_existing_customer_joins_them_flagged_and_tells_their_salesperson(
    lead_form: LeadForm, personas: dict[str, User]
) -> None:
    existing = customer_create(actor=personas["admin"], data={
        "type": "residential", "name": "Jamie R.", "phones": ["+1 617 555 0142"],
        "assigned_salesperson_id": personas["sales2"].pk,
    })  # fmt: skip
    response = post_lead(Client(), lead_form, {**LEAD, "email": "other@example.com"})
    assert response.status_code == 201  # the same answer as for a stranger
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.customer == existing and lead.matched_by == "phone"
    assert Customer.objects.count() == 1
    assert lead.opportunity.salesperson == personas["sales2"]
    told = Notification.objects.get(recipient=personas["sales2"], event="lead_assigned")
    assert "existing customer" in told.title
    # the same form again the same evening: the same move, a note on it
    again = Lead.objects.get(pk=post_lead(Client(), lead_form).json()["id"])
    assert again.opportunity == lead.opportunity and Opportunity.objects.count() == 1
    assert lead.opportunity.activities.filter(subject__contains="again").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**LEAD, "name": ""}, "name"),
        ({**LEAD, "email": "", "phone": ""}, "email"),
        ({**LEAD, "phone": "12"}, "phone"),
        ({**LEAD, "email": "not-an-email"}, "email"),
        ({**LEAD, "move_size": "castle"}, "move_size"),
        ({**LEAD, "message": "x" * 2001}, "message"),
        ({**LEAD, "move_date": "next week"}, "move_date"),
    ],
)
def test_bad_fields_are_a_422_naming_them_and_nothing_is_written(
    lead_form: LeadForm, body: dict[str, Any], field: str
) -> None:
    response = post_lead(Client(), lead_form, body)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert Customer.objects.count() == Lead.objects.count() == Opportunity.objects.count() == 0


def test_malformed_json_and_an_oversized_body_are_refused(lead_form: LeadForm) -> None:
    client = Client()
    response = client.post("/api/public/leads", "{nope", content_type="application/json",
                           HTTP_X_SIMPLEPRO_FORM=lead_form.public_key)  # fmt: skip
    assert response.status_code in (400, 422)
    big = json.dumps({**LEAD, "padding": "x" * 20000})
    response = client.post("/api/public/leads", big, content_type="application/json",
                           HTTP_X_SIMPLEPRO_FORM=lead_form.public_key)  # fmt: skip
    assert response.status_code == 413
    assert Lead.objects.count() == 0


def test_a_bad_key_an_inactive_form_or_a_foreign_site_is_403(lead_form: LeadForm) -> None:
    client = Client()
    bad = client.post("/api/public/leads", LEAD, content_type="application/json",
                      HTTP_X_SIMPLEPRO_FORM="lf_wrong")  # fmt: skip
    assert bad.status_code == 403
    foreign = post_lead(client, lead_form, HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403 and "evil.example" in foreign.json()["detail"]
    LeadForm.objects.update(is_active=False)
    assert post_lead(client, lead_form).status_code == 403
    assert Lead.objects.count() == 0


def test_cors_preflight_answers_the_forms_sites_only(lead_form: LeadForm) -> None:
    client = Client()

    def preflight(origin: str) -> Any:
        return client.options("/api/public/leads", HTTP_ORIGIN=origin,
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-simplepro-form")  # fmt: skip

    allowed = preflight(SITE)
    assert allowed["Access-Control-Allow-Origin"] == SITE
    assert "x-simplepro-form" in allowed["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example")
    assert post_lead(client, lead_form)["Access-Control-Allow-Origin"] == SITE


def test_the_honeypot_answers_like_a_success_and_stores_nothing(lead_form: LeadForm) -> None:
    response = post_lead(Client(), lead_form, {**LEAD, "website": "http://spam.example"})
    assert response.status_code == 201 and response.json()["status"] == "received"
    assert Lead.objects.count() == Customer.objects.count() == 0


def test_a_flood_from_one_address_is_429_and_never_fills_the_database(
    lead_form: LeadForm, settings: Any
) -> None:
    settings.LEAD_RATE_LIMITS = "3/60"
    fresh_rate_limit_window()
    client = Client()
    codes = [
        post_lead(
            client, lead_form, {**LEAD, "email": f"f{i}@example.com", "phone": ""}
        ).status_code
        for i in range(8)
    ]
    assert codes[:3] == [201, 201, 201] and set(codes[3:]) == {429}
    assert Lead.objects.count() == 3
    refused = post_lead(client, lead_form)
    assert int(refused["Retry-After"]) >= 1
    # another address is not held back by this one's flood
    other = post_lead(client, lead_form, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 201


def test_the_form_has_its_own_limit_across_addresses(lead_form: LeadForm, settings: Any) -> None:
    settings.LEAD_FORM_RATE_LIMITS = "2/60"
    fresh_rate_limit_window()
    codes = [
        post_lead(Client(), lead_form, {**LEAD, "email": f"a{i}@example.com", "phone": ""},
                  REMOTE_ADDR=f"203.0.113.{i}").status_code
        for i in range(4)
    ]  # fmt: skip
    assert codes == [201, 201, 429, 429]


def test_the_office_intake_form_uses_the_same_duplicate_check(
    web_as: Any, personas: dict[str, User]
) -> None:
    existing = customer_create(actor=personas["admin"], data={
        "type": "residential", "name": "Jamie R.", "emails": ["jamie@example.com"],
    })  # fmt: skip
    client = web_as(personas["customer_service"])
    response = client.post("/sales/new-lead/", {**LEAD, "source": "phone"})
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.customer == existing and lead.matched_by == "email"
    assert lead.entered_by == personas["customer_service"] and lead.form is None
    page = client.get(response["Location"])
    assert b"already a customer" in page.content


def test_the_office_intake_form_shows_what_is_wrong(web_as: Any, personas: dict[str, User]) -> None:
    client = web_as(personas["sales"])
    response = client.post("/sales/new-lead/", {"name": "Only A Name"})
    assert response.status_code == 422
    assert b"An e-mail address or a phone number is needed" in response.content
    assert Lead.objects.count() == 0


def test_the_hosted_form_page_takes_a_lead_and_may_be_framed_only_by_the_companys_sites(
    lead_form: LeadForm,
) -> None:
    client = Client()
    page = client.get(f"/f/{lead_form.public_key}/?utm_campaign=spring")
    assert page.status_code == 200
    assert f"frame-ancestors 'self' {SITE}" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    assert b'name="website"' in page.content  # the honeypot
    sent = client.post(f"/f/{lead_form.public_key}/?utm_campaign=spring",
                       {**LEAD, "flexible": "1", "utm_campaign": "spring"})  # fmt: skip
    assert sent.status_code == 200 and b"Thank you" in sent.content
    lead = Lead.objects.get()
    assert lead.opportunity.flexibility == "flexible" and lead.utm == {"utm_campaign": "spring"}
    assert client.get("/f/lf_nothing/").status_code == 404


def test_lead_forms_refuse_a_bad_origin(api_as: Any, personas: dict[str, User]) -> None:
    api: ApiClient = api_as(personas["admin"])
    response = api.post_json(
        "/api/lead-forms",
        {"name": "Site", "allowed_origins": ["javascript:x", "https://ok.example/path"]},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "allowed_origins[0]",
        "allowed_origins[1]",
    }
    made = api.post_json(
        "/api/lead-forms", {"name": "Site", "allowed_origins": ["HTTPS://Ok.Example:8443/"]}
    )
    assert made.status_code == 201 and made.json()["allowed_origins"] == ["https://ok.example:8443"]
    assert "<iframe" in made.json()["snippet"]


def test_a_form_with_a_price_range_answers_one_with_its_assumptions_and_keeps_it(
    client: Any, lead_form: LeadForm, personas: dict[str, Any]
) -> None:
    LeadForm.objects.filter(pk=lead_form.pk).update(show_price_range=True)
    lead_form.refresh_from_db()
    answer = post_lead(client, lead_form)
    assert answer.status_code == 201
    shown = answer.json()["price_range"]
    assert Decimal(shown["low"]) < Decimal(shown["high"]) and shown["currency"] == "USD"
    assert any("not a quote" in line for line in shown["assumptions"])
    assert any("2 bedrooms" in line for line in shown["assumptions"])
    lead = Lead.objects.get()
    assert lead.fields["price_range_shown"] == shown
    # The same lead priced again by hand gives the same figures: the range is the engine's.
    from simplepro.sales.price_range import price_range  # noqa: PLC0415

    again = price_range("two_bedrooms", dt.date(2027, 6, 14))
    assert again is not None and (str(again.low), str(again.high)) == (shown["low"], shown["high"])
    # No size, no range; a form without ranges never answers one.
    assert (
        "price_range"
        not in post_lead(
            client, lead_form, {**LEAD, "move_size": None, "email": "b@example.com"}
        ).json()
    )
    page = client.post(
        f"/f/{lead_form.public_key}/",
        {"name": "Framed Visitor", "email": "framed@example.com", "move_size": "studio"},
    )
    assert page.status_code == 200 and b'id="price-range"' in page.content
