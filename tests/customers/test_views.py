"""HTML pages: the same rules as the API, seen through the browser's forms."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from simplepro.accounts.models import DeviceSession
from simplepro.customers.models import Customer
from simplepro.customers.services import customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(personas: Any) -> dict[str, Customer]:
    owner = personas["super_admin"]
    return {
        "mine": customer_create(
            actor=owner,
            data={
                "type": "residential",
                "name": "Mine Person",
                "assigned_salesperson_id": personas["sales"].pk,
            },
        ),
        "theirs": customer_create(
            actor=owner,
            data={
                "type": "residential",
                "name": "Theirs Person",
                "assigned_salesperson_id": personas["sales2"].pk,
            },
        ),
    }


def test_sales_list_shows_only_their_customers(personas: Any, customers: Any, web_as: Any) -> None:
    page = web_as(personas["sales"]).get("/customers/").content.decode()
    assert "Mine Person" in page and "Theirs Person" not in page


def test_sales_cannot_open_someone_elses_customer(
    personas: Any, customers: Any, web_as: Any
) -> None:
    client = web_as(personas["sales"])
    assert client.get(f"/customers/{customers['theirs'].pk}/").status_code == 404
    assert client.get(f"/customers/{customers['mine'].pk}/").status_code == 200


def test_crew_has_no_customer_pages(personas: Any, customers: Any, web_as: Any) -> None:
    client = web_as(personas["crew_member"])
    assert client.get("/customers/").status_code == 403
    assert "Customers" not in client.get("/").content.decode().split("<main")[0]


def test_htmx_search_returns_only_the_results_table(
    personas: Any, customers: Any, web_as: Any
) -> None:
    client = web_as(personas["manager"])
    response = client.get("/customers/", {"search": "theirs"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "Theirs Person" in body and "Mine Person" not in body


def test_create_form_shows_inline_errors_and_saves_nothing(personas: Any, web_as: Any) -> None:
    client = web_as(personas["manager"])
    response = client.post(
        "/customers/new/",
        {
            "type": "residential",
            "name": "Bad Phone",
            "phones": "12",
            "status": "lead",
            "emails": "not-an-email",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "not a valid phone number" in body or "value is not a valid email" in body
    assert not Customer.objects.filter(name="Bad Phone").exists()


def test_create_and_edit_through_forms(personas: Any, web_as: Any) -> None:
    client = web_as(personas["sales"])
    response = client.post(
        "/customers/new/",
        {
            "type": "residential",
            "name": "Form Person",
            "phones": "617 555 0177",
            "emails": "f@movers.example",
            "status": "lead",
            "tags": "piano, stairs",
            "address_line1": "1 Elm St",
            "address_city": "Boston",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="Form Person")
    assert (
        customer.assigned_salesperson == personas["sales"]
    )  # a salesperson's customers are theirs
    assert (customer.phones, customer.tags) == (["+16175550177"], ["piano", "stairs"])
    edit = client.post(
        f"/customers/{customer.pk}/edit/",
        {"type": "commercial", "name": "Form Person", "status": "active", "phones": "617 555 0177"},
    )
    assert edit.status_code == 302
    customer.refresh_from_db()
    assert (customer.type, customer.status, customer.addresses) == ("commercial", "active", [])
    assert customer.assigned_salesperson == personas["sales"]


def test_detail_shows_history_and_duplicates(personas: Any, web_as: Any) -> None:
    owner = personas["super_admin"]
    first = customer_create(
        actor=owner, data={"type": "residential", "name": "One", "emails": ["d@movers.example"]}
    )
    customer_create(
        actor=owner, data={"type": "residential", "name": "Two", "emails": ["d@movers.example"]}
    )
    page = web_as(owner).get(f"/customers/{first.pk}/").content.decode()
    assert "Possible duplicate" in page and "Two" in page
    assert "create" in page.split("History")[1]


def test_archive_from_the_page(personas: Any, customers: Any, web_as: Any) -> None:
    client = web_as(personas["manager"])
    assert client.post(f"/customers/{customers['mine'].pk}/archive/").status_code == 302
    customers["mine"].refresh_from_db()
    assert customers["mine"].archived_at is not None
    assert (
        web_as(personas["sales"]).post(f"/customers/{customers['mine'].pk}/archive/").status_code
        == 403
    )


def test_dashboard_counts_what_the_user_may_see(personas: Any, customers: Any, web_as: Any) -> None:
    page = web_as(personas["sales"]).get("/").content.decode()
    assert 'data-testid="count-customers">1<' in page


def test_browser_session_ends_when_the_user_is_deactivated(
    personas: Any, web_as: Any, api_as: Any
) -> None:
    browser = web_as(personas["sales"])
    assert browser.get("/customers/").status_code == 200
    api_as(personas["admin"]).patch_json(f"/api/users/{personas['sales'].pk}", {"is_active": False})
    assert browser.get("/customers/").status_code == 302  # back to the login page


def test_logout_revokes_the_device_session(personas: Any, web_as: Any) -> None:
    browser = web_as(personas["sales"])
    browser.post("/logout/")
    assert not DeviceSession.objects.active().filter(user=personas["sales"], kind="web").exists()
    assert browser.get("/customers/").status_code == 302


def test_ending_a_browser_session_from_another_device(
    personas: Any, web_as: Any, api_as: Any
) -> None:
    browser = web_as(personas["sales"])
    api = api_as(personas["sales"])
    web_session = DeviceSession.objects.get(user=personas["sales"], kind="web")
    assert api.delete(f"/api/auth/sessions/{web_session.pk}").status_code == 204
    assert browser.get("/customers/").status_code == 302


def test_forms_require_csrf(personas: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "sales", "password": "x"})
    assert response.status_code == 403


def test_admin_pages_for_admins_only(personas: Any, web_as: Any) -> None:
    admin, sales = web_as(personas["admin"]), web_as(personas["sales"])
    for path in ("/users/", "/users/new/", "/company/", "/audit/"):
        assert admin.get(path).status_code == 200, path
        assert sales.get(path).status_code == 403, path


def test_invite_user_from_the_page(
    personas: Any, web_as: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = web_as(personas["admin"]).post(
            "/users/new/",
            {"username": "newcrew", "email": "nc@movers.example", "role": "crew_member"},
        )
    assert response.status_code == 302
    assert mailoutbox[0].to == ["nc@movers.example"]


def test_company_page_saves_and_validates(personas: Any, web_as: Any) -> None:
    client = web_as(personas["admin"])
    good = {
        "name": "Bay Movers",
        "time_zone": "America/Denver",
        "currency": "USD",
        "phone_region": "US",
        "country": "US",
        "discount_sales": "12",
        "discount_customer_service": "5",
        "discount_manager": "25",
        "discount_admin": "100",
        "overtime_after_hours": "40",
        "overtime_multiplier": "1.5",
    }
    assert client.post("/company/", good).status_code == 302
    from simplepro.accounts.models import Company

    assert Company.objects.get().discount_limits["sales"] == "12"
    bad = client.post("/company/", {**good, "time_zone": "Nowhere/Land"})
    assert bad.status_code == 422 and "Not a known IANA time zone" in bad.content.decode()
    too_much = client.post("/company/", {**good, "discount_sales": "150"})
    assert too_much.status_code == 422 and "less than or equal to 100" in too_much.content.decode()


def test_pages_show_times_in_the_company_time_zone(personas: Any, web_as: Any) -> None:
    from datetime import datetime

    from simplepro.accounts.services import company_update

    company_update(actor=None, time_zone="Asia/Tokyo")
    customer = customer_create(
        actor=personas["super_admin"], data={"type": "residential", "name": "Tz"}
    )
    Customer.objects.filter(pk=customer.pk).update(
        created_at=datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
    )
    page = web_as(personas["manager"]).get("/customers/").content.decode()
    assert "2026-01-02" in page  # 20:00 UTC is already the next day in Tokyo
