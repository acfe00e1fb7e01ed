"""Pricing without saving, and the inventory catalogue (issue 3, first slice).

Saved estimates, their lifecycle and the company's editable ruleset come next; until then the
engine prices with SimplePro's default ruleset."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from simplepro.accounts.api import PROBLEM
from simplepro.core.api import require
from simplepro.core.problems import ProblemError
from simplepro.pricing import EstimateInput, PricingResult, price
from simplepro.pricing.defaults import default_ruleset
from simplepro.pricing.inventory import ROOM_TEMPLATES, Item, catalogue, crew_plan, totals

estimates_router = Router(tags=["estimates"])
inventory_router = Router(tags=["inventory"])


@estimates_router.post("/calculate", response={200: PricingResult, **PROBLEM})
def calculate(request: HttpRequest, payload: EstimateInput) -> PricingResult:
    require(request, "estimates.calculate")
    return price(payload, default_ruleset())


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
