"""Saving and verifying estimates. Every version keeps the exact ruleset that priced it."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, transaction

from simplepro.accounts.models import User
from simplepro.accounts.permissions import discount_limit_percent
from simplepro.audit.services import audit_record
from simplepro.core import metrics
from simplepro.core.problems import Forbidden
from simplepro.customers.models import Customer
from simplepro.estimates.models import Estimate, EstimateVersion, StoredRuleset
from simplepro.pricing import EstimateInput, PricingResult, Ruleset, load_ruleset, price
from simplepro.pricing.defaults import default_ruleset


@lru_cache(maxsize=32)
def _ruleset_from(content_hash: str, content: str) -> Ruleset:
    return load_ruleset(content)


def ruleset_of(stored: StoredRuleset) -> Ruleset:
    return _ruleset_from(stored.content_hash, json.dumps(stored.content))


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
