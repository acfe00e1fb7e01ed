"""The home page: a tile per module the person may use. It sits at the top of the stack,
beside urls.py, because it reads from every app (and no app may import the apps above it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from simplepro.accounts.models import User
from simplepro.accounts.permissions import has_permission
from simplepro.accounts.services import company_get
from simplepro.customers.selectors import customer_counts


class DashboardView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        context: dict[str, Any] = {"company": company_get()}
        if has_permission(user, "customers.view"):
            context["counts"] = customer_counts(viewer=user)
        if has_permission(user, "users.view"):
            context["user_count"] = User.objects.filter(is_active=True).count()
        return render(request, "accounts/dashboard.html", context)
