"""Ruleset administration: upload (validated), preview on recent estimates, activate."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simplepro.audit.models import AuditRecord
from simplepro.customers.services import customer_create
from simplepro.estimates.models import StoredRuleset
from simplepro.pricing.defaults import default_ruleset

pytestmark = pytest.mark.django_db

INPUT = {"service": "local", "move_date": "2026-10-13", "crew_size": 3, "estimated_hours": "4"}


def next_year() -> dict[str, Any]:
    content = copy.deepcopy(default_ruleset().model_dump(mode="json"))
    content["version"] = "2027.1"
    content["tariff"]["travel_fee"] = "195.00"
    return content


def test_upload_preview_activate(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    customer = customer_create(actor=personas["admin"], data={"type": "residential", "name": "Pat"})
    admin.post_json("/api/estimates", {"customer_id": str(customer.pk), "input": INPUT})

    uploaded = admin.post_json("/api/rulesets", {"content": next_year()})
    assert uploaded.status_code == 201, uploaded.json()
    new_id = uploaded.json()["id"]
    assert uploaded.json()["is_active"] is False

    preview = admin.post(f"/api/rulesets/{new_id}/preview").json()
    assert preview["ruleset_version"] == "2027.1"
    assert [(r["old_total"], r["new_total"], r["difference"]) for r in preview["items"]] == [
        ("990.00", "1090.00", "100.00")
    ]

    activated = admin.post(f"/api/rulesets/{new_id}/activate").json()
    assert activated["is_active"] is True
    assert StoredRuleset.objects.filter(is_active=True).get().version == "2027.1"
    priced = admin.post_json("/api/estimates/calculate", INPUT).json()
    assert (priced["ruleset_version"], priced["breakdown"]["total"]) == ("2027.1", "1090.00")
    assert AuditRecord.objects.filter(entity_type="ruleset", action="activate").count() == 1


def test_invalid_upload_lists_every_problem_and_stores_nothing(personas: Any, api_as: Any) -> None:
    content = next_year()
    content["tax_rate"] = "0.1"
    content["rules"][0]["when"] = {"field": "no.such.thing", "op": "eq", "value": 1}
    content["rules"][1]["id"] = content["rules"][0]["id"]
    response = api_as(personas["admin"]).post_json("/api/rulesets", {"content": content})
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["rules[0].when.field", "rules[1].id"]
    assert not StoredRuleset.objects.filter(version="2027.1").exists()


def test_versions_never_change(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    assert admin.post_json("/api/rulesets", {"content": next_year()}).status_code == 201
    changed = next_year()
    changed["tariff"]["travel_fee"] = "1.00"
    assert admin.post_json("/api/rulesets", {"content": changed}).status_code == 409


def test_list_shows_the_default_on_a_new_installation(personas: Any, api_as: Any) -> None:
    listed = api_as(personas["super_admin"]).get("/api/rulesets").json()
    assert [(r["version"], r["is_active"]) for r in listed] == [("2026.2", True)]
