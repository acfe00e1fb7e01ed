"""Customer pages. The list answers htmx requests with just the results table."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from pydantic import ValidationError

from simplepro.accounts.models import User
from simplepro.accounts.permissions import has_permission, sees_own_customers_only
from simplepro.audit.selectors import audit_records
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin, add_problem_to_form
from simplepro.customers import selectors, services
from simplepro.customers.forms import CustomerForm
from simplepro.customers.models import Customer, CustomerStatus, LeadSource
from simplepro.customers.schemas import CustomerIn


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _customer(request: HttpRequest, customer_id: UUID) -> Customer:
    customer = selectors.customer_get(viewer=_user(request), customer_id=customer_id)
    if customer is None:
        raise Http404("No such customer.")
    return customer


class CustomerListView(PermissionRequiredMixin, View):
    permission = "customers.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        source = request.GET.get("source", "")
        filters = selectors.CustomerFilters(
            search=request.GET.get("search", "")[:100],
            status=status if status in CustomerStatus.values else "",
            source=source if source in LeadSource.values else "",
            tag=request.GET.get("tag", "")[:40],
            archived="true" if request.GET.get("archived") == "true" else "false",
        )
        customers = selectors.customer_list(viewer=_user(request), filters=filters)
        page = Paginator(customers, 25).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "filters": filters,
            "statuses": CustomerStatus.choices,
            "sources": LeadSource.choices,
            "can_create": has_permission(request.user, "customers.create"),
        }
        template = "customers/partials/results.html" if request.htmx else "customers/list.html"  # type: ignore[attr-defined]
        return render(request, template, context)


def _validated(form: CustomerForm) -> dict[str, Any]:
    """The same schema the API uses; raises ProblemError with field paths."""
    data = form.to_data()
    try:
        CustomerIn.model_validate(data)
    except ValidationError as exc:
        raise ProblemError(
            422,
            "The customer has invalid fields.",
            errors=[
                {
                    "field": ".".join(str(p) for p in e["loc"]),
                    "code": e["type"],
                    "message": e["msg"],
                }
                for e in exc.errors()
            ],
        ) from None
    return data


class CustomerCreateView(PermissionRequiredMixin, View):
    permission = "customers.create"

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = (
            {"assigned_salesperson_id": str(request.user.pk)}
            if sees_own_customers_only(request.user)
            else {}
        )
        return render(request, "customers/form.html", {"form": CustomerForm(initial=initial)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CustomerForm(request.POST)
        if form.is_valid():
            try:
                customer = services.customer_create(actor=_user(request), data=_validated(form))
            except ProblemError as problem:
                add_problem_to_form(form, problem, CustomerForm.FIELD_MAP)
            else:
                messages.success(request, f"{customer.name} was added.")
                return redirect("customer-detail", customer_id=customer.pk)
        return render(request, "customers/form.html", {"form": form}, status=422)


class CustomerEditView(PermissionRequiredMixin, View):
    permission = "customers.change"

    def get(self, request: HttpRequest, customer_id: UUID) -> HttpResponse:
        customer = _customer(request, customer_id)
        form = CustomerForm(initial=CustomerForm.initial_from(customer))
        return render(request, "customers/form.html", {"form": form, "customer": customer})

    def post(self, request: HttpRequest, customer_id: UUID) -> HttpResponse:
        customer = _customer(request, customer_id)
        form = CustomerForm(request.POST)
        if form.is_valid():
            try:
                data = _validated(form)
                if sees_own_customers_only(request.user):
                    data.pop("assigned_salesperson_id")
                services.customer_update(actor=_user(request), customer=customer, data=data)
            except ProblemError as problem:
                add_problem_to_form(form, problem, CustomerForm.FIELD_MAP)
            else:
                messages.success(request, "Saved.")
                return redirect("customer-detail", customer_id=customer.pk)
        return render(
            request, "customers/form.html", {"form": form, "customer": customer}, status=422
        )


class CustomerDetailView(PermissionRequiredMixin, View):
    permission = "customers.view"

    def get(self, request: HttpRequest, customer_id: UUID) -> HttpResponse:
        customer = _customer(request, customer_id)
        history = audit_records(entity_type="customer", entity_id=str(customer.pk))[:50]
        user = request.user
        return render(
            request,
            "customers/detail.html",
            {
                "customer": customer,
                "duplicates": selectors.duplicates_of(customer),
                "history": history,
                "can_change": has_permission(user, "customers.change"),
                "can_message": has_permission(user, "messages.customers"),
                "can_archive": has_permission(user, "customers.archive"),
                "can_estimate": has_permission(user, "estimates.create"),
            },
        )


class CustomerArchiveView(PermissionRequiredMixin, View):
    permission = "customers.archive"

    def post(self, request: HttpRequest, customer_id: UUID) -> HttpResponse:
        customer = _customer(request, customer_id)
        if request.POST.get("restore"):
            services.customer_restore(actor=_user(request), customer=customer)
            messages.success(request, f"{customer.name} was restored.")
        else:
            services.customer_archive(actor=_user(request), customer=customer)
            messages.success(request, f"{customer.name} was archived.")
        return redirect("customer-detail", customer_id=customer.pk)
