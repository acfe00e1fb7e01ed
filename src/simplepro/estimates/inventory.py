"""The inventory a company surveys with: SimplePro's catalogue plus the company's own items."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from simplepro.accounts.models import User
from simplepro.audit.services import audit_record
from simplepro.core.problems import Conflict
from simplepro.estimates.models import CompanyItem
from simplepro.pricing.inventory import Item, catalogue


def company_items() -> dict[str, Item]:
    return {
        row.key: Item(
            key=row.key,
            name=row.name,
            room=row.room,
            category=row.category,
            cubic_feet=row.cubic_feet,
            weight_lb=row.weight_lb,
            flags=frozenset(row.flags),
        )
        for row in CompanyItem.objects.all()
    }


def full_catalogue() -> dict[str, Item]:
    return {**catalogue(), **company_items()}


def company_item_create(*, actor: User, data: dict[str, Any]) -> CompanyItem:
    if data["key"] in catalogue():
        raise Conflict(f"{data['key']!r} is a catalogue item already; choose another key.")
    try:
        with transaction.atomic(durable=True):
            item = CompanyItem.objects.create(created_by=actor, **data)
            audit_record(
                actor=actor,
                action="create",
                entity_type="inventory_item",
                entity_id=item.pk,
                changes={"key": {"before": None, "after": item.key}},
            )
    except IntegrityError:
        raise Conflict(f"The company already has an item {data['key']!r}.") from None
    return item
