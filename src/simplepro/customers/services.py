"""Every write to customers: create, update, archive, restore, CSV import.

Each entry point validates first, then writes the customer, its lookup rows and its audit
record in one transaction: a customer is never half-written and never changed unaudited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.accounts.permissions import sees_own_customers_only
from simplepro.accounts.selectors import salespeople
from simplepro.accounts.services import company_get
from simplepro.audit.models import AuditRecord
from simplepro.audit.services import audit_record, field_changes
from simplepro.core import metrics
from simplepro.core.context import current_request_id
from simplepro.core.phones import InvalidPhone, search_digits, to_e164
from simplepro.core.problems import FieldError, Forbidden, ProblemError
from simplepro.customers.models import Customer, CustomerLookup

AUDITED_FIELDS = (*Customer.EDITABLE_FIELDS, "assigned_salesperson_id", "archived_at")
_TAG = re.compile(r"[^\w\- ]+")


def _invalid(errors: list[FieldError]) -> ProblemError:
    return ProblemError(422, "The customer has invalid fields.", errors=errors)


def normalize(
    data: Mapping[str, Any], *, region: str, prefix: str = ""
) -> tuple[dict[str, Any], list[FieldError]]:
    """Canonical values for the fields present in `data` and the problems found, by field.

    Phones become E.164, e-mails lower case, tags lower case without duplicates, addresses
    plain dicts. Every problem is reported, not just the first.
    """
    clean = dict(data)
    errors: list[FieldError] = []
    if "phones" in clean:
        phones: list[str] = []
        for index, raw in enumerate(clean["phones"] or []):
            try:
                e164 = to_e164(str(raw), region)
            except InvalidPhone as exc:
                errors.append(
                    {
                        "field": f"{prefix}phones[{index}]",
                        "code": "invalid_phone",
                        "message": str(exc),
                    }
                )
                continue
            if e164 not in phones:
                phones.append(e164)
        clean["phones"] = phones
    if "emails" in clean:
        clean["emails"] = list(dict.fromkeys(str(e).strip().lower() for e in clean["emails"] or []))
    if "tags" in clean:
        tags = (_TAG.sub("", str(t)).strip().lower()[:40] for t in clean["tags"] or [])
        clean["tags"] = list(dict.fromkeys(t for t in tags if t))
    if "addresses" in clean:
        clean["addresses"] = [
            {**dict(a), "country": str(dict(a).get("country", "US")).upper()}
            for a in clean["addresses"] or []
        ]
    for key in ("name", "company_name", "referred_by"):
        if isinstance(clean.get(key), str):
            clean[key] = clean[key].strip()
    if "name" in clean and not clean["name"]:
        errors.append({"field": f"{prefix}name", "code": "blank", "message": "A name is required."})
    return clean, errors


def _search_text(customer: Customer) -> str:
    parts = [customer.name, customer.company_name, *customer.emails]
    for phone in customer.phones:
        parts.extend(search_digits(phone))
    return " ".join(p.lower() for p in parts if p)


def _lookup_rows(customer: Customer) -> list[CustomerLookup]:
    rows = [CustomerLookup(customer=customer, kind="email", value=e) for e in customer.emails]
    rows += [CustomerLookup(customer=customer, kind="phone", value=p) for p in customer.phones]
    rows += [CustomerLookup(customer=customer, kind="tag", value=t) for t in customer.tags]
    return rows


def customer_lookups_rebuild(customer: Customer) -> None:
    """Make the lookup rows match the customer's e-mails, phones and tags again."""
    customer.lookups.all().delete()
    CustomerLookup.objects.bulk_create(_lookup_rows(customer))


def _snapshot(customer: Customer) -> dict[str, Any]:
    values = {name: getattr(customer, name) for name in AUDITED_FIELDS}
    for name in ("assigned_salesperson_id", "archived_at"):
        values[name] = str(values[name]) if values[name] is not None else None
    return values


def _resolve_salesperson(actor: User | None, requested: UUID | None, *, given: bool) -> User | None:
    """Who the customer is assigned to. A salesperson's customers are their own."""
    if actor is not None and sees_own_customers_only(actor):
        if given and requested is not None and requested != actor.pk:
            raise Forbidden("A salesperson can only assign customers to themselves.")
        return actor
    if requested is None:
        return None
    salesperson = salespeople().filter(pk=requested).first()
    if salesperson is None:
        raise _invalid(
            [
                {
                    "field": "assigned_salesperson_id",
                    "code": "invalid_choice",
                    "message": "No active salesperson has this id.",
                }
            ]
        )
    return salesperson


def _build(
    actor: User | None, data: Mapping[str, Any], region: str, prefix: str = ""
) -> tuple[Customer, list[FieldError]]:
    clean, errors = normalize(data, region=region, prefix=prefix)
    salesperson_id = clean.pop("assigned_salesperson_id", None)
    customer = Customer(**clean, created_by=actor)
    customer.assigned_salesperson = _resolve_salesperson(
        actor, salesperson_id, given=salesperson_id is not None
    )
    customer.search_text = _search_text(customer)
    return customer, errors


def customer_create(*, actor: User, data: Mapping[str, Any]) -> Customer:
    with transaction.atomic(durable=True):
        return customer_insert(actor=actor, data=data)


def customer_insert(*, actor: User | None, data: Mapping[str, Any]) -> Customer:
    """Create inside the caller's transaction (a web lead makes the customer and its
    opportunity together). `actor` None: the customer came in by itself (the web form)."""
    customer, errors = _build(actor, data, company_get().phone_region)
    if errors:
        raise _invalid(errors)
    customer.save()
    CustomerLookup.objects.bulk_create(_lookup_rows(customer))
    audit_record(
        actor=actor,
        action="create",
        entity_type="customer",
        entity_id=customer.pk,
        changes=field_changes({}, _snapshot(customer), AUDITED_FIELDS),
    )
    transaction.on_commit(metrics.CUSTOMERS_CREATED.inc)
    return customer


def customer_update(*, actor: User, customer: Customer, data: Mapping[str, Any]) -> Customer:
    """PATCH semantics: only the fields present in `data` change."""
    clean, errors = normalize(data, region=company_get().phone_region)
    if errors:
        raise _invalid(errors)
    with transaction.atomic(durable=True):
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        before = _snapshot(customer)
        if "assigned_salesperson_id" in clean:
            requested = clean.pop("assigned_salesperson_id")
            customer.assigned_salesperson = _resolve_salesperson(actor, requested, given=True)
        for name, value in clean.items():
            setattr(customer, name, value)
        customer.search_text = _search_text(customer)
        changes = field_changes(before, _snapshot(customer), AUDITED_FIELDS)
        if changes:
            customer.save()
            if {"emails", "phones", "tags"} & changes.keys():
                customer_lookups_rebuild(customer)
            audit_record(
                actor=actor,
                action="update",
                entity_type="customer",
                entity_id=customer.pk,
                changes=changes,
            )
    return customer


def _set_archived(actor: User, customer: Customer, archived: bool) -> Customer:
    with transaction.atomic(durable=True):
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.is_archived == archived:
            return customer  # already so: idempotent, nothing to audit
        before = _snapshot(customer)
        customer.archived_at = timezone.now() if archived else None
        customer.save(update_fields=["archived_at", "updated_at"])
        audit_record(
            actor=actor,
            action="archive" if archived else "restore",
            entity_type="customer",
            entity_id=customer.pk,
            changes=field_changes(before, _snapshot(customer), ["archived_at"]),
        )
    return customer


def customer_archive(*, actor: User, customer: Customer) -> Customer:
    return _set_archived(actor, customer, True)


def customer_restore(*, actor: User, customer: Customer) -> Customer:
    return _set_archived(actor, customer, False)


def customer_import(
    *, actor: User, rows: Iterable[tuple[int, Mapping[str, Any]]], errors: list[FieldError]
) -> int:
    """Create every row, or none: any problem (including `errors` found while parsing the
    file) aborts the whole import with every problem listed by row."""
    region = company_get().phone_region
    customers: list[Customer] = []
    errors = list(errors)
    for number, data in rows:
        customer, row_errors = _build(actor, data, region, prefix=f"rows[{number}].")
        errors.extend(row_errors)
        customers.append(customer)
    if errors:
        raise ProblemError(422, "The file has invalid rows; nothing was imported.", errors=errors)
    request_id = current_request_id() or ""
    with transaction.atomic(durable=True):
        Customer.objects.bulk_create(customers, batch_size=500)
        CustomerLookup.objects.bulk_create(
            [row for c in customers for row in _lookup_rows(c)], batch_size=1000
        )
        AuditRecord.objects.bulk_create(
            [
                AuditRecord(
                    actor=actor,
                    actor_username=actor.username,
                    action="import",
                    entity_type="customer",
                    entity_id=str(c.pk),
                    changes=field_changes({}, _snapshot(c), AUDITED_FIELDS),
                    request_id=request_id,
                )
                for c in customers
            ],
            batch_size=500,
        )
    metrics.CUSTOMERS_CREATED.inc(len(customers))
    return len(customers)
