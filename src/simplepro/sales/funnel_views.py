"""The sales figures page: the funnel for a period (grouped as asked), the leaderboard,
the weighted pipeline and why moves were lost — the same figures as /api/pipeline."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_OPPORTUNITIES_ONLY
from simplepro.accounts.services import company_get
from simplepro.core.views import PermissionRequiredMixin
from simplepro.sales import funnel

GROUPINGS = (("", "No grouping"), ("source", "Source"), ("salesperson", "Salesperson"),
             ("move_size", "Move size"))  # fmt: skip


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


class FunnelView(PermissionRequiredMixin, View):
    permission = "opportunities.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        assert isinstance(request.user, User)
        start, end = funnel.period(_date(request.GET.get("from")), _date(request.GET.get("to")))
        if start > end:
            start, end = end, start
        group_by = request.GET.get("group_by", "")
        group_by = group_by if group_by in funnel.GROUPS else ""
        own = request.user.pk if request.user.role in OWN_OPPORTUNITIES_ONLY else None
        figures = funnel.funnel(start=start, end=end, group_by=group_by or None, salesperson=own)
        widest = max((s["count"] for s in figures["stages"]), default=0) or 1
        for stage in figures["stages"]:
            stage["width"] = round(stage["count"] * 100 / widest)
        context = {
            "figures": figures, "start": start, "end": end, "group_by": group_by,
            "groupings": GROUPINGS, "own": own is not None,
            "leaderboard": funnel.leaderboard(start=start, end=end),
            "value": funnel.pipeline_value(salesperson=own),
            "losses": funnel.loss_analysis(start=start, end=end, salesperson=own),
            "currency": company_get().currency,
        }  # fmt: skip
        return render(request, "sales/funnel.html", context)
