"""Saved estimates keep the ruleset that priced them, and can be re-verified against it."""

from __future__ import annotations

from typing import Any

import pytest

from simplepro.audit.models import AuditRecord
from simplepro.customers.services import customer_create
from simplepro.estimates.models import EstimateVersion, StoredRuleset

pytestmark = pytest.mark.django_db

INPUT = {"service": "local", "move_date": "2026-10-13", "crew_size": 3, "estimated_hours": "4"}


@pytest.fixture
def customer(personas: Any) -> Any:
    return customer_create(
        actor=personas["super_admin"],
        data={
            "type": "residential",
            "name": "Ines Mover",
            "assigned_salesperson_id": personas["sales"].pk,
        },
    )


def test_save_list_and_read_an_estimate(personas: Any, api_as: Any, customer: Any) -> None:
    api = api_as(personas["sales"])
    created = api.post_json("/api/estimates", {"customer_id": str(customer.pk), "input": INPUT})
    assert created.status_code == 201, created.json()
    body = created.json()
    # 3 movers at 205/h × 4 h + travel 95 + truck 75, off-season October: no seasonal line.
    assert body["current"]["total"] == "990.00"
    assert body["current"]["ruleset_version"] == "2026.2" and body["status"] == "draft"
    listed = api.get("/api/estimates", {"customer_id": str(customer.pk)}).json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    assert (
        api.get(f"/api/estimates/{body['id']}").json()["current"]["input_hash"]
        == body["current"]["input_hash"]
    )
    assert AuditRecord.objects.filter(
        entity_type="estimate", entity_id=body["id"], action="create"
    ).exists()


def test_verify_matches_and_names_a_tampered_difference(
    personas: Any, api_as: Any, customer: Any
) -> None:
    api = api_as(personas["manager"])
    estimate_id = api.post_json(
        "/api/estimates", {"customer_id": str(customer.pk), "input": INPUT}
    ).json()["id"]
    assert api.post(f"/api/estimates/{estimate_id}/verify").json() == {"match": True}
    version = EstimateVersion.objects.get(estimate_id=estimate_id)
    version.result["breakdown"]["total"] = "1.00"
    version.save()
    refused = api.post(f"/api/estimates/{estimate_id}/verify")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "breakdown.total"


def test_a_new_active_ruleset_never_changes_an_old_estimate(
    personas: Any, api_as: Any, customer: Any
) -> None:
    api = api_as(personas["manager"])
    first = api.post_json(
        "/api/estimates", {"customer_id": str(customer.pk), "input": INPUT}
    ).json()
    old = StoredRuleset.objects.get(is_active=True)
    content = {**old.content, "version": "2027.1"}
    content["tariff"] = {**content["tariff"], "travel_fee": "500.00"}
    from simplepro.pricing import load_ruleset

    StoredRuleset.objects.filter(pk=old.pk).update(is_active=False)
    StoredRuleset.objects.create(
        name="Next year",
        version="2027.1",
        content=content,
        content_hash=load_ruleset(content).content_hash,
        is_active=True,
    )
    second = api.post_json(
        "/api/estimates", {"customer_id": str(customer.pk), "input": INPUT}
    ).json()
    assert second["current"]["total"] == "1395.00"  # the new travel fee
    again = api.get(f"/api/estimates/{first['id']}").json()
    assert (again["current"]["total"], again["current"]["ruleset_version"]) == ("990.00", "2026.2")
    assert api.post(f"/api/estimates/{first['id']}/verify").json() == {"match": True}


@pytest.mark.parametrize(
    ("role", "percent", "status"),
    [
        ("sales", "10", 201),
        ("sales", "11", 403),
        ("manager", "25", 201),
        ("manager", "30", 403),
        ("admin", "60", 201),
    ],
)
def test_discounts_stay_within_the_role_limit(
    personas: Any, api_as: Any, customer: Any, role: str, percent: str, status: int
) -> None:
    payload = {
        **INPUT,
        "adjustment": {"kind": "discount_percent", "value": percent, "reason": "price match"},
    }
    response = api_as(personas[role]).post_json(
        "/api/estimates", {"customer_id": str(customer.pk), "input": payload}
    )
    assert response.status_code == status, response.json()


def test_an_override_counts_by_its_effect(personas: Any, api_as: Any, customer: Any) -> None:
    payload = {**INPUT, "adjustment": {"kind": "override", "value": "500", "reason": "flat rate"}}
    response = api_as(personas["sales"]).post_json(
        "/api/estimates", {"customer_id": str(customer.pk), "input": payload}
    )
    assert response.status_code == 403  # 990 → 500 is a 49 % discount


def test_estimates_of_other_salespeoples_customers_are_invisible(
    personas: Any, api_as: Any, customer: Any
) -> None:
    owner_api = api_as(personas["sales"])
    estimate_id = owner_api.post_json(
        "/api/estimates", {"customer_id": str(customer.pk), "input": INPUT}
    ).json()["id"]
    other = api_as(personas["sales2"])
    assert other.get(f"/api/estimates/{estimate_id}").status_code == 404
    assert other.get("/api/estimates").json()["count"] == 0
    assert (
        other.post_json(
            "/api/estimates", {"customer_id": str(customer.pk), "input": INPUT}
        ).status_code
        == 422
    )
