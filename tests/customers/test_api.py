from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from simplepro.audit.models import AuditRecord
from simplepro.customers.models import Customer, CustomerLookup
from tests.conftest import new_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(personas: Any, api_as: Any) -> Any:
    return api_as(personas["super_admin"])


def test_create_returns_201_with_phones_in_e164(owner_api: Any) -> None:
    body = new_customer(
        owner_api,
        name="Ana Lopez",
        emails=["Ana@Example.COM"],
        phones=["(617) 555-0123", "+44 20 7946 0958"],
        addresses=[{"label": "origin", "line1": "1 Main St", "city": "Boston", "region": "MA"}],
        tags=["Piano", "piano", "storage"],
    )
    assert body["phones"] == ["+16175550123", "+442079460958"]
    assert body["emails"] == ["ana@example.com"]
    assert body["tags"] == ["piano", "storage"]
    assert body["status"] == "lead"
    assert body["addresses"][0]["country"] == "US"
    assert Customer.objects.get(pk=body["id"]).phones == body["phones"]


def test_invalid_phone_is_422_naming_the_item(owner_api: Any) -> None:
    response = owner_api.post_json(
        "/api/customers", {"type": "residential", "name": "X", "phones": ["617 555 0123", "12"]}
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["phones[1]"]
    assert Customer.objects.count() == 0


def test_schema_errors_name_every_field(owner_api: Any) -> None:
    response = owner_api.post_json(
        "/api/customers", {"type": "villa", "name": "", "emails": ["not-an-email"], "color": "red"}
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"type", "name", "emails[0]", "color"} <= fields


def test_missing_required_fields_are_reported(owner_api: Any) -> None:
    response = owner_api.post_json("/api/customers", {})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"type", "name"}


def test_duplicate_email_or_phone_is_a_warning_not_an_error(owner_api: Any) -> None:
    first = new_customer(owner_api, name="First", emails=["same@example.com"])
    second = new_customer(
        owner_api, name="Second", emails=["SAME@example.com"], phones=["6175550100"]
    )
    assert second["duplicates"] == [
        {"id": first["id"], "name": "First", "matched_on": "email", "value": "same@example.com"}
    ]
    detail = owner_api.get(f"/api/customers/{first['id']}").json()
    assert [d["id"] for d in detail["duplicates"]] == [second["id"]]


def test_patch_changes_only_given_fields_and_audits_before_after(owner_api: Any) -> None:
    customer = new_customer(owner_api, name="Old Name", notes="keep me", phones=["6175550111"])
    response = owner_api.patch_json(
        f"/api/customers/{customer['id']}",
        {"name": "New Name", "status": "active"},
        HTTP_X_REQUEST_ID="req-patch-1",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["status"], body["notes"]) == ("New Name", "active", "keep me")
    record = AuditRecord.objects.get(entity_id=customer["id"], action="update")
    assert record.changes == {
        "name": {"before": "Old Name", "after": "New Name"},
        "status": {"before": "lead", "after": "active"},
    }
    assert record.request_id == "req-patch-1"
    assert record.actor == owner_api.user


def test_patch_with_invalid_value_changes_nothing(owner_api: Any) -> None:
    customer = new_customer(owner_api, name="Stays", phones=["6175550111"])
    response = owner_api.patch_json(
        f"/api/customers/{customer['id']}", {"name": "Changed", "phones": ["nope"]}
    )
    assert response.status_code == 422
    assert Customer.objects.get(pk=customer["id"]).name == "Stays"
    assert not AuditRecord.objects.filter(entity_id=customer["id"], action="update").exists()


def test_patch_null_for_required_field_is_422(owner_api: Any) -> None:
    customer = new_customer(owner_api)
    response = owner_api.patch_json(f"/api/customers/{customer['id']}", {"name": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


def test_archive_and_restore(owner_api: Any) -> None:
    customer = new_customer(owner_api)
    archived = owner_api.post(f"/api/customers/{customer['id']}/archive").json()
    assert archived["archived"] is True
    listed = owner_api.get("/api/customers").json()
    assert listed["count"] == 0
    assert owner_api.get("/api/customers?archived=true").json()["count"] == 1
    restored = owner_api.post(f"/api/customers/{customer['id']}/restore").json()
    assert restored["archived"] is False
    actions = list(
        AuditRecord.objects.filter(entity_id=customer["id"])
        .order_by("at")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "archive", "restore"]


def test_search_by_name_email_and_phone_digits(owner_api: Any) -> None:
    ana = new_customer(
        owner_api, name="Ana Lopez", emails=["ana@movers.example"], phones=["617-555-0199"]
    )
    new_customer(owner_api, name="Bob Stone", emails=["bob@other.example"], phones=["508 555 0100"])

    def ids(query: str) -> list[str]:
        return [c["id"] for c in owner_api.get("/api/customers", {"search": query}).json()["items"]]

    assert ids("lopez") == [ana["id"]]
    assert ids("ANA@MOVERS") == [ana["id"]]
    assert ids("(617) 555-0199") == [ana["id"]]
    assert ids("5550199") == [ana["id"]]
    assert ids("+1 617 555 0199") == [ana["id"]]
    assert ids("nobody") == []


def test_filters_and_ordering(owner_api: Any, personas: Any) -> None:
    sales = personas["sales"]
    a = new_customer(
        owner_api,
        name="Alpha",
        status="active",
        source="referral",
        tags=["piano"],
        assigned_salesperson_id=str(sales.pk),
    )
    b = new_customer(owner_api, name="Bravo", status="lead", source="website")
    get = lambda q: [c["id"] for c in owner_api.get("/api/customers", q).json()["items"]]  # noqa: E731
    assert get({"status": "active"}) == [a["id"]]
    assert get({"source": "website"}) == [b["id"]]
    assert get({"tag": "Piano"}) == [a["id"]]
    assert get({"salesperson": str(sales.pk)}) == [a["id"]]
    assert get({"ordering": "name"}) == [a["id"], b["id"]]
    assert get({"ordering": "-name"}) == [b["id"], a["id"]]
    assert get({"created_after": "2000-01-01T00:00:00Z", "ordering": "created_at"}) == [
        a["id"],
        b["id"],
    ]
    assert get({"created_before": "2000-01-01T00:00:00Z"}) == []
    assert owner_api.get("/api/customers", {"status": "sleeping"}).status_code == 422


def test_pagination_shape_and_clamping(owner_api: Any) -> None:
    for i in range(3):
        new_customer(owner_api, name=f"C{i}")
    page = owner_api.get("/api/customers", {"page_size": 2}).json()
    assert (page["count"], page["page"], page["page_size"], len(page["items"])) == (3, 1, 2, 2)
    assert page["previous"] is None and "page=2" in page["next"]
    second = owner_api.get(page["next"]).json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert owner_api.get("/api/customers", {"page_size": 1000}).json()["page_size"] == 100
    assert owner_api.get("/api/customers", {"page": 99}).json()["items"] == []


def test_list_query_count_does_not_grow_with_rows(owner_api: Any) -> None:
    for i in range(3):
        new_customer(owner_api, name=f"Few{i}", assigned_salesperson_id=str(owner_api.user.pk))
    with CaptureQueriesContext(connection) as few:
        owner_api.get("/api/customers")
    for i in range(12):
        new_customer(owner_api, name=f"Many{i}", assigned_salesperson_id=str(owner_api.user.pk))
    with CaptureQueriesContext(connection) as many:
        owner_api.get("/api/customers")
    assert len(many) == len(few)


def test_unknown_salesperson_is_422(owner_api: Any) -> None:
    response = owner_api.post_json(
        "/api/customers",
        {
            "type": "residential",
            "name": "X",
            "assigned_salesperson_id": "00000000-0000-0000-0000-000000000000",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "assigned_salesperson_id"


def test_csv_export_then_import_round_trip(owner_api: Any) -> None:
    new_customer(
        owner_api,
        name="=HYPERLINK(1)",
        emails=["a@x.example"],
        phones=["6175550101"],
        tags=["piano"],
        addresses=[{"line1": "1 Elm", "city": "Boston", "region": "MA", "postal_code": "02108"}],
    )
    response = owner_api.get("/api/customers/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["name"] == "'=HYPERLINK(1)"  # neutralised for spreadsheets
    assert rows[0]["phones"] == "'+16175550101"  # a leading + is a formula too
    Customer.objects.all().delete()
    upload = SimpleUploadedFile("c.csv", text.encode(), content_type="text/csv")
    imported = owner_api.post("/api/customers/import", {"file": upload})
    assert imported.status_code == 201, imported.json()
    assert imported.json() == {"created": 1}
    customer = Customer.objects.get()
    assert (customer.phones, customer.tags, customer.addresses[0]["city"]) == (
        ["+16175550101"],
        ["piano"],
        "Boston",
    )
    assert CustomerLookup.objects.filter(customer=customer, kind="phone").count() == 1
    assert AuditRecord.objects.filter(entity_id=str(customer.pk), action="import").count() == 1


def test_csv_import_is_all_or_nothing_with_errors_per_row(owner_api: Any) -> None:
    content = (
        "type,name,emails,phones\n"
        "residential,Good Row,good@x.example,6175550100\n"
        "house,Bad Type,,\n"
        "residential,Bad Phone,,12\n"
    )
    upload = SimpleUploadedFile("c.csv", content.encode(), content_type="text/csv")
    response = owner_api.post("/api/customers/import", {"file": upload})
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["rows[3].type", "rows[4].phones[0]"]
    assert Customer.objects.count() == 0


def test_csv_import_rejects_missing_columns(owner_api: Any) -> None:
    upload = SimpleUploadedFile("c.csv", b"fullname\nX\n", content_type="text/csv")
    response = owner_api.post("/api/customers/import", {"file": upload})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "missing_columns"
