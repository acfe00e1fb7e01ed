from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from simplepro.accounts.models import User
from simplepro.customers.models import Customer
from simplepro.customers.services import customer_create
from simplepro.sales import services
from simplepro.sales.forms_admin import lead_form_save
from simplepro.sales.models import LeadForm, Opportunity

SITE = "https://www.baystate-movers.example"
LEAD = {
    "name": "Jamie Rivera",
    "email": "jamie@example.com",
    "phone": "617-555-0142",
    "move_date": "2027-06-14",
    "from_postal_code": "02139",
    "to_postal_code": "02458",
    "move_size": "two_bedrooms",
    "message": "Piano on the 3rd floor",
    "source": "website",
}


@pytest.fixture
def lead_form(personas: dict[str, User]) -> LeadForm:
    return lead_form_save(
        actor=personas["admin"], form=None,
        data={"name": "Website", "allowed_origins": [SITE + "/"]},
    )  # fmt: skip


def post_lead(
    client: Any, form: LeadForm, body: dict[str, Any] | None = None, **headers: Any
) -> Any:
    headers.setdefault("HTTP_ORIGIN", SITE)
    return client.post(
        "/api/public/leads", body if body is not None else LEAD, content_type="application/json",
        HTTP_X_SIMPLEPRO_FORM=form.public_key, **headers,
    )  # fmt: skip


@pytest.fixture
def customer(personas: dict[str, User]) -> Customer:
    return customer_create(actor=personas["admin"], data={
        "type": "residential", "name": "Ana Customer", "emails": ["ana@example.com"],
        "assigned_salesperson_id": personas["sales"].pk,
    })  # fmt: skip


@pytest.fixture
def opportunity(customer: Customer, personas: dict[str, User]) -> Opportunity:
    return services.opportunity_create(
        actor=personas["manager"], customer=customer,
        data={"move_size": "two_bedrooms", "move_date": dt.date(2027, 6, 14), "source": "website"},
    )  # fmt: skip
