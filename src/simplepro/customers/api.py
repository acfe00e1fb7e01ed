"""Customer endpoints: parse, authorise (permission map + scope), call a service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from simplepro.core.api import DEFAULT_PAGE_SIZE, PROBLEM, paginate, reject_nulls, require
from simplepro.core.problems import NotFound, invalid
from simplepro.customers import csv_io, selectors, services
from simplepro.customers.models import Customer
from simplepro.customers.schemas import (
    CustomerDetailOut,
    CustomerIn,
    CustomerPageOut,
    CustomerPatch,
    ImportResultOut,
    SourceName,
    StatusName,
)

router = Router(tags=["customers"])
MAX_IMPORT_BYTES = 5 * 1024 * 1024


# Columns of a customer in API output; lists read them with .values(), skipping model
# instances (building 100 of them was the largest cost of a page of 50).
ROW_FIELDS = (*Customer.SHOWN_FIELDS, "assigned_salesperson_id", "assigned_salesperson__username")
ADDRESS_DEFAULTS = {"label": "", "line2": "", "region": "", "postal_code": "", "country": "US"}


def customer_row(customer: Customer) -> dict[str, Any]:
    row = {name: getattr(customer, name) for name in ROW_FIELDS if "__" not in name}
    salesperson = customer.assigned_salesperson
    row["assigned_salesperson__username"] = salesperson.username if salesperson else None
    return row


def customer_out(row: dict[str, Any]) -> dict[str, Any]:
    """API shape of one customer, from a `.values(*ROW_FIELDS)` row or `customer_row`."""
    salesperson_id = row.pop("assigned_salesperson_id")
    salesperson_name = row.pop("assigned_salesperson__username")
    row["addresses"] = [{**ADDRESS_DEFAULTS, **a} for a in row["addresses"]]
    row["assigned_salesperson"] = (
        {"id": salesperson_id, "username": salesperson_name} if salesperson_id else None
    )
    row["archived"] = row["archived_at"] is not None
    return row


def customer_detail(customer: Customer) -> dict[str, Any]:
    data = customer_out(customer_row(customer))
    data["duplicates"] = selectors.duplicates_of(customer)
    return data


class CustomerListQuery(Schema):
    search: str = ""
    status: StatusName | None = None
    type: Literal["residential", "commercial"] | None = None
    source: SourceName | None = None
    salesperson: UUID | None = None
    tag: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    archived: Literal["false", "true", "all"] = "false"
    ordering: selectors.CustomerOrdering = "-created_at"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def filters(self) -> selectors.CustomerFilters:
        return selectors.CustomerFilters(
            **self.model_dump(exclude={"page", "page_size", "status", "type", "source"}),
            status=self.status or "",
            type=self.type or "",
            source=self.source or "",
        )


def _get(request: HttpRequest, customer_id: UUID, permission: str) -> tuple[Any, Customer]:
    user = require(request, permission)
    customer = selectors.customer_get(viewer=user, customer_id=customer_id)
    if customer is None:
        raise NotFound("customer")
    return user, customer


@router.get("", response={200: CustomerPageOut, **PROBLEM})
def list_customers(request: HttpRequest, query: Query[CustomerListQuery]) -> dict[str, Any]:
    user = require(request, "customers.view")
    customers = selectors.customer_list(viewer=user, filters=query.filters())
    page = paginate(request, customers.values(*ROW_FIELDS), query.page, query.page_size)
    page["items"] = [customer_out(row) for row in page["items"]]
    return page


@router.post("", response={201: CustomerDetailOut, **PROBLEM})
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[dict[str, Any]]:
    user = require(request, "customers.create")
    customer = services.customer_create(actor=user, data=payload.model_dump())
    return Status(201, customer_detail(customer))


@router.get("/export.csv", response={200: None, **PROBLEM})
def export_customers(
    request: HttpRequest, query: Query[CustomerListQuery]
) -> StreamingHttpResponse:
    user = require(request, "customers.export")
    customers = selectors.customer_list(viewer=user, filters=query.filters())
    response = StreamingHttpResponse(
        csv_io.export_rows(customers.iterator(chunk_size=500)), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="customers.csv"'
    return response


@router.post("/import", response={201: ImportResultOut, **PROBLEM})
def import_customers(request: HttpRequest, file: File[UploadedFile]) -> Status[dict[str, int]]:
    user = require(request, "customers.import")
    if (file.size or 0) > MAX_IMPORT_BYTES:
        raise invalid("file", "too_large", "The file must be at most 5 MB.")
    rows, errors = csv_io.parse_import(file.read())
    created = services.customer_import(actor=user, rows=rows, errors=errors)
    return Status(201, {"created": created})


@router.get("/{customer_id}", response={200: CustomerDetailOut, **PROBLEM})
def get_customer(request: HttpRequest, customer_id: UUID) -> dict[str, Any]:
    _, customer = _get(request, customer_id, "customers.view")
    return customer_detail(customer)


@router.patch("/{customer_id}", response={200: CustomerDetailOut, **PROBLEM})
def update_customer(
    request: HttpRequest, customer_id: UUID, payload: CustomerPatch
) -> dict[str, Any]:
    user, customer = _get(request, customer_id, "customers.change")
    changes = payload.model_dump(exclude_unset=True)
    reject_nulls(changes, nullable=frozenset({"assigned_salesperson_id"}))
    customer = services.customer_update(actor=user, customer=customer, data=changes)
    return customer_detail(customer)


@router.post("/{customer_id}/archive", response={200: CustomerDetailOut, **PROBLEM})
def archive_customer(request: HttpRequest, customer_id: UUID) -> dict[str, Any]:
    user, customer = _get(request, customer_id, "customers.archive")
    return customer_detail(services.customer_archive(actor=user, customer=customer))


@router.post("/{customer_id}/restore", response={200: CustomerDetailOut, **PROBLEM})
def restore_customer(request: HttpRequest, customer_id: UUID) -> dict[str, Any]:
    user, customer = _get(request, customer_id, "customers.archive")
    return customer_detail(services.customer_restore(actor=user, customer=customer))
