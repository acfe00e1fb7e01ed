from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from simplepro.pricing.inventory import FLAGS, ROOM_TEMPLATES, Item, catalogue, crew_plan, totals


def test_catalogue_has_at_least_150_distinct_items_with_sane_values() -> None:
    items = catalogue()
    assert len(items) >= 150
    for item in items.values():
        assert item.cubic_feet > 0 and item.weight_lb > 0, item.key
        assert item.flags <= FLAGS
    rooms = {item.room for item in items.values()}
    assert {"living_room", "kitchen", "bedroom", "office", "garage", "boxes", "commercial"} <= rooms


def test_every_template_uses_known_items() -> None:
    for name, lines in ROOM_TEMPLATES.items():
        assert set(lines) <= set(catalogue()), name


def test_totals_count_items_volume_weight_and_fragile() -> None:
    result = totals([("sofa_3_seat", 1), ("dish_pack", 2), ("tv_flat_large", 1)])
    assert (result.items, result.cubic_feet, result.weight_lb, result.fragile_count) == (
        4,
        Decimal(75),
        Decimal(400),
        3,
    )


def test_company_items_extend_the_catalogue() -> None:
    own = {
        "tanning_bed": Item(
            "tanning_bed",
            "Tanning bed",
            "garage",
            "specialty",
            Decimal(60),
            Decimal(400),
            frozenset({"bulky"}),
        )
    }
    assert totals([("tanning_bed", 2)], extra=own).cubic_feet == Decimal(120)
    with pytest.raises(KeyError):
        totals([("tanning_bed", 1)])


@pytest.mark.parametrize(
    ("template", "crew", "trucks"),
    [
        ("studio", 2, 1),
        ("two_bedroom", 3, 1),
        ("three_bedroom_house", 4, 1),
        ("four_bedroom_house", 4, 2),
    ],
)
def test_bigger_homes_get_bigger_crews(template: str, crew: int, trucks: int) -> None:
    plan = crew_plan(totals(ROOM_TEMPLATES[template].items()).cubic_feet)
    assert (plan.crew_size, plan.trucks) == (crew, trucks)
    assert plan.hours >= 2 and plan.hours * 4 == int(plan.hours * 4)  # quarter hours


@pytest.mark.django_db
def test_admins_add_company_items_that_surveys_and_estimates_use(
    personas: Any, api_as: Any
) -> None:
    admin = api_as(personas["admin"])
    piano = {
        "key": "steinway_model_d",
        "name": "Steinway Model D concert grand",
        "room": "living_room",
        "category": "piano",
        "cubic_feet": "110",
        "weight_lb": "990",
        "flags": ["bulky", "crating", "fragile"],
    }
    created = admin.post_json("/api/inventory/items", piano)
    assert created.status_code == 201, created.json()
    assert created.json()["company_item"] is True
    sales = api_as(personas["sales"])
    listed = {i["key"]: i for i in sales.get("/api/inventory/items").json()}
    assert listed["steinway_model_d"]["flags"] == ["bulky", "crating", "fragile"]
    assert listed["sofa_3_seat"]["company_item"] is False
    survey = sales.post_json(
        "/api/inventory/totals", {"items": [{"key": "steinway_model_d", "quantity": 1}]}
    ).json()
    assert (survey["cubic_feet"], survey["weight_lb"], survey["fragile_count"]) == (
        "110.00",
        "990.00",
        1,
    )
    assert admin.post_json("/api/inventory/items", piano).status_code == 409
    clash = admin.post_json("/api/inventory/items", {**piano, "key": "sofa_3_seat"})
    assert clash.status_code == 409 and "catalogue" in clash.json()["detail"]
    assert sales.post_json("/api/inventory/items", {**piano, "key": "x_y"}).status_code == 403


def test_crew_plan_follows_the_tariffs_tables_where_it_has_them() -> None:
    from simplepro.pricing.defaults import default_ruleset
    from simplepro.pricing.inventory import move_sizes
    from simplepro.pricing.ruleset import load_ruleset

    content = default_ruleset().model_dump(mode="json")
    assert crew_plan(Decimal(1000), default_ruleset().tariff).crew_size == 3  # the defaults
    content["tariff"]["crew_by_volume"] = [
        {"up_to_cubic_feet": "500", "crew_size": 2},
        {"up_to_cubic_feet": "900", "crew_size": 4},
    ]
    content["tariff"]["cubic_feet_per_mover_hour"] = "100"
    content["tariff"]["move_sizes"] = [{"key": "loft", "label": "Loft", "cubic_feet": "700"}]
    tariff = load_ruleset(content).tariff
    plan = crew_plan(Decimal(800), tariff)
    assert plan.crew_size == 4 and plan.hours == Decimal("3.25")  # 800 × 1.6 / 400 = 3.2 → 3.25
    assert crew_plan(Decimal(5000), tariff).crew_size == 6  # beyond the table
    assert move_sizes(tariff) == [("loft", "Loft", Decimal(700))]
    content["tariff"]["crew_by_volume"].reverse()
    with pytest.raises(ValueError, match="crew_by_volume: cubic feet must rise"):
        load_ruleset(content)


def test_a_ruleset_may_bring_its_own_room_templates() -> None:
    from simplepro.pricing.defaults import default_ruleset
    from simplepro.pricing.inventory import room_templates
    from simplepro.pricing.ruleset import RulesetError, load_ruleset

    assert room_templates(default_ruleset().tariff) is ROOM_TEMPLATES  # unset: SimplePro's
    content = default_ruleset().model_dump(mode="json")
    content["tariff"]["room_templates"] = {"garage": {"bicycle": 2, "toolbox": 1}}
    assert room_templates(load_ruleset(content).tariff) == {"garage": {"bicycle": 2, "toolbox": 1}}
    content["tariff"]["room_templates"] = {"garage": {"bicycle": 0}}
    with pytest.raises(RulesetError, match=r"room_templates\.garage\.bicycle"):
        load_ruleset(content)


@pytest.mark.django_db
def test_the_builder_offers_the_active_rulesets_room_templates(
    personas: Any, api_as: Any, web_as: Any
) -> None:
    from simplepro.pricing.defaults import default_ruleset

    admin = api_as(personas["admin"])
    content = {**default_ruleset().model_dump(mode="json"), "version": "2027.9"}
    content["tariff"] = {
        **content["tariff"],
        "room_templates": {"garage": {"sofa_3_seat": 1, "no_such_item": 3}},
    }
    stored = admin.post_json("/api/rulesets", {"content": content}).json()
    admin.post(f"/api/rulesets/{stored['id']}/activate")
    assert admin.get("/api/inventory/templates").json() == [
        {"key": "garage", "items": {"sofa_3_seat": 1, "no_such_item": 3}}
    ]
    room = web_as(personas["sales"]).get("/estimates/builder/room/", {"room_template": "garage"})
    text = room.content.decode()
    assert "Sofa (3 seats)" in text and "no_such_item" not in text  # unknown items left out
