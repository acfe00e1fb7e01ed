"""Saving and verifying estimates. Every version keeps the exact ruleset that priced it."""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import zoneinfo
from decimal import Decimal
from typing import Any

import structlog
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.accounts.permissions import discount_limit_percent
from simplepro.accounts.services import company_get
from simplepro.audit.services import audit_record
from simplepro.core import metrics
from simplepro.core.files import read_verified, sha256, store_once
from simplepro.core.problems import Conflict, Forbidden, ProblemError, invalid
from simplepro.customers.models import Customer
from simplepro.estimates.events import announce_estimate
from simplepro.estimates.models import (
    DECIDABLE,
    EDITABLE,
    SENDABLE,
    Estimate,
    EstimateStatus,
    EstimateVersion,
    StoredRuleset,
)
from simplepro.estimates.quote import quote_of, render_pdf
from simplepro.pricing import (
    EstimateInput,
    PricingResult,
    Ruleset,
    RulesetError,
    load_ruleset,
    price,
)
from simplepro.pricing.defaults import default_ruleset
from simplepro.pricing.engine import reprice
from simplepro.pricing.money import money_text

logger = structlog.get_logger(__name__)
QUOTE_LINK_SALT = "simplepro.estimates.quote-link"
QUOTE_LINK_MAX_AGE = 365 * 24 * 3600  # a customer may look a quote up for a year

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
    limit = discount_limit_percent(actor, company_get())
    if percent > limit:
        raise Forbidden(f"Your role may discount at most {limit} %; this is {percent:.1f} %.")


def _result_json(result: PricingResult) -> dict[str, Any]:
    return dict(json.loads(result.canonical_json()))


def _new_version(
    *,
    actor: User,
    estimate: Estimate,
    number: int,
    estimate_input: EstimateInput,
    inventory: list[dict[str, Any]],
) -> EstimateVersion:
    """Price with the active ruleset and store an immutable version (inside a transaction)."""
    stored = ruleset_active()
    result = price(estimate_input, ruleset_of(stored))
    _check_discount(actor, result)
    return EstimateVersion.objects.create(
        estimate=estimate,
        number=number,
        ruleset=stored,
        input=estimate_input.model_dump(mode="json"),
        result=_result_json(result),
        input_hash=result.input_hash,
        total=result.breakdown.total,
        inventory=inventory,
        created_by=actor,
    )


def _adjustment_change(estimate_input: EstimateInput) -> dict[str, Any]:
    manual = estimate_input.adjustment
    if manual is None:
        return {}
    return {
        "adjustment": {"before": None, "after": f"{manual.kind} {manual.value}: {manual.reason}"}
    }


def estimate_create(
    *,
    actor: User,
    customer: Customer,
    estimate_input: EstimateInput,
    inventory: list[dict[str, Any]] | None = None,
    pickup_address: str = "",
    delivery_address: str = "",
) -> Estimate:
    with transaction.atomic(durable=True):
        estimate = Estimate.objects.create(
            customer=customer,
            created_by=actor,
            pickup_address=pickup_address,
            delivery_address=delivery_address,
        )
        version = _new_version(
            actor=actor,
            estimate=estimate,
            number=1,
            estimate_input=estimate_input,
            inventory=inventory or [],
        )
        audit_record(
            actor=actor,
            action="create",
            entity_type="estimate",
            entity_id=estimate.pk,
            changes={
                "total": {"before": None, "after": str(version.total)},
                "ruleset": {"before": None, "after": version.ruleset.version},
                **_adjustment_change(estimate_input),
            },
        )
        announce_estimate("estimate.created", estimate, actor=actor)
    metrics.ESTIMATES_CREATED.inc()
    return estimate


def _locked(estimate: Estimate) -> Estimate:
    return Estimate.objects.select_for_update().select_related("customer").get(pk=estimate.pk)


def _refuse(estimate: Estimate, doing: str) -> Conflict:
    return Conflict(f"An estimate that is {estimate.status} cannot be {doing}.")


def estimate_revise(
    *,
    actor: User,
    estimate: Estimate,
    estimate_input: EstimateInput,
    inventory: list[dict[str, Any]] | None = None,
    pickup_address: str | None = None,
    delivery_address: str | None = None,
    reason: str = "",
) -> Estimate:
    """A new version (the old ones stay as they were), with why it was made. A sent or
    expired estimate becomes a draft again: the customer has not seen this version yet."""
    with transaction.atomic(durable=True):
        estimate = _locked(estimate)
        if estimate.status not in EDITABLE:
            raise _refuse(estimate, "changed")
        previous = estimate.versions.order_by("-number").first()
        assert previous is not None
        version = _new_version(
            actor=actor,
            estimate=estimate,
            number=previous.number + 1,
            estimate_input=estimate_input,
            inventory=previous.inventory if inventory is None else inventory,
        )
        if reason.strip():
            version.reason = reason.strip()[:300]
            version.save(update_fields=["reason"])
        before_status = estimate.status
        estimate.status = EstimateStatus.DRAFT
        estimate.valid_until = None
        if pickup_address is not None:
            estimate.pickup_address = pickup_address
        if delivery_address is not None:
            estimate.delivery_address = delivery_address
        estimate.save()
        audit_record(
            actor=actor,
            action="update",
            entity_type="estimate",
            entity_id=estimate.pk,
            changes={
                "version": {"before": previous.number, "after": version.number},
                "total": {"before": str(previous.total), "after": str(version.total)},
                "status": {"before": before_status, "after": estimate.status},
                **({"reason": {"before": None, "after": version.reason}} if version.reason else {}),
                **_adjustment_change(estimate_input),
            },
        )
    return estimate


def quote_link(version: EstimateVersion) -> str:
    """A link the customer can open without an account: signed, naming one version."""
    token = signing.dumps(str(version.pk), salt=QUOTE_LINK_SALT)
    return settings.PUBLIC_URL + reverse("quote-public", kwargs={"token": token})


def quote_for_link(token: str) -> EstimateVersion | None:
    try:
        version_id = signing.loads(token, salt=QUOTE_LINK_SALT, max_age=QUOTE_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        EstimateVersion.objects.select_related("estimate__customer")
        .filter(pk=version_id)
        .exclude(pdf_sha256="")
        .first()
    )


def company_today() -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(company_get().time_zone))


def estimate_send(*, actor: User, estimate: Estimate) -> Estimate:
    """Store the current version's PDF immutably, e-mail it with a link, mark the estimate sent.
    If the e-mail cannot be sent nothing changes (the stored PDF is the same bytes on retry)."""
    with transaction.atomic(durable=True):
        estimate = _locked(estimate)
        if estimate.status not in SENDABLE:
            raise _refuse(estimate, "sent")
        emails = [e for e in estimate.customer.emails if e]
        if not emails:
            raise invalid("customer", "no_email", "The customer has no e-mail address to send to.")
        version = estimate.versions.select_related("ruleset").order_by("-number").first()
        assert version is not None
        company = company_get()
        if version.pdf_sha256:  # sent before: the same document again, same validity
            pdf = read_verified(version.pdf_path, version.pdf_sha256)
        else:
            estimate.valid_until = company_today() + dt.timedelta(
                days=ruleset_of(version.ruleset).quote_valid_days
            )
            pdf = render_pdf(quote_of(estimate, version, company))
            digest = sha256(pdf)
            # The digest in the name: a send that failed (SMTP down) and is retried on another
            # day renders a different validity date, and must not collide with the first try.
            version.pdf_path = f"quotes/{estimate.pk}/v{version.number}-{digest[:16]}.pdf"
            version.pdf_sha256 = store_once(version.pdf_path, pdf)
            version.sent_at = timezone.now()
            version.save(update_fields=["pdf_path", "pdf_sha256", "sent_at"])
        before = estimate.status
        estimate.status = EstimateStatus.SENT
        estimate.sent_at = timezone.now()
        estimate.save()
        audit_record(
            actor=actor,
            action="send",
            entity_type="estimate",
            entity_id=estimate.pk,
            changes={
                "status": {"before": before, "after": estimate.status},
                "pdf_sha256": {"before": None, "after": version.pdf_sha256},
                "to": {"before": None, "after": emails[0]},
            },
        )
        _email_quote(estimate, version, company, emails[0], pdf)
        announce_estimate("estimate.sent", estimate, actor=actor)
    metrics.QUOTES_SENT.inc()
    return estimate


def _email_quote(
    estimate: Estimate, version: EstimateVersion, company: Any, to: str, pdf: bytes
) -> None:
    link = quote_link(version)
    message = EmailMessage(
        subject=f"Your moving quote from {company.name}",
        body=(
            f"Hello {estimate.customer.name},\n\n"
            f"Your quote is attached and online at:\n{link}\n\n"
            f"Total {money_text(version.total, company.currency)}, valid until "
            f"{estimate.valid_until}.\n\n"
            f"{company.name}\n{company.phone}\n"
        ),
        to=[to],
        reply_to=[company.email] if company.email else None,
    )
    message.attach(f"quote-{estimate.pk}-v{version.number}.pdf", pdf, "application/pdf")
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as exc:
        metrics.QUOTE_FAILURES.labels(reason="email").inc()
        logger.warning("quote_email_failed", estimate=str(estimate.pk), error=str(exc))
        raise ProblemError(
            503, "The e-mail could not be sent; the estimate was not marked sent. Try again."
        ) from None


def estimates_expire_due() -> int:
    """Sent estimates whose validity has passed become expired; how many did."""
    return Estimate.objects.filter(
        status=EstimateStatus.SENT, valid_until__lt=company_today()
    ).update(status=EstimateStatus.EXPIRED, updated_at=timezone.now())


def estimate_decide(
    *, actor: User | None, estimate: Estimate, accepted: bool, note: str = ""
) -> Estimate:
    """The customer accepted or declined the sent quote: through the office (`actor`) or
    themselves on the quote link (None). A quote past its validity expires."""
    estimates_expire_due()
    with transaction.atomic(durable=True):
        estimate = _locked(estimate)
        if estimate.status not in DECIDABLE:
            raise _refuse(estimate, "accepted" if accepted else "declined")
        before = estimate.status
        estimate.status = EstimateStatus.ACCEPTED if accepted else EstimateStatus.DECLINED
        estimate.decided_at = timezone.now()
        estimate.decision_note = note
        estimate.save()
        audit_record(
            actor=actor,
            action="accept" if accepted else "decline",
            entity_type="estimate",
            entity_id=estimate.pk,
            changes={"status": {"before": before, "after": estimate.status}},
        )
        kind = "estimate.accepted" if accepted else "estimate.declined"
        announce_estimate(kind, estimate, actor=actor, note=note)
    return estimate


def quote_viewed(*, version: EstimateVersion) -> None:
    """The customer opened the quote link: every view is counted; the first is recorded
    and announced (a salesperson calls while the customer is reading)."""
    with transaction.atomic(durable=True):
        now = timezone.now()
        Estimate.objects.filter(pk=version.estimate_id).update(
            view_count=F("view_count") + 1, last_viewed_at=now
        )
        first = Estimate.objects.filter(pk=version.estimate_id, viewed_at__isnull=True).update(
            viewed_at=now
        )
        if first:
            estimate = Estimate.objects.select_related("customer").get(pk=version.estimate_id)
            audit_record(
                actor=None, action="view", entity_type="estimate", entity_id=estimate.pk,
                changes={"viewed_at": {"before": None, "after": now.isoformat()}},
            )  # fmt: skip
            announce_estimate("estimate.viewed", estimate, actor=None, version=version.number)


def quote_downloaded(*, version: EstimateVersion) -> None:
    """The customer downloaded the PDF from their link."""
    Estimate.objects.filter(pk=version.estimate_id).update(download_count=F("download_count") + 1)


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
    recent = list(versions)
    results = reprice((v.input for v in recent), ruleset_of(candidate))
    return [
        {
            "estimate_id": version.estimate_id,
            "version": version.number,
            "old_total": version.total,
            "new_total": result.breakdown.total,
            "difference": result.breakdown.total - version.total,
        }
        for version, result in zip(recent, results, strict=True)
    ]


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
