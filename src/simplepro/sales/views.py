"""The sales pages: the pipeline board, the list, an opportunity (its timeline, status,
activities and quotes), "My day", the office's lead intake form and the lead forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.views import View

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_OPPORTUNITIES_ONLY, has_permission
from simplepro.accounts.selectors import salespeople
from simplepro.accounts.services import company_get
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.customers.models import LeadSource
from simplepro.estimates.selectors import estimate_list
from simplepro.sales import forms_admin, intake, selectors, services
from simplepro.sales.models import (
    ActivityKind,
    Flexibility,
    LeadForm,
    MoveSize,
    Opportunity,
    OpportunityStatus,
    Outcome,
    Priority,
    Service,
)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def outcome_options() -> SafeString:
    """The outcome <option>s of an activity's "Done" form, rendered once per page: the
    template loop over them for each of My day's 80 activities was a sixth of its render."""
    return format_html_join(
        "", '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == Outcome.REACHED else "", label)
         for value, label in Outcome.choices),
    )  # fmt: skip


def task_list(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Task rows (selectors.activity_row) with their links and due time as text, made here
    rather than by {% url %} and |date for each: those were two thirds of My day's render
    (6.5 of 9.7 ms for 45 tasks; bench/sales_bench.py)."""
    detail, complete = _url_maker("opportunity-detail"), _url_maker("activity-complete")
    for row in rows:
        due = row["due_at"] and timezone.localtime(row["due_at"])
        row["due_text"] = due and f"{due:%a} {due.day} {due:%b}, {due:%H:%M}"
        row["detail_url"], row["complete_url"] = detail(row["opportunity_id"]), complete(row["id"])
    return rows


def _url_maker(name: str) -> Callable[[UUID], str]:
    """reverse() of a route taking one id, resolved once: the id is put in by hand."""
    stand_in = str(UUID(int=0))
    pattern = reverse(name, args=[stand_in])
    return lambda pk: pattern.replace(stand_in, str(pk))


def _viewer(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (`next`, a path of ours only), else `default`."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    )
    return redirect(target if safe else default)


def _salespeople() -> list[User]:
    return list(salespeople().order_by("first_name", "username"))


def _filters(request: HttpRequest) -> selectors.OpportunityFilters:
    get = request.GET
    salesperson = get.get("salesperson", "")
    if salesperson not in ("", "me", "none") and _uuid(salesperson) is None:
        salesperson = ""
    return selectors.OpportunityFilters(
        status=get.get("status", "") if get.get("status") in OpportunityStatus.values else "",
        salesperson=salesperson,
        source=get.get("source", "") if get.get("source") in LeadSource.values else "",
        priority=get.get("priority", "") if get.get("priority") in Priority.values else "",
        search=get.get("search", "")[:100],
    )


def _choices(viewer: User) -> dict[str, Any]:
    return {
        "statuses": OpportunityStatus.choices, "sources": LeadSource.choices,
        "priorities": Priority.choices, "sizes": MoveSize.choices, "services": Service.choices,
        "flexibilities": Flexibility.choices,
        "salespeople": [] if viewer.role in OWN_OPPORTUNITIES_ONLY else _salespeople(),
        "currency": company_get().currency,
    }  # fmt: skip


class PipelineBoardView(PermissionRequiredMixin, View):
    """The kanban: a column per status, cards dragged between them (or moved with the
    card's own menu), through the same state machine as the API."""

    permission = "opportunities.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = _viewer(request)
        filters = _filters(request)
        context = {
            **_choices(viewer), "columns": selectors.board(viewer=viewer, filters=filters),
            "filters": filters,
            "can_change": has_permission(viewer, "opportunities.change"),
            "lost_reasons": selectors.close_reasons("lost"),
            "cancel_reasons": selectors.close_reasons("cancelled"),
        }  # fmt: skip
        template = "sales/partials/board.html" if _is_htmx(request) else "sales/board.html"
        return render(request, template, context)


class OpportunityListView(PermissionRequiredMixin, View):
    permission = "opportunities.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = _viewer(request)
        filters = _filters(request)
        rows = selectors.opportunity_list(viewer=viewer, filters=filters)
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        context = {**_choices(viewer), "page": page, "filters": filters}
        return render(request, "sales/list.html", context)


def _opportunity(request: HttpRequest, opportunity_id: UUID) -> Opportunity:
    found = selectors.opportunity_get(viewer=_viewer(request), opportunity_id=opportunity_id)
    if found is None:
        raise Http404("No such opportunity.")
    return found


class OpportunityDetailView(PermissionRequiredMixin, View):
    permission = "opportunities.view"

    def get(self, request: HttpRequest, opportunity_id: UUID) -> HttpResponse:
        viewer = _viewer(request)
        opportunity = _opportunity(request, opportunity_id)
        linked = {link.estimate_id for link in opportunity.quotes.all()}
        context = {
            **_choices(viewer),
            "o": opportunity,
            "timeline": selectors.timeline(opportunity),
            "pending": task_list(selectors.pending_activities(opportunity)),
            "rule_runs": opportunity.rule_runs.filter(matched=True)
            .select_related("rule")
            .prefetch_related("steps")[:20],
            "quotes": estimate_list(viewer=viewer).filter(pk__in=linked),
            "unlinked": estimate_list(viewer=viewer, customer_id=opportunity.customer_id).filter(
                opportunity_link__isnull=True
            ),
            "leads": opportunity.leads.select_related("form", "entered_by"),
            "allowed": [(s, OpportunityStatus(s).label) for s in opportunity.allowed_next()],
            "lost_reasons": selectors.close_reasons("lost"),
            "cancel_reasons": selectors.close_reasons("cancelled"),
            "kinds": ActivityKind.choices,
            "outcome_options": outcome_options(),
            "can_change": has_permission(viewer, "opportunities.change"),
            "can_log": has_permission(viewer, "activities.log"),
            "can_quote": has_permission(viewer, "estimates.create"),
            "now": timezone.now(),
        }
        return render(request, "sales/detail.html", context)


class OpportunityStatusView(PermissionRequiredMixin, View):
    permission = "opportunities.change"

    def post(self, request: HttpRequest, opportunity_id: UUID) -> HttpResponse:
        opportunity = _opportunity(request, opportunity_id)
        post = request.POST
        try:
            services.opportunity_set_status(
                actor=_viewer(request), opportunity=opportunity, status=post.get("status", ""),
                reason=post.get("reason", ""), note=post.get("note", "")[:500],
                competitor=post.get("competitor", "")[:120],
            )  # fmt: skip
        except ProblemError as problem:
            if _is_htmx(request):
                return HttpResponse(problem.explanation, status=problem.status)
            messages.error(request, problem.explanation)
        else:
            if _is_htmx(request):
                return HttpResponse(status=204)
            messages.success(request, f"Moved to {OpportunityStatus(post['status']).label}.")
        return _back(request, f"/sales/opportunities/{opportunity.pk}/")


class OpportunityEditView(PermissionRequiredMixin, View):
    permission = "opportunities.change"

    def post(self, request: HttpRequest, opportunity_id: UUID) -> HttpResponse:
        opportunity = _opportunity(request, opportunity_id)
        post = request.POST
        data: dict[str, Any] = {
            "service": post.get("service") if post.get("service") in Service.values else "local",
            "move_date": post.get("move_date") or None,
            "flexibility": post.get("flexibility") if post.get("flexibility")
            in Flexibility.values else "exact",
            "move_size": post.get("move_size") if post.get("move_size") in MoveSize.values else "",
            "priority": post.get("priority") if post.get("priority") in Priority.values
            else "medium",
            "estimated_value": post.get("estimated_value") or None,
            "notes": post.get("notes", "")[:5000],
            "origin": {"postal_code": post.get("origin_postal_code", "")[:20],
                       "address": post.get("origin_address", "")[:300]},
            "destination": {"postal_code": post.get("destination_postal_code", "")[:20],
                            "address": post.get("destination_address", "")[:300]},
        }  # fmt: skip
        if "salesperson_id" in post and _viewer(request).role not in OWN_OPPORTUNITIES_ONLY:
            data["salesperson_id"] = _uuid(post["salesperson_id"])
        try:
            data = _parsed(data)
            services.opportunity_update(actor=_viewer(request), opportunity=opportunity, data=data)
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        else:
            messages.success(request, "Saved.")
        return redirect("opportunity-detail", opportunity_id=opportunity.pk)


def _parsed(data: dict[str, Any]) -> dict[str, Any]:
    """Form strings to values, with the API's 422 wording for what does not parse."""
    import datetime as dt
    from decimal import Decimal, InvalidOperation

    from simplepro.core.problems import invalid

    if data.get("move_date"):
        try:
            data["move_date"] = dt.date.fromisoformat(data["move_date"])
        except ValueError:
            raise invalid("move_date", "invalid", "A date like 2027-06-14.") from None
    if data.get("estimated_value") is not None:
        try:
            data["estimated_value"] = Decimal(str(data["estimated_value"]).replace(",", ""))
        except InvalidOperation:
            raise invalid("estimated_value", "invalid", "An amount like 1850.00.") from None
    return data


class ActivityLogView(PermissionRequiredMixin, View):
    permission = "activities.log"

    def post(self, request: HttpRequest, opportunity_id: UUID) -> HttpResponse:
        import datetime as dt

        opportunity = _opportunity(request, opportunity_id)
        post = request.POST
        due_at = None
        if post.get("due_at"):
            try:
                due_at = dt.datetime.fromisoformat(post["due_at"])
            except ValueError:
                messages.error(request, "Due: a date and time like 2027-06-14 10:00.")
                return redirect("opportunity-detail", opportunity_id=opportunity.pk)
            if due_at.tzinfo is None:
                from django.utils import timezone

                due_at = timezone.make_aware(due_at)
        kind = post.get("kind") if post.get("kind") in ActivityKind.values else "note"
        outcome = post.get("outcome") if post.get("outcome") in Outcome.values else ""
        try:
            services.activity_create(
                actor=_viewer(request), opportunity=opportunity,
                data={"kind": kind, "subject": post.get("subject", "")[:200],
                      "description": post.get("description", "")[:5000], "due_at": due_at,
                      "assignee_id": _uuid(post.get("assignee_id")), "outcome": outcome},
            )  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        else:
            messages.success(request, "Logged.")
        return _back(request, f"/sales/opportunities/{opportunity.pk}/")


class ActivityCompleteView(PermissionRequiredMixin, View):
    permission = "activities.log"

    def post(self, request: HttpRequest, activity_id: UUID) -> HttpResponse:
        activity = selectors.activity_get(viewer=_viewer(request), activity_id=activity_id)
        if activity is None:
            raise Http404("No such activity.")
        try:
            services.activity_complete(
                actor=_viewer(request), activity=activity,
                outcome=request.POST.get("outcome", ""), note=request.POST.get("note", "")[:2000],
            )  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        else:
            messages.success(request, f"Done: {activity.subject}.")
        return _back(request, f"/sales/opportunities/{activity.opportunity_id}/")


class EstimateLinkView(PermissionRequiredMixin, View):
    permission = "opportunities.change"

    def post(self, request: HttpRequest, opportunity_id: UUID) -> HttpResponse:
        opportunity = _opportunity(request, opportunity_id)
        estimate_id = _uuid(request.POST.get("estimate_id"))
        estimate = (
            estimate_list(viewer=_viewer(request)).filter(pk=estimate_id).first()
            if estimate_id
            else None
        )
        if estimate is None:
            messages.error(request, "Choose one of the customer's estimates.")
        else:
            try:
                services.opportunity_link_estimate(
                    actor=_viewer(request), opportunity=opportunity, estimate=estimate
                )
            except ProblemError as problem:
                messages.error(request, problem.explanation)
        return redirect("opportunity-detail", opportunity_id=opportunity.pk)


class MyDayView(PermissionRequiredMixin, View):
    permission = "opportunities.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = _viewer(request)
        day = selectors.my_day(viewer=viewer)
        for state in selectors.MY_DAY_SHOWN:
            task_list(day[state])
        context = {"day": day, "outcome_options": outcome_options(), "now": timezone.now()}
        return render(request, "sales/my_day.html", context)


class LeadIntakeView(PermissionRequiredMixin, View):
    """A lead by phone or walk-in: the same duplicate check as the web form."""

    permission = "leads.enter"
    FIELDS = ("name", "email", "phone", "move_date", "from_postal_code", "to_postal_code",
              "from_address", "to_address", "move_size", "service", "message")  # fmt: skip

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, {"source": "phone"}, None)

    def post(self, request: HttpRequest) -> HttpResponse:
        post = request.POST
        fields: dict[str, Any] = {name: post.get(name, "").strip() for name in self.FIELDS}
        fields["move_size"] = fields["move_size"] if fields["move_size"] in MoveSize.values else ""
        fields["service"] = fields["service"] if fields["service"] in Service.values else "local"
        if post.get("flexible"):
            fields["flexibility"] = Flexibility.FLEXIBLE
        source = str(post.get("source", ""))
        source = source if source in LeadSource.values else "phone"
        try:
            fields = _parsed(fields)
            lead = intake.lead_take(
                fields=fields, actor=_viewer(request), source=source,
                salesperson_id=_uuid(post.get("salesperson_id")),
            )  # fmt: skip
        except ProblemError as problem:
            return self._page(request, post, problem)
        if lead.is_duplicate:
            messages.info(
                request,
                f"{lead.customer.name} is already a customer (same {lead.matched_by}): the lead "
                "was added to their record, not made a second customer.",
            )
        else:
            messages.success(request, "Lead saved.")
        return redirect("opportunity-detail", opportunity_id=lead.opportunity_id)

    def _page(
        self, request: HttpRequest, values: Any, problem: ProblemError | None
    ) -> HttpResponse:
        context = {**_choices(_viewer(request)), "values": values, "problem": problem,
                   "errors": {e["field"]: e["message"] for e in (problem.errors if problem else [])}}  # fmt: skip
        return render(request, "sales/intake.html", context, status=422 if problem else 200)


class LeadFormListView(PermissionRequiredMixin, View):
    """The company's web forms: create one, list its allowed sites, copy its snippet."""

    permission = "sales.configure"

    def get(self, request: HttpRequest) -> HttpResponse:
        forms = [
            forms_admin.lead_form_out(f) | {"obj": f} for f in LeadForm.objects.order_by("name")
        ]
        context = {"forms": forms, "salespeople": _salespeople(), "sources": LeadSource.choices}
        return render(request, "sales/lead_forms.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        post = request.POST
        form_id = _uuid(post.get("form_id"))
        form = LeadForm.objects.filter(pk=form_id).first() if form_id else None
        data = {
            "name": post.get("name", "").strip()[:120] or (form.name if form else "Website"),
            "allowed_origins": [o for o in post.get("allowed_origins", "").split() if o],
            "source": post.get("source") if post.get("source") in LeadSource.values
            else "website",
            "salesperson_id": _uuid(post.get("salesperson_id")),
            "show_price_range": bool(post.get("show_price_range")),
            "is_active": bool(post.get("is_active")) if form else True,
        }  # fmt: skip
        try:
            forms_admin.lead_form_save(actor=_viewer(request), form=form, data=data)
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        else:
            messages.success(request, "Form saved.")
        return redirect("lead-forms")
