"""Estimates (calculate, save, version, send, decide, verify, quote PDF) and the inventory
catalogue with company items.

Estimates are priced with the active stored ruleset (SimplePro's default until an admin
activates another); each saved version keeps the ruleset that priced it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from simplepro.core.api import DEFAULT_PAGE_SIZE, PROBLEM, actor, paginate, require
from simplepro.core.problems import NotFound, ProblemError, invalid
from simplepro.customers.selectors import customer_get
from simplepro.estimates import selectors, services
from simplepro.estimates.inventory import company_item_create, company_items, full_catalogue
from simplepro.estimates.models import Estimate, EstimateVersion
from simplepro.estimates.views import quote_response
from simplepro.pricing import EstimateInput, PricingResult, price
from simplepro.pricing.inventory import Item, catalogue, crew_plan, room_templates, totals

estimates_router = Router(tags=["estimates"])
EstimateStatusName = Literal["draft", "sent", "accepted", "declined", "expired"]
inventory_router = Router(tags=["inventory"])


class InventoryLine(BaseModel):
    """One line of the survey: how many of a catalogue item in which room."""

    model_config = ConfigDict(extra="forbid")

    room: str = Field(min_length=1, max_length=60)
    key: str = Field(min_length=1, max_length=100)
    quantity: int = Field(ge=1, le=1000)


class EstimateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    input: EstimateInput
    inventory: list[InventoryLine] = Field(default_factory=list, max_length=1000)
    pickup_address: str = Field(default="", max_length=300)
    delivery_address: str = Field(default="", max_length=300)


class RevisionIn(BaseModel):
    """A new version; inventory and addresses stay as they were unless given."""

    model_config = ConfigDict(extra="forbid")

    input: EstimateInput
    inventory: list[InventoryLine] | None = Field(default=None, max_length=1000)
    pickup_address: str | None = Field(default=None, max_length=300)
    delivery_address: str | None = Field(default=None, max_length=300)
    # Why the quote changed ("Added packing of the kitchen"): kept with the version.
    reason: str = Field(default="", max_length=300)


class DecisionIn(BaseModel):
    """The customer's answer; `{}` when there is nothing to note."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=500)


class VersionOut(BaseModel):
    number: int
    total: Decimal
    ruleset_version: str
    input_hash: str
    input: dict[str, Any]
    result: dict[str, Any]
    inventory: list[dict[str, Any]]
    pdf_sha256: str | None
    sent_at: datetime | None
    created_at: datetime
    reason: str
    # The change in total from the version before (None for the first).
    price_change: Decimal | None


class QuoteEngagementOut(BaseModel):
    """What the customer did with the quote link, and how long they took."""

    view_count: int
    first_viewed_at: datetime | None
    last_viewed_at: datetime | None
    download_count: int
    days_to_first_view: int | None
    decided_at: datetime | None
    days_to_decision: int | None


class EstimateOut(BaseModel):
    id: UUID
    customer_id: UUID
    customer_name: str
    status: str
    pickup_address: str
    delivery_address: str
    valid_until: date | None
    sent_at: datetime | None
    created_at: datetime
    versions: int
    current: VersionOut
    engagement: QuoteEngagementOut


class EstimatePageOut(BaseModel):
    items: list[EstimateOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class VerifyOut(BaseModel):
    match: bool


def version_out(
    version: EstimateVersion, previous: EstimateVersion | None = None
) -> dict[str, Any]:
    return {
        "reason": version.reason,
        "price_change": version.total - previous.total if previous is not None else None,
        "number": version.number,
        "total": version.total,
        "ruleset_version": version.ruleset.version,
        "input_hash": version.input_hash,
        "input": version.input,
        "result": version.result,
        "inventory": version.inventory,
        "pdf_sha256": version.pdf_sha256 or None,
        "sent_at": version.sent_at,
        "created_at": version.created_at,
    }


def estimate_out(estimate: Estimate, today: date) -> dict[str, Any]:
    versions = estimate.versions.all()  # prefetched, newest first
    return {
        "id": estimate.id,
        "customer_id": estimate.customer_id,
        "customer_name": estimate.customer.name,
        "status": selectors.effective_status(estimate, today),
        "pickup_address": estimate.pickup_address,
        "delivery_address": estimate.delivery_address,
        "valid_until": estimate.valid_until,
        "sent_at": estimate.sent_at,
        "created_at": estimate.created_at,
        "versions": len(versions),
        "current": version_out(versions[0], versions[1] if len(versions) > 1 else None),
        "engagement": {
            "view_count": estimate.view_count,
            "first_viewed_at": estimate.viewed_at,
            "last_viewed_at": estimate.last_viewed_at,
            "download_count": estimate.download_count,
            "days_to_first_view": estimate.days_to_first_view,
            "decided_at": estimate.decided_at,
            "days_to_decision": estimate.days_to_decision,
        },
    }


def _visible_estimate(request: HttpRequest, estimate_id: UUID, permission: str) -> Estimate:
    user = require(request, permission)
    estimate = selectors.estimate_list(viewer=user).filter(pk=estimate_id).first()
    if estimate is None:
        raise NotFound("estimate")
    return estimate


def _fresh(request: HttpRequest, estimate: Estimate) -> dict[str, Any]:
    user = actor(request)
    return estimate_out(
        selectors.estimate_list(viewer=user).get(pk=estimate.pk), services.company_today()
    )


def _inventory(lines: list[InventoryLine] | None) -> list[dict[str, Any]] | None:
    """Survey lines as stored; every key must be in the catalogue (422 naming each)."""
    if lines is None:
        return None
    known = full_catalogue()
    unknown = [
        {
            "field": f"inventory[{i}].key",
            "code": "unknown_item",
            "message": f"No item {line.key!r} in the catalogue.",
        }
        for i, line in enumerate(lines)
        if line.key not in known
    ]
    if unknown:
        raise ProblemError(422, "The survey has unknown items.", errors=unknown)  # type: ignore[arg-type]
    return [line.model_dump() for line in lines]


@estimates_router.post("", response={201: EstimateOut, **PROBLEM})
def create_estimate(request: HttpRequest, payload: EstimateIn) -> Status[dict[str, Any]]:
    user = require(request, "estimates.create")
    customer = customer_get(viewer=user, customer_id=payload.customer_id)
    if customer is None:
        raise invalid("customer_id", "not_found", "No customer with this id is visible to you.")
    created = services.estimate_create(
        actor=user,
        customer=customer,
        estimate_input=payload.input,
        inventory=_inventory(payload.inventory),
        pickup_address=payload.pickup_address,
        delivery_address=payload.delivery_address,
    )
    return Status(201, _fresh(request, created))


@estimates_router.get("", response={200: EstimatePageOut, **PROBLEM})
def list_estimates(
    request: HttpRequest,
    customer_id: UUID | None = None,
    status: EstimateStatusName | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    user = require(request, "estimates.view")
    today = services.company_today()
    estimates = selectors.estimate_list(
        viewer=user, customer_id=customer_id, status=status, today=today
    )
    result = paginate(request, estimates, page, page_size)
    result["items"] = [estimate_out(e, today) for e in result["items"]]
    return result


# Declared before "/{estimate_id}" so the literal path wins.
@estimates_router.post("/calculate", response={200: PricingResult, **PROBLEM})
def calculate(request: HttpRequest, payload: EstimateInput) -> PricingResult:
    require(request, "estimates.calculate")
    return price(payload, services.ruleset_of(services.ruleset_active()))


@estimates_router.get("/{estimate_id}", response={200: EstimateOut, **PROBLEM})
def get_estimate(request: HttpRequest, estimate_id: UUID) -> dict[str, Any]:
    return estimate_out(
        _visible_estimate(request, estimate_id, "estimates.view"), services.company_today()
    )


@estimates_router.get("/{estimate_id}/versions", response={200: list[VersionOut], **PROBLEM})
def list_versions(request: HttpRequest, estimate_id: UUID) -> list[dict[str, Any]]:
    estimate = _visible_estimate(request, estimate_id, "estimates.view")
    versions = list(estimate.versions.all())  # newest first
    return [version_out(v, versions[i + 1] if i + 1 < len(versions) else None)
            for i, v in enumerate(versions)]  # fmt: skip


@estimates_router.post("/{estimate_id}/versions", response={201: EstimateOut, **PROBLEM})
def revise_estimate(
    request: HttpRequest, estimate_id: UUID, payload: RevisionIn
) -> Status[dict[str, Any]]:
    estimate = _visible_estimate(request, estimate_id, "estimates.change")
    revised = services.estimate_revise(
        actor=actor(request),
        estimate=estimate,
        estimate_input=payload.input,
        inventory=_inventory(payload.inventory),
        pickup_address=payload.pickup_address,
        delivery_address=payload.delivery_address,
        reason=payload.reason,
    )
    return Status(201, _fresh(request, revised))


@estimates_router.post("/{estimate_id}/send", response={200: EstimateOut, **PROBLEM})
def send_estimate(request: HttpRequest, estimate_id: UUID) -> dict[str, Any]:
    estimate = _visible_estimate(request, estimate_id, "estimates.send")
    return _fresh(request, services.estimate_send(actor=actor(request), estimate=estimate))


def _decide(request: HttpRequest, estimate_id: UUID, note: str, accepted: bool) -> dict[str, Any]:
    estimate = _visible_estimate(request, estimate_id, "estimates.decide")
    decided = services.estimate_decide(
        actor=actor(request), estimate=estimate, accepted=accepted, note=note
    )
    return _fresh(request, decided)


@estimates_router.post("/{estimate_id}/accept", response={200: EstimateOut, **PROBLEM})
def accept_estimate(request: HttpRequest, estimate_id: UUID, payload: DecisionIn) -> dict[str, Any]:
    return _decide(request, estimate_id, payload.note, accepted=True)


@estimates_router.post("/{estimate_id}/decline", response={200: EstimateOut, **PROBLEM})
def decline_estimate(
    request: HttpRequest, estimate_id: UUID, payload: DecisionIn
) -> dict[str, Any]:
    return _decide(request, estimate_id, payload.note, accepted=False)


@estimates_router.get("/{estimate_id}/quote.pdf", response={200: None, **PROBLEM})
def quote_pdf(request: HttpRequest, estimate_id: UUID) -> HttpResponse:
    """The quote as sent (the stored, checksummed file) or, before sending, a preview."""
    estimate = _visible_estimate(request, estimate_id, "estimates.view")
    return quote_response(estimate, estimate.versions.all()[0])


@estimates_router.post("/{estimate_id}/verify", response={200: VerifyOut, **PROBLEM})
def verify_estimate(request: HttpRequest, estimate_id: UUID) -> dict[str, bool]:
    estimate = _visible_estimate(request, estimate_id, "estimates.view")
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


class ItemOut(BaseModel):
    key: str
    name: str
    room: str
    category: str
    cubic_feet: Decimal
    weight_lb: Decimal
    flags: list[str]
    company_item: bool


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_]{2,100}$")
    name: str = Field(min_length=2, max_length=200)
    room: str = Field(min_length=2, max_length=60)
    category: str = Field(min_length=2, max_length=60)
    cubic_feet: Decimal = Field(gt=0, le=2000, max_digits=8, decimal_places=2)
    weight_lb: Decimal = Field(gt=0, le=20000, max_digits=8, decimal_places=2)
    flags: list[Literal["fragile", "bulky", "disassembly", "crating"]] = Field(
        default_factory=list, max_length=4
    )


def _item_out(item: Item, company_item: bool) -> dict[str, Any]:
    return {**item.__dict__, "flags": sorted(item.flags), "company_item": company_item}


@inventory_router.get("/items", response={200: list[ItemOut], **PROBLEM})
def list_items(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, "inventory.view")
    own = company_items()
    return [_item_out(i, False) for i in catalogue().values()] + [
        _item_out(i, True) for i in own.values()
    ]


@inventory_router.post("/items", response={201: ItemOut, **PROBLEM})
def create_item(request: HttpRequest, payload: ItemIn) -> Status[dict[str, Any]]:
    """A company-specific item, offered in every survey from now on."""
    user = require(request, "pricing.manage")
    data = payload.model_dump()
    data["flags"] = sorted(set(data["flags"]))
    company_item_create(actor=user, data=data)
    return Status(201, _item_out(company_items()[payload.key], True))


@inventory_router.get("/templates", response={200: list[TemplateOut], **PROBLEM})
def list_templates(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, "inventory.view")
    tariff = services.ruleset_of(services.ruleset_active()).tariff
    return [{"key": key, "items": items} for key, items in room_templates(tariff).items()]


@inventory_router.post("/totals", response={200: SurveyOut, **PROBLEM})
def survey_totals(request: HttpRequest, payload: SurveyIn) -> dict[str, Any]:
    require(request, "inventory.view")
    known = full_catalogue()
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
    result = totals(((line.key, line.quantity) for line in payload.items), extra=known)
    plan = crew_plan(result.cubic_feet, services.ruleset_of(services.ruleset_active()).tariff)
    return {
        **result.__dict__,
        "suggested_crew": plan.crew_size,
        "suggested_trucks": plan.trucks,
        "suggested_hours": plan.hours,
    }
