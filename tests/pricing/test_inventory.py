from __future__ import annotations

from decimal import Decimal

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
