from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from simplepro.core.views import PermissionRequiredMixin
from simplepro.ops.models import TaskRun
from simplepro.ops.selectors import queue_state, recent_runs, task_totals


class TaskListView(PermissionRequiredMixin, View):
    """What the background workers did: the queue now, totals per task, the runs (failed ones
    first in view when filtered), each failure with its error."""

    permission = "tasks.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state") or None
        if state not in {None, *TaskRun.State.values}:
            state = None
        runs = Paginator(recent_runs(state), 50).get_page(request.GET.get("page"))
        context = {
            "queue": queue_state(),
            "totals": task_totals(),
            "page": runs,
            "state": state,
            "states": TaskRun.State.values,
        }
        return render(request, "ops/task_list.html", context)
