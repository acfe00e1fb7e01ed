"""Draft → sent → accepted / declined / expired; versions on edit; the quote PDF stored once
with its SHA-256, e-mailed with a signed link; configurable discount limits."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import socket
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from simplepro.accounts.services import company_update
from simplepro.audit.models import AuditRecord
from simplepro.customers.services import customer_create
from simplepro.estimates.models import Estimate, EstimateVersion
from simplepro.estimates.services import company_today

pytestmark = pytest.mark.django_db

INPUT = {"service": "local", "move_date": "2026-10-13", "crew_size": 3, "estimated_hours": "4"}


@pytest.fixture
def customer(personas: Any) -> Any:
    return customer_create(
        actor=personas["super_admin"],
        data={
            "type": "residential",
            "name": "Olga Packer",
            "emails": ["olga@example.com"],
            "assigned_salesperson_id": personas["sales"].pk,
        },
    )


def _create(api: Any, customer: Any, **extra: Any) -> dict[str, Any]:
    response = api.post_json(
        "/api/estimates",
        {
            "customer_id": str(customer.pk),
            "input": INPUT,
            "pickup_address": "1 Elm St, Boston",
            **extra,
        },
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_send_stores_the_pdf_once_emails_it_and_the_link_serves_it(
    personas: Any, api_as: Any, customer: Any, settings: Any
) -> None:
    api = api_as(personas["sales"])
    estimate = _create(api, customer)
    sent = api.post(f"/api/estimates/{estimate['id']}/send")
    assert sent.status_code == 200, sent.json()
    body = sent.json()
    assert body["status"] == "sent"
    assert body["valid_until"] == (company_today() + dt.timedelta(days=30)).isoformat()
    version = EstimateVersion.objects.get(estimate_id=estimate["id"])
    stored = (Path(settings.PRIVATE_FILES_ROOT) / version.pdf_path).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == version.pdf_sha256 == body["current"]["pdf_sha256"]
    text = _pdf_text(stored)
    assert "Olga Packer" in text and "990.00" in text and "1 Elm St, Boston" in text
    assert "Non-binding estimate" in text

    [message] = mail.outbox
    assert message.to == ["olga@example.com"]
    [(name, attached, kind)] = message.attachments
    assert kind == "application/pdf" and attached == stored
    link = next(line for line in message.body.splitlines() if "/q/" in line)
    customer_side = Client()  # no account needed
    page = customer_side.get(link.split(settings.PUBLIC_URL, 1)[1])
    assert page.status_code == 200 and b"Accept this quote" in page.content
    public = customer_side.get(link.split(settings.PUBLIC_URL, 1)[1] + "pdf/")
    assert public.status_code == 200 and public.content == stored
    assert public["X-Content-SHA256"] == version.pdf_sha256
    seen = Estimate.objects.get(pk=estimate["id"])
    assert (seen.view_count, seen.download_count) == (1, 1)
    assert Client().get(link.split(settings.PUBLIC_URL, 1)[1][:-3] + "xx/").status_code == 404
    assert api.get(f"/api/estimates/{estimate['id']}/quote.pdf").content == stored
    assert AuditRecord.objects.filter(entity_id=estimate["id"], action="send").exists()


def test_a_changed_pdf_on_disk_is_never_served(
    personas: Any, api_as: Any, customer: Any, settings: Any
) -> None:
    api = api_as(personas["sales"])
    estimate = _create(api, customer)
    api.post(f"/api/estimates/{estimate['id']}/send")
    version = EstimateVersion.objects.get(estimate_id=estimate["id"])
    path = Path(settings.PRIVATE_FILES_ROOT) / version.pdf_path
    path.write_bytes(path.read_bytes() + b"%tampered")
    response = api.get(f"/api/estimates/{estimate['id']}/quote.pdf")
    assert response.status_code == 500
    assert not response.content.startswith(b"%PDF")


def test_sending_needs_an_email_address_and_changes_nothing_without_one(
    personas: Any, api_as: Any
) -> None:
    nobody = customer_create(
        actor=personas["super_admin"], data={"type": "residential", "name": "No Mail"}
    )
    api = api_as(personas["manager"])
    estimate = _create(api, nobody)
    refused = api.post(f"/api/estimates/{estimate['id']}/send")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "no_email"
    assert Estimate.objects.get(pk=estimate["id"]).status == "draft"
    assert mail.outbox == []


def test_an_smtp_failure_leaves_the_estimate_a_draft_and_a_retry_works(
    personas: Any, api_as: Any, customer: Any, settings: Any
) -> None:
    with socket.socket() as probe:  # a port nothing listens on: a real refused connection
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    api = api_as(personas["sales"])
    estimate = _create(api, customer)
    failed = api.post(f"/api/estimates/{estimate['id']}/send")
    assert failed.status_code == 503
    assert "not marked sent" in failed.json()["detail"]
    row = Estimate.objects.get(pk=estimate["id"])
    assert (row.status, row.valid_until) == ("draft", None)
    assert EstimateVersion.objects.get(estimate_id=estimate["id"]).pdf_sha256 == ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert api.post(f"/api/estimates/{estimate['id']}/send").json()["status"] == "sent"


def test_editing_a_sent_estimate_makes_a_new_version_and_keeps_the_old(
    personas: Any, api_as: Any, customer: Any
) -> None:
    api = api_as(personas["sales"])
    estimate = _create(
        api, customer, inventory=[{"room": "Bedroom", "key": "bed_queen", "quantity": 1}]
    )
    api.post(f"/api/estimates/{estimate['id']}/send")
    revised = api.post_json(
        f"/api/estimates/{estimate['id']}/versions", {"input": {**INPUT, "crew_size": 4}}
    )
    assert revised.status_code == 201, revised.json()
    body = revised.json()
    assert (body["status"], body["versions"], body["current"]["number"]) == ("draft", 2, 2)
    assert body["current"]["inventory"] == [{"room": "Bedroom", "key": "bed_queen", "quantity": 1}]
    assert body["current"]["total"] != estimate["current"]["total"]
    versions = api.get(f"/api/estimates/{estimate['id']}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[1]["pdf_sha256"] and versions[1]["total"] == estimate["current"]["total"]
    assert versions[1]["input"]["crew_size"] == 3
    unknown = api.post_json(
        f"/api/estimates/{estimate['id']}/versions",
        {"input": INPUT, "inventory": [{"room": "Attic", "key": "time_machine", "quantity": 1}]},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "inventory[0].key"


def test_accept_and_decline_only_a_sent_estimate(personas: Any, api_as: Any, customer: Any) -> None:
    api = api_as(personas["customer_service"])
    estimate = _create(api, customer)
    draft = api.post_json(f"/api/estimates/{estimate['id']}/accept", {})
    assert draft.status_code == 409 and "draft" in draft.json()["detail"]
    api.post(f"/api/estimates/{estimate['id']}/send")
    declined = api.post_json(f"/api/estimates/{estimate['id']}/decline", {"note": "Too pricey"})
    assert declined.json()["status"] == "declined"
    assert Estimate.objects.get(pk=estimate["id"]).decision_note == "Too pricey"
    again = api.post_json(f"/api/estimates/{estimate['id']}/versions", {"input": INPUT})
    assert again.status_code == 409


def test_a_sent_estimate_past_its_validity_expires(
    personas: Any, api_as: Any, customer: Any
) -> None:
    api = api_as(personas["sales"])
    estimate = _create(api, customer)
    api.post(f"/api/estimates/{estimate['id']}/send")
    Estimate.objects.filter(pk=estimate["id"]).update(
        valid_until=company_today() - dt.timedelta(days=1)
    )
    assert api.get(f"/api/estimates/{estimate['id']}").json()["status"] == "expired"
    listed = api.get("/api/estimates", {"status": "expired"}).json()["items"]
    assert [e["id"] for e in listed] == [estimate["id"]]
    assert api.get("/api/estimates", {"status": "sent"}).json()["items"] == []
    refused = api.post_json(f"/api/estimates/{estimate['id']}/accept", {})
    assert refused.status_code == 409
    assert Estimate.objects.get(pk=estimate["id"]).status == "expired"
    # an expired quote can be re-quoted: a new draft version
    requote = api.post_json(f"/api/estimates/{estimate['id']}/versions", {"input": INPUT})
    assert requote.json()["status"] == "draft"


def test_discount_limits_are_the_companys_and_discounts_are_audited(
    personas: Any, api_as: Any, customer: Any
) -> None:
    api = api_as(personas["sales"])
    discounted = {
        **INPUT,
        "adjustment": {"kind": "discount_percent", "value": "12", "reason": "Repeat customer"},
    }
    body = {"customer_id": str(customer.pk), "input": discounted}
    refused = api.post_json("/api/estimates", body)
    assert refused.status_code == 403 and "at most 10" in refused.json()["detail"]
    company_update(actor=personas["admin"], discount_limits={"sales": "15"})
    allowed = api.post_json("/api/estimates", body)
    assert allowed.status_code == 201
    result = allowed.json()["current"]["result"]
    assert result["adjustment"]["explanation"] == "Repeat customer"
    assert Decimal(result["breakdown"]["adjustment"]) < 0
    record = AuditRecord.objects.get(entity_id=allowed.json()["id"], action="create")
    assert "Repeat customer" in record.changes["adjustment"]["after"]
    limits = api_as(personas["admin"]).get("/api/company").json()["discount_limits"]
    assert limits["sales"] == "15" and limits["manager"] == "25"
    assert (
        api_as(personas["admin"])
        .patch_json("/api/company", {"discount_limits": {"sales": "101"}})
        .status_code
        == 422
    )


def test_the_daily_sweep_writes_expiry_down(personas: Any, api_as: Any, customer: Any) -> None:
    from django.core.management import call_command

    api = api_as(personas["sales"])
    estimate = _create(api, customer)
    api.post(f"/api/estimates/{estimate['id']}/send")
    Estimate.objects.filter(pk=estimate["id"]).update(
        valid_until=company_today() - dt.timedelta(days=1)
    )
    out = io.StringIO()
    call_command("expire_estimates", stdout=out)
    assert out.getvalue().strip() == "1 estimate(s) expired."
    assert Estimate.objects.get(pk=estimate["id"]).status == "expired"


def test_the_customer_accepts_on_their_link_and_the_office_sees_how_long_it_took(
    personas: Any, api_as: Any, customer: Any, settings: Any
) -> None:
    api = api_as(personas["sales"])
    estimate = _create(api, customer)
    api.post(f"/api/estimates/{estimate['id']}/send")
    link = next(line for line in mail.outbox[0].body.splitlines() if "/q/" in line)
    path = link.split(settings.PUBLIC_URL, 1)[1]
    # The office revises before the customer decides: the old link can no longer accept.
    revised = api.post_json(f"/api/estimates/{estimate['id']}/versions", {
        "input": {"service": "local", "move_date": "2026-10-13", "crew_size": 3},
        "reason": "The customer added the garage",
    })  # fmt: skip
    assert revised.status_code == 201, revised.content
    assert revised.json()["current"]["reason"] == "The customer added the garage"
    assert revised.json()["current"]["price_change"] is not None
    customer_side = Client()
    old = customer_side.get(path)
    assert b"This quote was revised" in old.content and b"Accept this quote" not in old.content
    assert customer_side.post(path + "decide/", {"decision": "accept"}).status_code == 409
    api.post(f"/api/estimates/{estimate['id']}/send")
    new_link = next(line for line in mail.outbox[-1].body.splitlines() if "/q/" in line)
    new_path = new_link.split(settings.PUBLIC_URL, 1)[1]
    assert customer_side.get(new_path).status_code == 200
    done = customer_side.post(new_path + "decide/", {"decision": "accept", "note": "See you!"})
    assert done.status_code == 302
    shown = customer_side.get(new_path).content.decode()
    assert "This quote is accepted" in shown and "Accept this quote" not in shown
    body = api.get(f"/api/estimates/{estimate['id']}").json()
    assert body["status"] == "accepted"
    engagement = body["engagement"]
    # Counted in whole days rounded up, like the original's quote history.
    assert engagement["view_count"] == 3 and engagement["days_to_decision"] == 1
    # The first look came before the revised version was sent (counted from the latest send).
    assert engagement["days_to_first_view"] == 0 and engagement["download_count"] == 0
    record = AuditRecord.objects.get(entity_id=estimate["id"], action="accept")
    assert record.actor is None  # the customer, on their link
