"""Our own inventory catalogue (`data/inventory.csv`), room templates to start a survey fast,
and the totals (items, cubic feet, pounds) and crew / truck / hours suggestions that feed the
engine. Company-specific items are added by admins on top of this catalogue."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files

from simplepro.pricing.ruleset import Tariff

FLAGS = frozenset({"fragile", "bulky", "disassembly", "crating"})


@dataclass(frozen=True)
class Item:
    key: str
    name: str
    room: str
    category: str
    cubic_feet: Decimal
    weight_lb: Decimal
    flags: frozenset[str]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Item]:
    text = files("simplepro.pricing").joinpath("data/inventory.csv").read_text(encoding="utf-8")
    items: dict[str, Item] = {}
    for row in csv.DictReader(io.StringIO(text)):
        flags = frozenset(f for f in row["flags"].split(";") if f)
        if flags - FLAGS:
            raise ValueError(
                f"inventory.csv: {row['key']} has unknown flags {sorted(flags - FLAGS)}"
            )
        if row["key"] in items:
            raise ValueError(f"inventory.csv: duplicate key {row['key']}")
        items[row["key"]] = Item(
            key=row["key"],
            name=row["name"],
            room=row["room"],
            category=row["category"],
            cubic_feet=Decimal(row["cubic_feet"]),
            weight_lb=Decimal(row["weight_lb"]),
            flags=flags,
        )
    return items


# Typical contents, per room, of common homes: a starting point the surveyor then edits.
ROOM_TEMPLATES: dict[str, dict[str, int]] = {
    "studio": {
        "sofa_3_seat": 1,
        "coffee_table": 1,
        "tv_stand": 1,
        "tv_flat_small": 1,
        "bed_full": 1,
        "dresser_small": 1,
        "nightstand": 1,
        "kitchen_table": 1,
        "kitchen_chair": 2,
        "floor_lamp": 1,
        "box_medium": 15,
        "box_small": 10,
        "dish_pack": 2,
        "wardrobe_box": 2,
    },
    "one_bedroom": {
        "sofa_3_seat": 1,
        "armchair": 1,
        "coffee_table": 1,
        "end_table": 2,
        "tv_stand": 1,
        "tv_flat_large": 1,
        "bookcase_small": 1,
        "bed_queen": 1,
        "dresser_large": 1,
        "nightstand": 2,
        "dining_table_small": 1,
        "dining_chair": 4,
        "floor_lamp": 1,
        "table_lamp": 2,
        "desk_small": 1,
        "desk_chair": 1,
        "box_medium": 25,
        "box_small": 15,
        "box_large": 5,
        "dish_pack": 3,
        "wardrobe_box": 3,
    },
    "two_bedroom": {
        "sofa_3_seat": 1,
        "loveseat": 1,
        "coffee_table": 1,
        "end_table": 2,
        "tv_stand": 1,
        "tv_flat_large": 1,
        "bookcase_large": 1,
        "bed_queen": 1,
        "bed_full": 1,
        "dresser_large": 1,
        "dresser_small": 1,
        "nightstand": 3,
        "dining_table_small": 1,
        "dining_chair": 4,
        "table_lamp": 3,
        "floor_lamp": 1,
        "desk_office": 1,
        "desk_chair": 1,
        "box_medium": 40,
        "box_small": 25,
        "box_large": 10,
        "dish_pack": 4,
        "wardrobe_box": 4,
    },
    "three_bedroom_house": {
        "sofa_3_seat": 1,
        "sectional_piece": 3,
        "armchair": 2,
        "coffee_table": 1,
        "end_table": 2,
        "entertainment_center": 1,
        "tv_flat_large": 2,
        "bookcase_large": 2,
        "bed_king": 1,
        "bed_queen": 1,
        "bed_twin": 2,
        "dresser_large": 2,
        "dresser_small": 1,
        "nightstand": 4,
        "dining_table_large": 1,
        "dining_chair": 6,
        "buffet": 1,
        "refrigerator": 1,
        "washer": 1,
        "dryer": 1,
        "desk_office": 1,
        "desk_chair": 1,
        "patio_table": 1,
        "patio_chair": 4,
        "grill_gas": 1,
        "lawn_mower_push": 1,
        "bicycle": 2,
        "workbench": 1,
        "storage_bin": 10,
        "box_medium": 60,
        "box_small": 40,
        "box_large": 15,
        "dish_pack": 6,
        "wardrobe_box": 6,
    },
    "four_bedroom_house": {
        "sofa_3_seat": 2,
        "loveseat": 1,
        "armchair": 2,
        "recliner": 1,
        "coffee_table": 2,
        "end_table": 3,
        "entertainment_center": 1,
        "tv_flat_large": 3,
        "bookcase_large": 3,
        "bed_king": 1,
        "bed_queen": 2,
        "bed_twin": 2,
        "dresser_large": 3,
        "dresser_small": 2,
        "nightstand": 6,
        "armoire": 1,
        "dining_table_large": 1,
        "dining_chair": 8,
        "buffet": 1,
        "china_cabinet": 1,
        "refrigerator_large": 1,
        "freezer_chest": 1,
        "washer": 1,
        "dryer": 1,
        "desk_office": 1,
        "desk_chair": 2,
        "filing_cabinet_4": 1,
        "treadmill": 1,
        "patio_table": 1,
        "patio_chair": 6,
        "grill_gas": 1,
        "lawn_mower_riding": 1,
        "bicycle": 4,
        "workbench": 1,
        "tool_chest": 1,
        "storage_bin": 20,
        "box_medium": 90,
        "box_small": 60,
        "box_large": 25,
        "dish_pack": 8,
        "wardrobe_box": 8,
    },
    "small_office": {
        "desk_office": 6,
        "desk_chair": 6,
        "filing_cabinet_4": 3,
        "conference_table": 1,
        "conference_chair": 8,
        "reception_desk": 1,
        "copier": 1,
        "computer_desktop": 6,
        "computer_monitor": 8,
        "printer": 2,
        "breakroom_fridge": 1,
        "whiteboard": 2,
        "file_box": 40,
        "box_medium": 20,
    },
}


@dataclass(frozen=True)
class Totals:
    items: int
    cubic_feet: Decimal
    weight_lb: Decimal
    fragile_count: int


def totals(lines: Iterable[tuple[str, int]], extra: dict[str, Item] | None = None) -> Totals:
    """Totals of (item key, quantity) lines; `extra` holds the company's own items."""
    known = {**catalogue(), **(extra or {})}
    count, cubic, weight, fragile = 0, Decimal(0), Decimal(0), 0
    for key, quantity in lines:
        item = known[key]
        count += quantity
        cubic += item.cubic_feet * quantity
        weight += item.weight_lb * quantity
        if "fragile" in item.flags:
            fragile += quantity
    return Totals(count, cubic, weight, fragile)


@dataclass(frozen=True)
class CrewPlan:
    crew_size: int
    trucks: int
    hours: Decimal


# Defaults of the crew table: (up to cubic feet, crew size); beyond the last row, the largest.
CREW_BY_VOLUME = ((400, 2), (1200, 3), (2200, 4), (3500, 5))
CUBIC_FEET_PER_MOVER_HOUR = Decimal(60)  # loading; unloading takes about 60 % of that time
LOAD_AND_UNLOAD = Decimal("1.6")
CUBIC_FEET_PER_TRUCK = Decimal(1500)
# Quoting without a survey: typical volumes of common homes (a ruleset may set its own).
MOVE_SIZES = (
    ("studio", "Studio", Decimal(300)),
    ("one_bedroom", "1 bedroom", Decimal(550)),
    ("two_bedroom", "2 bedrooms", Decimal(900)),
    ("three_bedroom_house", "3-bedroom house", Decimal(1500)),
    ("four_bedroom_house", "4-bedroom house", Decimal(2200)),
    ("small_office", "Small office", Decimal(800)),
)


def crew_plan(cubic_feet: Decimal, tariff: Tariff | None = None) -> CrewPlan:
    """Suggested crew, trucks and hours (loading and unloading) for a volume, from the
    tariff's tables where it has them, else SimplePro's defaults above."""
    table: tuple[tuple[Decimal | int, int], ...] = CREW_BY_VOLUME
    per_mover_hour, per_truck = CUBIC_FEET_PER_MOVER_HOUR, CUBIC_FEET_PER_TRUCK
    if tariff is not None:
        if tariff.crew_by_volume:
            table = tuple((s.up_to_cubic_feet, s.crew_size) for s in tariff.crew_by_volume)
        per_mover_hour = tariff.cubic_feet_per_mover_hour or per_mover_hour
        per_truck = tariff.cubic_feet_per_truck
    largest = max(size for _, size in table)
    crew = next((size for limit, size in table if cubic_feet <= limit), max(largest + 1, 6))
    trucks = max(1, math.ceil(cubic_feet / per_truck))
    raw = cubic_feet * LOAD_AND_UNLOAD / (per_mover_hour * crew)
    hours = max(Decimal(2), Decimal(math.ceil(raw * 4)) / 4)  # up to the next quarter hour
    return CrewPlan(crew, trucks, hours)


def move_sizes(tariff: Tariff | None = None) -> list[tuple[str, str, Decimal]]:
    if tariff is not None and tariff.move_sizes:
        return [(m.key, m.label, m.cubic_feet) for m in tariff.move_sizes]
    return list(MOVE_SIZES)


def room_templates(tariff: Tariff | None = None) -> dict[str, dict[str, int]]:
    """The ruleset's room templates where it has them, else SimplePro's (above)."""
    if tariff is not None and tariff.room_templates:
        return dict(tariff.room_templates)
    return ROOM_TEMPLATES
