"""The pricing administration pages: the active ruleset, uploading a new version (JSON or
YAML, every problem shown by its path), previewing it on the last 50 estimates, activating."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from simplepro.accounts.models import User
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.estimates import services
from simplepro.estimates.models import StoredRuleset
from simplepro.pricing import RulesetError, load_ruleset

MAX_UPLOAD = 1_000_000  # a ruleset is a few kilobytes; a megabyte is a mistake


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class RulesetListView(PermissionRequiredMixin, View):
    permission = "pricing.manage"

    def _render(
        self, request: HttpRequest, text: str, problems: list[str], status: int
    ) -> HttpResponse:
        active = services.ruleset_active()
        return render(
            request,
            "estimates/rulesets.html",
            {
                "active": active,
                "rulesets": StoredRuleset.objects.all()[:50],
                "text": text,
                "problems": problems,
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        active = services.ruleset_active()
        # A starting point for the next version: the active one, ready to edit.
        return self._render(request, json.dumps(active.content, indent=2), [], 200)

    def post(self, request: HttpRequest) -> HttpResponse:
        upload = request.FILES.get("file")
        if upload is not None and upload.size and upload.size > MAX_UPLOAD:
            return self._render(request, "", ["(file): larger than 1 MB"], 422)
        raw = upload.read() if upload is not None else request.POST.get("content", "").encode()
        text = raw.decode("utf-8", errors="replace")
        try:
            content = load_ruleset(raw).model_dump(mode="json")
            stored = services.ruleset_upload(actor=_user(request), content=content)
        except RulesetError as error:
            return self._render(request, text, error.problems, 422)
        except ProblemError as problem:
            details = [f"{e['field']}: {e['message']}" for e in problem.errors]
            return self._render(request, text, details or [problem.detail], problem.status)
        messages.success(request, f"Version {stored.version} stored. Preview it, then activate.")
        return redirect("ruleset-detail", stored.pk)


class RulesetDetailView(PermissionRequiredMixin, View):
    permission = "pricing.manage"

    def get(self, request: HttpRequest, ruleset_id: UUID) -> HttpResponse:
        stored = get_object_or_404(StoredRuleset, pk=ruleset_id)
        rows: list[dict[str, Any]] = services.ruleset_preview(candidate=stored)
        return render(
            request,
            "estimates/ruleset_detail.html",
            {
                "stored": stored,
                "rows": rows,
                "content": json.dumps(stored.content, indent=2),
                "changed": sum(1 for r in rows if r["difference"]),
            },
        )

    def post(self, request: HttpRequest, ruleset_id: UUID) -> HttpResponse:
        stored = get_object_or_404(StoredRuleset, pk=ruleset_id)
        services.ruleset_activate(actor=_user(request), stored=stored)
        messages.success(
            request,
            f"Version {stored.version} is active: new estimates use it, saved ones keep theirs.",
        )
        return redirect("ruleset-list")
