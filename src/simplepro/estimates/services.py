"""Saving and verifying estimates. Every version keeps the exact ruleset that priced it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from simplepro.accounts.models import User
from simplepro.accounts.permissions import discount_limit_percent
from simplepro.audit.services import audit_record
from simplepro.core import metrics
from simplepro.core.problems import Conflict, Forbidden, ProblemError
from simplepro.customers.models import Customer
from simplepro.estimates.models import Estimate, EstimateVersion, StoredRuleset
from simplepro.pricing import (
    EstimateInput,
    PricingResult,
    Ruleset,
    RulesetError,
    load_ruleset,
    price,
)
from simplepro.pricing.defaults import default_ruleset

# Loaded rulesets by content hash: stored versions never change, so a hash names one ruleset
# for good and every request after the first skips validation (and re-serialising the content).
_LOADED: dict[str, Ruleset] = {}


def ruleset_of(stored: StoredRuleset) -> Ruleset:
    ruleset = _LOADED.get(stored.content_hash)
    if ruleset is None:
        ruleset = _LOADED[stored.content_hash] = load_ruleset(stored.content)
    return ruleset


def ruleset_active() -> StoredRuleset:
    """The active ruleset; on a new installation, SimplePro's default, stored and activated."""
    stored = StoredRuleset.objects.filter(is_active=True).first()
    if stored is not None:
        return stored
    default = default_ruleset()
    try:
        with transaction.atomic():
            return StoredRuleset.objects.create(
                name=default.name,
                version=default.version,
                content=default.model_dump(mode="json"),
                content_hash=default.content_hash,
                is_active=True,
            )
    except IntegrityError:  # another request stored it first
        return StoredRuleset.objects.get(is_active=True)


def _check_discount(actor: User, result: PricingResult) -> None:
    """Manual discounts stay within the actor's role limit (an override counts by its effect)."""
    if result.adjustment is None or result.adjustment.impact >= 0:
        return
    before = result.breakdown.subtotal - result.adjustment.impact
    percent = (-result.adjustment.impact / before * 100) if before else Decimal(100)
    limit = discount_limit_percent(actor)
    if percent > limit:
        raise Forbidden(f"Your role may discount at most {limit} %; this is {percent:.1f} %.")


def _result_json(result: PricingResult) -> dict[str, Any]:
    return dict(json.loads(result.canonical_json()))


def estimate_create(*, actor: User, customer: Customer, estimate_input: EstimateInput) -> Estimate:
    stored = ruleset_active()
    result = price(estimate_input, ruleset_of(stored))
    _check_discount(actor, result)
    with transaction.atomic(durable=True):
        estimate = Estimate.objects.create(customer=customer, created_by=actor)
        EstimateVersion.objects.create(
            estimate=estimate,
            number=1,
            ruleset=stored,
            input=estimate_input.model_dump(mode="json"),
            result=_result_json(result),
            input_hash=result.input_hash,
            total=result.breakdown.total,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="create",
            entity_type="estimate",
            entity_id=estimate.pk,
            changes={
                "total": {"before": None, "after": str(result.breakdown.total)},
                "ruleset": {"before": None, "after": stored.version},
            },
        )
    metrics.ESTIMATES_CREATED.inc()
    return estimate


def _differences(stored: Any, fresh: Any, path: str = "") -> list[str]:
    if isinstance(stored, dict) and isinstance(fresh, dict):
        found: list[str] = []
        for key in sorted(stored.keys() | fresh.keys()):
            found += _differences(stored.get(key), fresh.get(key), f"{path}.{key}" if path else key)
        return found
    return [] if stored == fresh else [f"{path}: stored {stored!r}, recomputed {fresh!r}"]


def estimate_verify(*, version: EstimateVersion) -> list[str]:
    """Re-price a stored version with its own ruleset; the differences, if any (none expected)."""
    result = price(EstimateInput.model_validate(version.input), ruleset_of(version.ruleset))
    return _differences(version.result, _result_json(result))


# --- Rulesets ------------------------------------------------------------------------------

PREVIEW_SIZE = 50


def ruleset_upload(*, actor: User, content: dict[str, Any]) -> StoredRuleset:
    """Store a new ruleset version (inactive). Every problem is reported with its path."""
    try:
        ruleset = load_ruleset(content)
    except RulesetError as error:
        raise ProblemError(
            422,
            "The ruleset is not valid.",
            errors=[
                {"field": p.split(": ", 1)[0], "code": "invalid", "message": p.split(": ", 1)[-1]}
                for p in error.problems
            ],
        ) from None
    if StoredRuleset.objects.filter(version=ruleset.version).exists():
        raise Conflict(
            f"Ruleset version {ruleset.version!r} exists already; versions never change."
        )
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                stored = StoredRuleset.objects.create(
                    name=ruleset.name,
                    version=ruleset.version,
                    content=ruleset.model_dump(mode="json"),
                    content_hash=ruleset.content_hash,
                )
        except IntegrityError:  # a concurrent upload of the same version or content won
            raise Conflict(
                f"Ruleset version {ruleset.version!r} was just stored by another request."
            ) from None
        audit_record(
            actor=actor,
            action="create",
            entity_type="ruleset",
            entity_id=stored.pk,
            changes={"version": {"before": None, "after": ruleset.version}},
        )
    return stored


def ruleset_preview(*, candidate: StoredRuleset) -> list[dict[str, Any]]:
    """The last estimates re-priced under `candidate`: old and new totals side by side."""
    versions = EstimateVersion.objects.select_related("ruleset").order_by("-created_at")[
        :PREVIEW_SIZE
    ]
    ruleset = ruleset_of(candidate)
    rows = []
    for version in versions:
        new_total = price(EstimateInput.model_validate(version.input), ruleset).breakdown.total
        rows.append(
            {
                "estimate_id": version.estimate_id,
                "version": version.number,
                "old_total": version.total,
                "new_total": new_total,
                "difference": new_total - version.total,
            }
        )
    return rows


def ruleset_activate(*, actor: User, stored: StoredRuleset) -> StoredRuleset:
    """Make `stored` the ruleset new estimates use. Old estimates keep theirs."""
    with transaction.atomic(durable=True):
        previous = StoredRuleset.objects.select_for_update().filter(is_active=True).first()
        if previous is not None and previous.pk == stored.pk:
            return stored
        if previous is not None:
            StoredRuleset.objects.filter(pk=previous.pk).update(is_active=False)
        StoredRuleset.objects.filter(pk=stored.pk).update(is_active=True)
        audit_record(
            actor=actor,
            action="activate",
            entity_type="ruleset",
            entity_id=stored.pk,
            changes={
                "active": {
                    "before": previous.version if previous else None,
                    "after": stored.version,
                }
            },
        )
    stored.refresh_from_db()
    return stored
