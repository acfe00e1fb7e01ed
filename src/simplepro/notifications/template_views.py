"""Administrators' pages for the company's wording of each event on each channel: the list,
and one template's form with a preview from sample data before it is saved."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.notifications import wording
from simplepro.notifications.models import Channel


class TemplateListView(PermissionRequiredMixin, View):
    permission = "notifications.templates"

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = wording.template_table()
        for row in rows:
            row["channel_label"] = Channel(row["channel"]).label
        return render(request, "notifications/templates.html", {"rows": rows})


class TemplateEditView(PermissionRequiredMixin, View):
    permission = "notifications.templates"

    def _page(self, request: HttpRequest, row: dict[str, Any], **extra: Any) -> HttpResponse:
        context = {"row": row, "channel_label": Channel(row["channel"]).label, **extra}
        return render(request, "notifications/template_edit.html", context,
                      status=422 if extra.get("problem") else 200)  # fmt: skip

    def get(self, request: HttpRequest, event: str, channel: str) -> HttpResponse:
        row = wording.template_row(event, channel)
        preview = wording.template_check(event, channel, row)
        return self._page(request, row, preview=preview)

    def post(self, request: HttpRequest, event: str, channel: str) -> HttpResponse:
        row = wording.template_row(event, channel)
        if request.POST.get("action") == "reset":
            wording.template_reset(user=request.user, event_key=event, channel=channel)
            messages.success(request, f"{row['label']} by {channel}: back to the default wording.")
            return redirect("notification-template", event=event, channel=channel)
        parts = {p: request.POST.get(p, "") for p in ("subject", "text", "html")}
        edited = {**row, **parts}
        try:
            if request.POST.get("action") == "save":
                wording.template_save(user=request.user, event_key=event, channel=channel,
                                      parts=parts)  # fmt: skip
                messages.success(request, f"{row['label']} by {channel}: saved.")
                return redirect("notification-template", event=event, channel=channel)
            preview = wording.template_check(event, channel, parts)
        except ProblemError as problem:
            return self._page(request, edited, problem=problem.explanation)
        return self._page(request, edited, preview=preview, previewing=True)
