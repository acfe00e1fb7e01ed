"""Estimate pages: list, builder (htmx live price), detail with the lifecycle buttons, the
printable quote, the customer's signed quote link, and the ruleset administration page."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from uuid import UUID

import structlog
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from simplepro.accounts.models import User
from simplepro.accounts.permissions import has_permission
from simplepro.accounts.services import company_get
from simplepro.audit.selectors import audit_records
from simplepro.core import metrics
from simplepro.core.files import StoredFileError, read_verified
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.customers.models import Customer
from simplepro.customers.selectors import customer_get, visible_customers
from simplepro.estimates import selectors, services
from simplepro.estimates.forms import (
    BuilderForm,
    initial_from,
    input_problems,
    inventory_lines,
    survey_of,
)
from simplepro.estimates.inventory import full_catalogue
from simplepro.estimates.models import (
    DECIDABLE,
    EDITABLE,
    SENDABLE,
    Estimate,
    EstimateStatus,
    EstimateVersion,
)
from simplepro.estimates.quote import quote_of, render_pdf
from simplepro.pricing import price
from simplepro.pricing.inventory import Item, crew_plan, move_sizes, room_templates
from simplepro.pricing.ruleset import Tariff

logger = structlog.get_logger(__name__)


def quote_response(estimate: Estimate, version: EstimateVersion) -> HttpResponse:
    """The stored PDF of a sent version (checked against its SHA-256), or a preview of a
    version not sent yet (rendered, not stored)."""
    if version.pdf_sha256:
        try:
            pdf = read_verified(version.pdf_path, version.pdf_sha256)
        except (StoredFileError, FileNotFoundError) as exc:
            # Never hand out a document that is not the one sent; operators are told why
            # (docs/runbooks/quote-file-mismatch.md).
            metrics.QUOTE_FAILURES.labels(reason="file_mismatch").inc()
            logger.error("quote_file_unusable", version=str(version.pk), error=str(exc))
            raise
    else:
        pdf = render_pdf(quote_of(estimate, version, company_get()))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"quote-{estimate.pk}-v{version.number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    if version.pdf_sha256:
        response["X-Content-SHA256"] = version.pdf_sha256
    return response


def _linked_version(token: str) -> EstimateVersion:
    version = services.quote_for_link(token)
    if version is None:
        raise Http404("This quote link is not valid.")
    return version


def quote_public(request: HttpRequest, token: str) -> HttpResponse:
    """The link e-mailed to the customer: no account, one signed version, as it was sent,
    with its PDF and, while it is the current version and open, accept and decline. Every
    opening is counted (the first one tells the salesperson)."""
    version = _linked_version(token)
    estimate = version.estimate
    services.quote_viewed(version=version)
    current = estimate.versions.order_by("-number").values_list("pk", flat=True).first()
    context = {
        "quote": quote_of(estimate, version, company_get()),
        "token": token,
        "public": True,
        "superseded": current != version.pk,
        "decidable": estimate.status == EstimateStatus.SENT and current == version.pk,
    }
    return render(request, "estimates/quote.html", context)


def quote_public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    version = _linked_version(token)
    services.quote_downloaded(version=version)
    return quote_response(version.estimate, version)


@require_POST
def quote_public_decide(request: HttpRequest, token: str) -> HttpResponse:
    """The customer accepts or declines on their link (the current version only)."""
    version = _linked_version(token)
    estimate = version.estimate
    current = estimate.versions.order_by("-number").values_list("pk", flat=True).first()
    decision = request.POST.get("decision")
    if current != version.pk or decision not in ("accept", "decline"):
        return HttpResponse("This quote cannot be decided here.", status=409)
    try:
        services.estimate_decide(
            actor=None, estimate=estimate, accepted=decision == "accept",
            note=request.POST.get("note", "").strip()[:500],
        )  # fmt: skip
    except ProblemError as problem:
        return HttpResponse(problem.explanation, status=problem.status)
    return redirect("quote-public", token=token)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _estimate(request: HttpRequest, estimate_id: UUID) -> Estimate:
    estimate = selectors.estimate_list(viewer=_user(request)).filter(pk=estimate_id).first()
    if estimate is None:
        raise Http404("No such estimate.")
    return estimate


def _rooms(lines: list[dict[str, Any]], known: dict[str, Item]) -> list[dict[str, Any]]:
    """Survey lines grouped into rooms for the builder, each with a token for its fields."""
    rooms: dict[str, dict[str, Any]] = {}
    for line in lines:
        room = rooms.setdefault(
            line["room"],
            {"token": secrets.token_hex(4), "name": line["room"], "rows": [], "lines": []},
        )
        if line["key"] in known:
            room["rows"].append({"item": known[line["key"]], "quantity": line["quantity"]})
            room["lines"].append(line)
    return list(rooms.values())


def _active_tariff() -> Tariff | None:
    return services.ruleset_of(services.ruleset_active()).tariff


def _builder_form(data: Any = None, **kwargs: Any) -> BuilderForm:
    return BuilderForm(data, sizes=move_sizes(_active_tariff()), **kwargs)


def _live_context(request: HttpRequest, form: BuilderForm) -> dict[str, Any]:
    """Inventory totals, the suggested crew, and the price (or every problem with the input)."""
    known = full_catalogue()
    lines = inventory_lines(request.POST, known)
    survey = survey_of(lines, known)
    context: dict[str, Any] = {
        "survey": survey,
        "plan": crew_plan(survey.cubic_feet, _active_tariff()),
        "lines": lines,
        "problems": [],
        "result": None,
    }
    if not form.is_valid():
        context["problems"] = [
            f"{form[name].label if name in form.fields else name}: {' '.join(str(e) for e in errors)}"
            for name, errors in form.errors.items()
        ]
        return context
    try:
        estimate_input = form.estimate_input(survey)
    except ValidationError as error:
        context["problems"] = input_problems(error)
        return context
    context["input"] = estimate_input
    context["plan"] = crew_plan(estimate_input.cubic_feet, _active_tariff())
    context["result"] = price(estimate_input, services.ruleset_of(services.ruleset_active()))
    return context


class EstimateListView(PermissionRequiredMixin, View):
    permission = "estimates.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        status = status if status in EstimateStatus.values else ""
        today = services.company_today()
        estimates = selectors.estimate_list(viewer=_user(request), status=status, today=today)
        page = Paginator(estimates, 25).get_page(request.GET.get("page"))
        for estimate in page:
            estimate.shown_status = selectors.effective_status(estimate, today)  # type: ignore[attr-defined]
        return render(
            request,
            "estimates/list.html",
            {
                "page": page,
                "status": status,
                "statuses": EstimateStatus.choices,
                "can_create": has_permission(request.user, "estimates.create"),
            },
        )


class EstimateBuilderView(PermissionRequiredMixin, View):
    """New estimate (`/estimates/new/?customer=…`) or a new version of one (`…/edit/`)."""

    permission = "estimates.create"

    def _context(
        self, request: HttpRequest, form: BuilderForm, estimate: Estimate | None, **extra: Any
    ) -> dict[str, Any]:
        customers = visible_customers(viewer=_user(request)).filter(archived_at__isnull=True)
        return {
            "form": form,
            "estimate": estimate,
            "customers": customers.order_by("name")[:500],
            "templates": sorted(room_templates(_active_tariff())),
            "catalogue": sorted(full_catalogue().values(), key=lambda i: (i.room, i.name)),
            **extra,
        }

    def _editing(self, request: HttpRequest, estimate_id: UUID | None) -> Estimate | None:
        if estimate_id is None:
            return None
        if not has_permission(request.user, "estimates.change"):
            raise PermissionDenied
        return _estimate(request, estimate_id)

    def get(self, request: HttpRequest, estimate_id: UUID | None = None) -> HttpResponse:
        estimate = self._editing(request, estimate_id)
        rooms: list[dict[str, Any]] = []
        if estimate is not None:
            if estimate.status not in EDITABLE:
                messages.error(request, f"An estimate that is {estimate.status} cannot be changed.")
                return redirect("estimate-detail", estimate.pk)
            version = estimate.versions.all()[0]
            form = _builder_form(initial=initial_from(version.input, estimate))
            rooms = _rooms(version.inventory, full_catalogue())
        else:
            form = _builder_form(
                initial={
                    "move_date": services.company_today() + dt.timedelta(days=14),
                    "service": "local",
                    "crew_size": 2,
                    "estimate_type": "non_binding",
                    "valuation": "released",
                }
            )
        known = full_catalogue()
        lines = [line for room in rooms for line in room["lines"]]
        survey = survey_of(lines, known)
        context = self._context(
            request,
            form,
            estimate,
            rooms=rooms,
            survey=survey,
            plan=crew_plan(survey.cubic_feet, _active_tariff()),
            problems=[],
            result=None,
        )
        context["selected_customer"] = request.GET.get("customer", "")
        return render(request, "estimates/builder.html", context)

    def post(self, request: HttpRequest, estimate_id: UUID | None = None) -> HttpResponse:
        user = _user(request)
        estimate = self._editing(request, estimate_id)
        form = _builder_form(request.POST)
        live = _live_context(request, form)
        customer = None
        if estimate is None:
            customer = customer_get_or_none(user, request.POST.get("customer", ""))
            if customer is None:
                live["problems"].insert(0, "Customer: choose the customer this estimate is for.")
        if live["result"] is not None and not live["problems"]:
            try:
                saved = self._save(user, form, live, estimate, customer)
            except ProblemError as problem:
                live["problems"].append(problem.detail)
            else:
                messages.success(request, "Estimate saved.")
                return redirect("estimate-detail", saved.pk)
        known = full_catalogue()
        context = self._context(request, form, estimate, rooms=_rooms(live["lines"], known), **live)
        context["selected_customer"] = request.POST.get("customer", "")
        return render(request, "estimates/builder.html", context, status=422)

    def _save(
        self,
        user: User,
        form: BuilderForm,
        live: dict[str, Any],
        estimate: Estimate | None,
        customer: Customer | None,
    ) -> Estimate:
        addresses = {
            "pickup_address": form.cleaned_data.get("pickup_address", ""),
            "delivery_address": form.cleaned_data.get("delivery_address", ""),
        }
        if estimate is not None:
            return services.estimate_revise(
                actor=user,
                estimate=estimate,
                estimate_input=live["input"],
                inventory=live["lines"],
                reason=form.cleaned_data.get("revision_reason", ""),
                **addresses,
            )
        assert customer is not None
        return services.estimate_create(
            actor=user,
            customer=customer,
            estimate_input=live["input"],
            inventory=live["lines"],
            **addresses,
        )


def customer_get_or_none(user: User, customer_id: str) -> Customer | None:
    try:
        return customer_get(viewer=user, customer_id=UUID(customer_id))
    except ValueError:
        return None


class BuilderPreviewView(PermissionRequiredMixin, View):
    """htmx: the live totals and price while the builder is edited."""

    permission = "estimates.calculate"

    def post(self, request: HttpRequest) -> HttpResponse:
        live = _live_context(request, _builder_form(request.POST))
        return render(request, "estimates/partials/live.html", live)


class BuilderRoomView(PermissionRequiredMixin, View):
    """htmx: a new room, empty or filled from a template; or one item row for a room."""

    permission = "estimates.calculate"

    def get(self, request: HttpRequest) -> HttpResponse:
        known = full_catalogue()
        key = request.GET.get("item", "")
        token = request.GET.get("room", "")
        if key:
            if key not in known or not token.isalnum() or len(token) > 12:
                return HttpResponse("Unknown item or room.", status=400)
            context = {"room": {"token": token}, "row": {"item": known[key], "quantity": 1}}
            response = render(request, "estimates/partials/item_row.html", context)
        else:
            template = request.GET.get("room_template", "")
            # unknown item keys in a ruleset's template are left out, not failed on
            items = {
                k: q
                for k, q in room_templates(_active_tariff()).get(template, {}).items()
                if k in known
            }
            name = template.replace("_", " ").capitalize() if items else "Room"
            room = {
                "token": secrets.token_hex(4),
                "name": name,
                "rows": [{"item": known[k], "quantity": q} for k, q in items.items()],
            }
            response = render(
                request,
                "estimates/partials/room.html",
                {"room": room, "catalogue": sorted(known.values(), key=lambda i: (i.room, i.name))},
            )
        response["HX-Trigger-After-Settle"] = "inventoryChanged"
        return response


class EstimateDetailView(PermissionRequiredMixin, View):
    permission = "estimates.view"

    def get(self, request: HttpRequest, estimate_id: UUID) -> HttpResponse:
        estimate = _estimate(request, estimate_id)
        status = selectors.effective_status(estimate, services.company_today())
        versions = list(estimate.versions.all())
        user = request.user
        return render(
            request,
            "estimates/detail.html",
            {
                "estimate": estimate,
                "status": status,
                "version": versions[0],
                "versions": versions,
                "version_rows": [
                    {
                        "obj": v,
                        "change": v.total - versions[i + 1].total
                        if i + 1 < len(versions)
                        else None,
                    }
                    for i, v in enumerate(versions)
                ],  # fmt: skip
                "currency": company_get().currency,
                "quote": quote_of(estimate, versions[0], company_get()),
                "can_edit": status in EDITABLE and has_permission(user, "estimates.change"),
                "can_send": status in SENDABLE and has_permission(user, "estimates.send"),
                "can_decide": status in DECIDABLE and has_permission(user, "estimates.decide"),
                "can_schedule": status == EstimateStatus.ACCEPTED
                and has_permission(user, "jobs.manage"),
                "jobs": estimate.jobs.all(),
                "history": audit_records(entity_type="estimate", entity_id=str(estimate.pk))[:20],
            },
        )


class EstimateActionView(PermissionRequiredMixin, View):
    """The lifecycle buttons: send, accept, decline."""

    ACTIONS = {
        "send": "estimates.send",
        "accept": "estimates.decide",
        "decline": "estimates.decide",
    }

    def post(self, request: HttpRequest, estimate_id: UUID, action: str) -> HttpResponse:
        if action not in self.ACTIONS or not has_permission(request.user, self.ACTIONS[action]):
            raise PermissionDenied
        estimate = _estimate(request, estimate_id)
        try:
            if action == "send":
                services.estimate_send(actor=_user(request), estimate=estimate)
                messages.success(request, "Quote sent to the customer.")
            else:
                services.estimate_decide(
                    actor=_user(request),
                    estimate=estimate,
                    accepted=action == "accept",
                    note=request.POST.get("note", "")[:500],
                )
                messages.success(request, f"Estimate marked {action}ed.")
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        return redirect("estimate-detail", estimate.pk)


class EstimateQuoteView(PermissionRequiredMixin, View):
    """The printable quote (HTML); `?format=pdf` gives the PDF."""

    permission = "estimates.view"

    def get(self, request: HttpRequest, estimate_id: UUID) -> HttpResponse:
        estimate = _estimate(request, estimate_id)
        version = estimate.versions.all()[0]
        if request.GET.get("format") == "pdf":
            return quote_response(estimate, version)
        return render(
            request, "estimates/quote.html", {"quote": quote_of(estimate, version, company_get())}
        )
