from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(personas: Any, api_as: Any) -> Any:
    return api_as(personas["sales"])


def test_calculate_prices_without_saving(api: Any) -> None:
    response = api.post_json(
        "/api/estimates/calculate",
        {
            "service": "local",
            "move_date": "2026-06-13",
            "crew_size": 3,
            "estimated_hours": "5",
            "cubic_feet": 900,
            "pickup": {"stairs_flights": 2},
            "services": {"packing": True},
            "special_items": {"piano": True, "fragile_count": 8},
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["breakdown"]["total"] == "2333.00"  # money is a string, never a float
    assert body["ruleset_version"] == "2026.2"
    assert len(body["input_hash"]) == 64
    assert [r["id"] for r in body["applied_rules"]][:2] == ["packing_materials", "piano"]


def test_calculate_reports_every_invalid_field(api: Any) -> None:
    response = api.post_json(
        "/api/estimates/calculate",
        {"service": "teleport", "move_date": "soon", "crew_size": 0, "pickup": {"floor": "x"}},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"service", "move_date", "crew_size", "pickup.floor"} <= fields


def test_survey_totals_and_suggestions(api: Any) -> None:
    response = api.post_json(
        "/api/inventory/totals",
        {"items": [{"key": "sofa_3_seat", "quantity": 2}, {"key": "box_medium", "quantity": 20}]},
    )
    assert response.json() == {
        "items": 22,
        "cubic_feet": "160",
        "weight_lb": "1200",
        "fragile_count": 0,
        "suggested_crew": 2,
        "suggested_trucks": 1,
        "suggested_hours": "2.25",
    }


def test_unknown_inventory_item_is_named(api: Any) -> None:
    response = api.post_json(
        "/api/inventory/totals",
        {"items": [{"key": "sofa_3_seat", "quantity": 1}, {"key": "ufo", "quantity": 1}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items[1].key"


def test_catalogue_and_templates_are_listed(api: Any) -> None:
    items = api.get("/api/inventory/items").json()
    assert len(items) >= 150 and {"key", "cubic_feet", "flags"} <= items[0].keys()
    templates = {t["key"] for t in api.get("/api/inventory/templates").json()}
    assert {"studio", "three_bedroom_house", "small_office"} <= templates
