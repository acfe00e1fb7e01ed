"""Ruleset administration: upload a new version (validated, every problem with its path),
preview its effect on the last 50 estimates, activate it. Versions never change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict

from simplepro.core.api import PROBLEM, require
from simplepro.estimates import services
from simplepro.estimates.models import StoredRuleset

router = Router(tags=["rulesets"])


class RulesetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: dict[str, Any]


class RulesetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    version: str
    content_hash: str
    is_active: bool
    created_at: datetime


class RulesetDetailOut(RulesetOut):
    content: dict[str, Any]


class PreviewRow(BaseModel):
    estimate_id: UUID
    version: int
    old_total: Decimal
    new_total: Decimal
    difference: Decimal


class PreviewOut(BaseModel):
    ruleset_version: str
    items: list[PreviewRow]


@router.get("", response={200: list[RulesetOut], **PROBLEM})
def list_rulesets(request: HttpRequest) -> list[StoredRuleset]:
    require(request, "pricing.manage")
    services.ruleset_active()  # a new installation shows its default
    return list(StoredRuleset.objects.order_by("-created_at"))


@router.post("", response={201: RulesetDetailOut, **PROBLEM})
def upload_ruleset(request: HttpRequest, payload: RulesetIn) -> Status[StoredRuleset]:
    admin = require(request, "pricing.manage")
    return Status(201, services.ruleset_upload(actor=admin, content=payload.content))


@router.get("/{ruleset_id}", response={200: RulesetDetailOut, **PROBLEM})
def get_ruleset(request: HttpRequest, ruleset_id: UUID) -> StoredRuleset:
    require(request, "pricing.manage")
    return get_object_or_404(StoredRuleset, pk=ruleset_id)


@router.post("/{ruleset_id}/preview", response={200: PreviewOut, **PROBLEM})
def preview_ruleset(request: HttpRequest, ruleset_id: UUID) -> dict[str, Any]:
    require(request, "pricing.manage")
    candidate = get_object_or_404(StoredRuleset, pk=ruleset_id)
    return {
        "ruleset_version": candidate.version,
        "items": services.ruleset_preview(candidate=candidate),
    }


@router.post("/{ruleset_id}/activate", response={200: RulesetOut, **PROBLEM})
def activate_ruleset(request: HttpRequest, ruleset_id: UUID) -> StoredRuleset:
    admin = require(request, "pricing.manage")
    stored = get_object_or_404(StoredRuleset, pk=ruleset_id)
    return services.ruleset_activate(actor=admin, stored=stored)
