"""Helpers shared by HTML views: permission gate and mapping service errors onto forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from simplepro.accounts.permissions import has_permission
from simplepro.core.problems import ProblemError


class PermissionRequiredMixin(LoginRequiredMixin):
    """Signed in, and granted `permission` by the one permission map (else 403)."""

    permission: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.permission and not has_permission(request.user, self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def add_problem_to_form(
    form: forms.BaseForm, problem: ProblemError, field_map: dict[str, str] | None = None
) -> None:
    """Show a service's field errors next to the matching inputs (the rest at the top)."""
    field_map = field_map or {}
    if not problem.errors:
        form.add_error(None, problem.detail)
    for error in problem.errors:
        root = error["field"].split("[")[0].split(".")[0]
        name = field_map.get(root, root)
        form.add_error(name if name in form.fields else None, error["message"])
