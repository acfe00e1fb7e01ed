"""Sales over the API: the public lead endpoint (no account: a form key), opportunities,
the pipeline board, activities and the lead forms. Parse, authorise, call a service."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pydantic
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import ValidationError

from simplepro.accounts.services import company_get
from simplepro.core import metrics
from simplepro.core.api import DEFAULT_PAGE_SIZE, PROBLEM, paginate, reject_nulls, require
from simplepro.core.clientip import client_ip
from simplepro.core.problems import NotFound, ProblemError
from simplepro.estimates.selectors import estimate_list
from simplepro.sales import forms_admin, intake, selectors, services
from simplepro.sales.models import Activity, LeadForm, Opportunity
from simplepro.sales.schemas import (
    ActivityIn,
    ActivityKindName,
    ActivityOut,
    ActivityPageOut,
    BoardOut,
    CloseReasonOut,
    CompleteIn,
    EstimateLinkIn,
    LeadFormIn,
    LeadFormOut,
    LeadFormPatch,
    LeadReceivedOut,
    OpportunityDetailOut,
    OpportunityIn,
    OpportunityPageOut,
    OpportunityPatch,
    PriorityName,
    PublicLeadIn,
    SourceName,
    StatusIn,
    StatusName,
)

public_router = Router(tags=["public"], auth=None)
opportunities_router = Router(tags=["sales"])
activities_router = Router(tags=["sales"])
lead_forms_router = Router(tags=["sales"])


# --- the public lead endpoint ----------------------------------------------------------

LEAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PublicLeadIn.model_json_schema()}},
    }
}


def read_lead(body: bytes) -> PublicLeadIn:
    """The body, bounded and validated like any other (422 naming the fields)."""
    if len(body) > intake.MAX_LEAD_BYTES:
        raise ProblemError(413, f"A lead is at most {intake.MAX_LEAD_BYTES} bytes.")
    try:
        return PublicLeadIn.model_validate_json(body or b"{}")
    except pydantic.ValidationError as exc:
        errors = [
            {**error, "loc": ("body", "payload", *error["loc"])}
            for error in exc.errors(include_url=False, include_context=False)
        ]
        raise ValidationError(errors) from None


@public_router.post(
    "/leads", response={201: LeadReceivedOut, 413: dict, 503: dict, **PROBLEM},
    openapi_extra=LEAD_BODY,
)  # fmt: skip
def public_lead(request: HttpRequest) -> Status[dict[str, Any]]:
    """A lead from the company's website. The form's public key in `X-SimplePro-Form`. The
    answer is the same for a new person and an existing customer."""
    try:
        lead = intake.lead_from_web(
            public_key=request.headers.get("X-SimplePro-Form", ""),
            origin=request.headers.get("Origin", ""),
            ip=client_ip(request),
            read=lambda: read_lead(request.body),
        )
    except ValidationError:
        # A body that does not parse (the rest is counted by intake.lead_from_web).
        metrics.LEADS.labels(outcome="invalid").inc()
        raise
    answer: dict[str, Any] = {"id": lead.id, "status": "received"}
    if lead.price_range is not None:
        answer["price_range"] = lead.price_range.as_dict()
    return Status(201, answer)


# --- opportunities ---------------------------------------------------------------------


def person(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "name": user.display_name} if user is not None else None


def opportunity_out(opportunity: Opportunity) -> dict[str, Any]:
    return {
        **{name: getattr(opportunity, name) for name in (
            "id", "service", "move_date", "flexibility", "move_size", "origin", "destination",
            "source", "campaign", "priority", "estimated_value", "status", "close_reason",
            "close_note", "competitor", "price_difference", "job_id", "notes",
            "last_activity_at", "closed_at", "created_at", "updated_at")},
        "customer": {"id": opportunity.customer_id, "name": opportunity.customer.name},
        "salesperson": person(opportunity.salesperson),
        "allowed": list(opportunity.allowed_next()),
    }  # fmt: skip


def opportunity_detail(opportunity: Opportunity) -> dict[str, Any]:
    return {
        **opportunity_out(opportunity),
        "estimates": list(opportunity.quotes.values_list("estimate_id", flat=True)),
        "leads": list(opportunity.leads.values_list("pk", flat=True)),
    }


class OpportunityQuery(Schema):
    status: StatusName | None = None
    salesperson: str = ""
    source: SourceName | None = None
    priority: PriorityName | None = None
    search: str = ""
    open: bool = False
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def filters(self) -> selectors.OpportunityFilters:
        return selectors.OpportunityFilters(
            status=self.status or "", salesperson=_person_filter(self.salesperson),
            source=self.source or "", priority=self.priority or "", search=self.search[:100],
            open_only=self.open,
        )  # fmt: skip


def _person_filter(value: str) -> str:
    if value in ("", "me", "none"):
        return value
    try:
        return str(UUID(value))
    except ValueError:
        raise ProblemError(
            422, "The request has invalid fields.",
            errors=[{"field": "salesperson", "code": "invalid",
                     "message": "A user id, 'me' or 'none'."}],
        ) from None  # fmt: skip


def _opportunity(request: HttpRequest, opportunity_id: UUID, permission: str) -> tuple[Any, Any]:
    user = require(request, permission)
    opportunity = selectors.opportunity_get(viewer=user, opportunity_id=opportunity_id)
    if opportunity is None:
        raise NotFound("opportunity")
    return user, opportunity


@opportunities_router.get("", response={200: OpportunityPageOut, **PROBLEM})
def opportunity_list(request: HttpRequest, query: Query[OpportunityQuery]) -> dict[str, Any]:
    user = require(request, "opportunities.view")
    rows = selectors.opportunity_list(viewer=user, filters=query.filters())
    page = paginate(request, rows, query.page, query.page_size)
    page["items"] = [opportunity_out(o) for o in page["items"]]
    return page


@opportunities_router.post("", response={201: OpportunityDetailOut, **PROBLEM})
def opportunity_create(request: HttpRequest, payload: OpportunityIn) -> Status[dict[str, Any]]:
    from simplepro.customers.selectors import customer_get

    user = require(request, "opportunities.change")
    customer = customer_get(viewer=user, customer_id=payload.customer_id)
    if customer is None:
        raise NotFound("customer")
    data = payload.model_dump(exclude={"customer_id", "salesperson_id"})
    opportunity = services.opportunity_create(
        actor=user, customer=customer, data=data, salesperson_id=payload.salesperson_id
    )
    return Status(201, opportunity_detail(opportunity))


@opportunities_router.get("/board", response={200: BoardOut, **PROBLEM})
def opportunity_board(request: HttpRequest, query: Query[OpportunityQuery]) -> dict[str, Any]:
    """The pipeline by status: each column's whole count and value, and its newest cards (25 a column open, 10 closed)."""
    user = require(request, "opportunities.view")
    columns = [
        {**{k: v for k, v in column.items() if k != "cards"}, "items": column["cards"]}
        for column in selectors.board(viewer=user, filters=query.filters())
    ]
    return {"currency": company_get().currency, "columns": columns}


@opportunities_router.get("/close-reasons", response={200: list[CloseReasonOut], **PROBLEM})
def close_reason_list(request: HttpRequest) -> list[Any]:
    """Why an opportunity may be lost or cancelled (the keys `status` takes as `reason`)."""
    require(request, "opportunities.view")
    return [*selectors.close_reasons("lost"), *selectors.close_reasons("cancelled")]


@opportunities_router.get("/{opportunity_id}", response={200: OpportunityDetailOut, **PROBLEM})
def opportunity_get(request: HttpRequest, opportunity_id: UUID) -> dict[str, Any]:
    _, opportunity = _opportunity(request, opportunity_id, "opportunities.view")
    return opportunity_detail(opportunity)


@opportunities_router.patch("/{opportunity_id}", response={200: OpportunityDetailOut, **PROBLEM})
def opportunity_update(
    request: HttpRequest, opportunity_id: UUID, payload: OpportunityPatch
) -> dict[str, Any]:
    user, opportunity = _opportunity(request, opportunity_id, "opportunities.change")
    changes = payload.model_dump(exclude_unset=True)
    reject_nulls(changes, nullable=frozenset({"move_date", "estimated_value", "salesperson_id"}))
    opportunity = services.opportunity_update(actor=user, opportunity=opportunity, data=changes)
    return opportunity_detail(opportunity)


@opportunities_router.post(
    "/{opportunity_id}/status", response={200: OpportunityDetailOut, **PROBLEM}
)
def opportunity_status(
    request: HttpRequest, opportunity_id: UUID, payload: StatusIn
) -> dict[str, Any]:
    """Move along the pipeline. 409 with `allowed` when the move is not one; lost and
    cancelled need a `reason` (GET /close-reasons); won needs an accepted estimate or a job."""
    user, opportunity = _opportunity(request, opportunity_id, "opportunities.change")
    opportunity = services.opportunity_set_status(
        actor=user, opportunity=opportunity, **payload.model_dump()
    )
    return opportunity_detail(opportunity)


@opportunities_router.post(
    "/{opportunity_id}/estimates", response={200: OpportunityDetailOut, **PROBLEM}
)
def opportunity_link_estimate(
    request: HttpRequest, opportunity_id: UUID, payload: EstimateLinkIn
) -> dict[str, Any]:
    """Quote an existing estimate of the customer for this opportunity."""
    user, opportunity = _opportunity(request, opportunity_id, "opportunities.change")
    estimate = estimate_list(viewer=user).filter(pk=payload.estimate_id).first()
    if estimate is None:
        raise NotFound("estimate")
    opportunity = services.opportunity_link_estimate(
        actor=user, opportunity=opportunity, estimate=estimate
    )
    return opportunity_detail(opportunity)


# --- activities ------------------------------------------------------------------------


def activity_out(activity: Activity) -> dict[str, Any]:
    return {
        **{name: getattr(activity, name) for name in (
            "id", "opportunity_id", "kind", "subject", "description", "due_at", "outcome",
            "completed_at", "automatic", "created_at")},
        "customer": {"id": activity.opportunity.customer_id,
                     "name": activity.opportunity.customer.name},
        "assignee": person(activity.assignee),
    }  # fmt: skip


class ActivityQuery(Schema):
    assignee: str = ""
    state: selectors.ActivityState | None = None
    opportunity_id: UUID | None = None
    kind: ActivityKindName | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@activities_router.get("", response={200: ActivityPageOut, **PROBLEM})
def activity_list(request: HttpRequest, query: Query[ActivityQuery]) -> dict[str, Any]:
    """`assignee=me&state=overdue|due_today|upcoming` is "My day"."""
    user = require(request, "opportunities.view")
    rows = selectors.activity_list(
        viewer=user, assignee=_person_filter(query.assignee), state=query.state or "",
        opportunity_id=query.opportunity_id,
    )  # fmt: skip
    if query.kind:
        rows = rows.filter(kind=query.kind)
    page = paginate(request, rows, query.page, query.page_size)
    page["items"] = [activity_out(a) for a in page["items"]]
    return page


@activities_router.post("", response={201: ActivityOut, **PROBLEM})
def activity_create(request: HttpRequest, payload: ActivityIn) -> Status[dict[str, Any]]:
    user = require(request, "activities.log")
    opportunity = selectors.opportunity_get(viewer=user, opportunity_id=payload.opportunity_id)
    if opportunity is None:
        raise NotFound("opportunity")
    activity = services.activity_create(
        actor=user, opportunity=opportunity, data=payload.model_dump(exclude={"opportunity_id"})
    )
    return Status(201, activity_out(activity))


@activities_router.post("/{activity_id}/complete", response={200: ActivityOut, **PROBLEM})
def activity_complete(
    request: HttpRequest, activity_id: UUID, payload: CompleteIn
) -> dict[str, Any]:
    user = require(request, "activities.log")
    activity = selectors.activity_get(viewer=user, activity_id=activity_id)
    if activity is None:
        raise NotFound("activity")
    activity = services.activity_complete(actor=user, activity=activity, **payload.model_dump())
    return activity_out(activity)


# --- lead forms ------------------------------------------------------------------------


@lead_forms_router.get("", response={200: list[LeadFormOut], **PROBLEM})
def lead_form_list(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, "sales.configure")
    return [forms_admin.lead_form_out(f) for f in LeadForm.objects.order_by("name")]


@lead_forms_router.post("", response={201: LeadFormOut, **PROBLEM})
def lead_form_create(request: HttpRequest, payload: LeadFormIn) -> Status[dict[str, Any]]:
    user = require(request, "sales.configure")
    form = forms_admin.lead_form_save(actor=user, form=None, data=payload.model_dump())
    return Status(201, forms_admin.lead_form_out(form))


@lead_forms_router.patch("/{form_id}", response={200: LeadFormOut, **PROBLEM})
def lead_form_update(request: HttpRequest, form_id: UUID, payload: LeadFormPatch) -> dict[str, Any]:
    user = require(request, "sales.configure")
    form = LeadForm.objects.filter(pk=form_id).first()
    if form is None:
        raise NotFound("lead form")
    changes = payload.model_dump(exclude_unset=True)
    reject_nulls(changes, nullable=frozenset({"salesperson_id"}))
    form = forms_admin.lead_form_save(actor=user, form=form, data=changes)
    return forms_admin.lead_form_out(form)
