"""Estimates (calculate, save, list, verify) and the inventory catalogue (issue 3, in progress).

Estimates are priced with the active stored ruleset (SimplePro's default until an admin
activates another); each saved version keeps the ruleset that priced it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from simplepro.accounts.api import PROBLEM
from simplepro.core.api import DEFAULT_PAGE_SIZE, paginate, require
from simplepro.core.problems import NotFound, ProblemError, invalid
from simplepro.customers.selectors import customer_get
from simplepro.estimates import selectors, services
from simplepro.estimates.models import Estimate
from simplepro.pricing import EstimateInput, PricingResult, price
from simplepro.pricing.inventory import ROOM_TEMPLATES, Item, catalogue, crew_plan, totals

estimates_router = Router(tags=["estimates"])
EstimateStatusName = Literal["draft", "sent", "accepted", "declined", "expired"]
inventory_router = Router(tags=["inventory"])


class EstimateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    input: EstimateInput


class VersionOut(BaseModel):
    number: int
    total: Decimal
    ruleset_version: str
    input_hash: str
    input: dict[str, Any]
    result: dict[str, Any]
    created_at: datetime


class EstimateOut(BaseModel):
    id: UUID
    customer_id: UUID
    status: str
    created_at: datetime
    current: VersionOut


class EstimatePageOut(BaseModel):
    items: list[EstimateOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class VerifyOut(BaseModel):
    match: bool


def estimate_out(estimate: Estimate) -> dict[str, Any]:
    version = estimate.versions.all()[0]  # prefetched, newest first
    return {
        "id": estimate.id,
        "customer_id": estimate.customer_id,
        "status": estimate.status,
        "created_at": estimate.created_at,
        "current": {
            "number": version.number,
            "total": version.total,
            "ruleset_version": version.ruleset.version,
            "input_hash": version.input_hash,
            "input": version.input,
            "result": version.result,
            "created_at": version.created_at,
        },
    }


def _visible_estimate(request: HttpRequest, estimate_id: UUID) -> Estimate:
    user = require(request, "estimates.view")
    estimate = selectors.estimate_list(viewer=user).filter(pk=estimate_id).first()
    if estimate is None:
        raise NotFound("estimate")
    return estimate


@estimates_router.post("", response={201: EstimateOut, **PROBLEM})
def create_estimate(request: HttpRequest, payload: EstimateIn) -> Status[dict[str, Any]]:
    user = require(request, "estimates.create")
    customer = customer_get(viewer=user, customer_id=payload.customer_id)
    if customer is None:
        raise invalid("customer_id", "not_found", "No customer with this id is visible to you.")
    created = services.estimate_create(actor=user, customer=customer, estimate_input=payload.input)
    return Status(201, estimate_out(selectors.estimate_list(viewer=user).get(pk=created.pk)))


@estimates_router.get("", response={200: EstimatePageOut, **PROBLEM})
def list_estimates(
    request: HttpRequest,
    customer_id: UUID | None = None,
    status: EstimateStatusName | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    user = require(request, "estimates.view")
    estimates = selectors.estimate_list(viewer=user, customer_id=customer_id, status=status)
    result = paginate(request, estimates, page, page_size)
    result["items"] = [estimate_out(e) for e in result["items"]]
    return result


# Declared before "/{estimate_id}" so the literal path wins.
@estimates_router.post("/calculate", response={200: PricingResult, **PROBLEM})
def calculate(request: HttpRequest, payload: EstimateInput) -> PricingResult:
    require(request, "estimates.calculate")
    return price(payload, services.ruleset_of(services.ruleset_active()))


@estimates_router.get("/{estimate_id}", response={200: EstimateOut, **PROBLEM})
def get_estimate(request: HttpRequest, estimate_id: UUID) -> dict[str, Any]:
    return estimate_out(_visible_estimate(request, estimate_id))


@estimates_router.post("/{estimate_id}/verify", response={200: VerifyOut, **PROBLEM})
def verify_estimate(request: HttpRequest, estimate_id: UUID) -> dict[str, bool]:
    estimate = _visible_estimate(request, estimate_id)
    differences = services.estimate_verify(version=estimate.versions.all()[0])
    if differences:
        raise ProblemError(
            409,
            "Re-pricing with the stored ruleset gives a different result.",
            errors=[
                {"field": d.split(":", 1)[0], "code": "differs", "message": d}
                for d in differences[:20]
            ],
        )
    return {"match": True}


class TemplateOut(BaseModel):
    key: str
    items: dict[str, int]


class SurveyLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=100)
    quantity: int = Field(ge=1, le=1000)


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[SurveyLine] = Field(max_length=500)


class SurveyOut(BaseModel):
    items: int
    cubic_feet: Decimal
    weight_lb: Decimal
    fragile_count: int
    suggested_crew: int
    suggested_trucks: int
    suggested_hours: Decimal


@inventory_router.get("/items", response={200: list[Item], **PROBLEM})
def list_items(request: HttpRequest) -> list[Item]:
    require(request, "inventory.view")
    return list(catalogue().values())


@inventory_router.get("/templates", response={200: list[TemplateOut], **PROBLEM})
def list_templates(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, "inventory.view")
    return [{"key": key, "items": items} for key, items in ROOM_TEMPLATES.items()]


@inventory_router.post("/totals", response={200: SurveyOut, **PROBLEM})
def survey_totals(request: HttpRequest, payload: SurveyIn) -> dict[str, Any]:
    require(request, "inventory.view")
    known = catalogue()
    unknown = [
        {
            "field": f"items[{i}].key",
            "code": "unknown_item",
            "message": f"No item {line.key!r} in the catalogue.",
        }
        for i, line in enumerate(payload.items)
        if line.key not in known
    ]
    if unknown:
        raise ProblemError(422, "The survey has unknown items.", errors=unknown)  # type: ignore[arg-type]
    result = totals((line.key, line.quantity) for line in payload.items)
    plan = crew_plan(result.cubic_feet)
    return {
        **result.__dict__,
        "suggested_crew": plan.crew_size,
        "suggested_trucks": plan.trucks,
        "suggested_hours": plan.hours,
    }
