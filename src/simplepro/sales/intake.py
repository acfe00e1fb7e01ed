"""Leads coming in: from the company's web form (the public endpoint and the form page) and
typed in by the office after a call or a visit. Both end in `lead_take`, which finds the
customer the lead may already be (by e-mail or E.164 phone), makes the customer only when
there is none, and opens or joins the opportunity — in one transaction.

A duplicate is never a second customer: the lead is attached to the existing customer,
flagged (`Lead.matched_by`), and the salesperson told. The public answer is the same either
way, so the form never reveals who is a customer.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from simplepro.accounts.models import User
from simplepro.accounts.services import company_get
from simplepro.core import metrics
from simplepro.core.phones import InvalidPhone, to_e164
from simplepro.core.problems import FieldError, ProblemError
from simplepro.core.ratelimit import check_tiers, parse_tiers
from simplepro.customers.models import Customer, CustomerLookup
from simplepro.customers.services import customer_insert
from simplepro.sales import challenge, services
from simplepro.sales.models import (
    OPEN_STATUSES,
    Flexibility,
    FunnelStage,
    Lead,
    LeadForm,
    Opportunity,
)
from simplepro.sales.price_range import PriceRange, price_range
from simplepro.sales.selectors import lead_form_for_key

logger = logging.getLogger(__name__)

# What a lead may carry, in characters (docs/sales-web-form.md); a body over MAX_LEAD_BYTES
# is refused before it is parsed.
MAX_LEAD_BYTES = 16 * 1024
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


class LeadRefused(ProblemError):
    """A lead the endpoint will not take (bad key, origin, flood, challenge)."""

    def __init__(self, status: int, detail: str, outcome: str, **kwargs: Any) -> None:
        super().__init__(status, detail, **kwargs)
        self.outcome = outcome


def throttle(*, identity: str, spec: str, what: str) -> None:
    decision = check_tiers(identity, parse_tiers(spec))
    if not decision.allowed:
        raise LeadRefused(
            429,
            f"Too many leads from this {what}; try again in {decision.reset} seconds.",
            "rate_limited",
            headers={"Retry-After": str(decision.reset)},
        )


def _ip_key(ip: str) -> str:
    # The address itself is personal data: the counter key only needs to tell them apart.
    return hashlib.sha256(ip.encode()).hexdigest()[:24]


def admit(*, public_key: str, origin: str, ip: str) -> LeadForm:
    """The checks before a public lead is read: the sender's flood limit, the form's key,
    the site it comes from, the form's own flood limit. Raises LeadRefused."""
    throttle(identity=f"lead-ip:{_ip_key(ip)}", spec=settings.LEAD_RATE_LIMITS, what="address")
    form = lead_form_for_key(public_key)
    if form is None:
        raise LeadRefused(403, "Unknown or inactive form key (X-SimplePro-Form).", "bad_key")
    if origin and not origin_allowed(form, origin):
        raise LeadRefused(403, f"This form does not accept leads from {origin}.", "origin_refused")
    throttle(identity=f"lead-form:{form.pk}", spec=settings.LEAD_FORM_RATE_LIMITS, what="form")
    return form


def own_origin() -> str:
    parts = urlsplit(settings.PUBLIC_URL)
    return f"{parts.scheme}://{parts.netloc}"


def origin_allowed(form: LeadForm, origin: str) -> bool:
    """Our own pages (the hosted form) and the sites the company listed for this form."""
    origin = origin.rstrip("/").lower()
    return origin == own_origin().lower() or origin in {
        o.rstrip("/").lower() for o in form.allowed_origins
    }


def _problems(fields: Mapping[str, Any], region: str) -> tuple[dict[str, Any], list[FieldError]]:
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    errors: list[FieldError] = []
    if not clean.get("name"):
        errors.append({"field": "name", "code": "required", "message": "Your name is needed."})
    if clean.get("phone"):
        try:
            clean["phone"] = to_e164(str(clean["phone"]), region)
        except InvalidPhone as exc:
            errors.append({"field": "phone", "code": "invalid_phone", "message": str(exc)})
    if clean.get("email"):
        clean["email"] = str(clean["email"]).lower()
    if not clean.get("email") and not clean.get("phone"):
        errors.append({"field": "email", "code": "required",
                       "message": "An e-mail address or a phone number is needed to reply."})  # fmt: skip
    return clean, errors


def match_customer(email: str, phone: str) -> tuple[Customer | None, str]:
    """An existing customer with this e-mail or phone (current ones first), and by what."""
    for kind, value in (("email", email), ("phone", phone)):
        if not value:
            continue
        lookup = (
            CustomerLookup.objects.select_related("customer__assigned_salesperson")
            .filter(kind=kind, value=value)
            .order_by("customer__archived_at", "-customer__created_at")
            .first()
        )
        if lookup is not None:
            return lookup.customer, kind
    return None, ""


def lead_take(
    *, fields: Mapping[str, Any], form: LeadForm | None = None, actor: User | None = None,
    source: str = "", utm: Mapping[str, str] | None = None, salesperson_id: Any = None,
) -> Lead:  # fmt: skip
    """Take one lead: validate, match or make the customer, open or join the opportunity,
    record the lead and its funnel step. 422 naming every bad field; nothing half-written."""
    with transaction.atomic(durable=True):
        return lead_insert(fields=fields, form=form, actor=actor, source=source, utm=utm,
                           salesperson_id=salesperson_id)  # fmt: skip


def lead_insert(
    *, fields: Mapping[str, Any], form: LeadForm | None = None, actor: User | None = None,
    source: str = "", utm: Mapping[str, str] | None = None, salesperson_id: Any = None,
) -> Lead:  # fmt: skip
    """`lead_take` inside the caller's transaction (a partner's referral is recorded with
    the lead it makes)."""
    clean, errors = _problems(fields, company_get().phone_region)
    if errors:
        raise ProblemError(422, "The lead has invalid fields.", errors=errors)
    utm = {k: str(v)[:200] for k, v in (utm or {}).items() if k in UTM_KEYS and v}
    source = source or (form.source if form else "phone")
    email, phone = clean.get("email") or "", clean.get("phone") or ""
    address_of = {"from": "origin", "to": "destination"}
    move = {
        "service": clean.get("service") or "local",
        "move_date": clean.get("move_date"),
        "flexibility": clean.get("flexibility")
        or (Flexibility.FLEXIBLE if not clean.get("move_date") else Flexibility.EXACT),
        "move_size": clean.get("move_size") or "",
        "source": source,
        "campaign": utm.get("utm_campaign", ""),
        **{
            side: {"postal_code": clean.get(f"{prefix}_postal_code") or "",
                   "address": clean.get(f"{prefix}_address") or ""}
            for prefix, side in address_of.items()
        },
        "notes": clean.get("message") or "",
    }  # fmt: skip
    with transaction.atomic():
        customer, matched_by = match_customer(email, phone)
        if customer is None:
            customer = customer_insert(
                actor=actor,
                data={"type": "residential", "name": clean["name"], "emails": [email] if email
                      else [], "phones": [phone] if phone else [], "source": source,
                      "status": "lead"},
            )  # fmt: skip
        salesperson_id = salesperson_id or (form.salesperson_id if form else None)
        opportunity = _open_or_join(
            actor, customer, move, salesperson_id, duplicate=bool(matched_by)
        )
        lead = Lead.objects.create(
            form=form, fields=_stored(clean), utm=utm, customer=customer,
            opportunity=opportunity, matched_by=matched_by, entered_by=actor,
        )  # fmt: skip
        services.funnel_record(opportunity, FunnelStage.LEAD, at=lead.received_at)
    return lead


def _stored(clean: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in clean.items()}


def _open_or_join(
    actor: User | None, customer: Customer, move: dict[str, Any], salesperson_id: Any,
    *, duplicate: bool,
) -> Opportunity:  # fmt: skip
    """A customer already being worked keeps their opportunity (a second form the same
    evening is the same move); otherwise a new one."""
    current = (
        Opportunity.objects.select_related("customer", "salesperson")
        .filter(customer=customer, status__in=OPEN_STATUSES)
        .order_by("-updated_at")
        .first()
    )
    if current is not None:
        services.note_repeat_lead(current, actor=actor)
        return current
    opportunity = services.opportunity_insert(
        actor=actor, customer=customer, data=move, salesperson_id=salesperson_id,
        duplicate=duplicate,
    )  # fmt: skip
    return opportunity


@dataclass(frozen=True)
class WebLead:
    """What the website is told: the lead's id, and the price range when the form shows one."""

    id: uuid.UUID
    price_range: PriceRange | None = None


def _range_for(form: LeadForm, payload: Any) -> PriceRange | None:
    if not form.show_price_range or not payload.move_size:
        return None
    return price_range(payload.move_size, payload.move_date)


def lead_from_web(*, public_key: str, origin: str, ip: str, read: Callable[[], Any]) -> WebLead:
    """A lead from the website (the API or the hosted form), counted by outcome in
    simplepro_leads_total. Raises LeadRefused, or ProblemError for bad fields."""
    try:
        return _web_lead(public_key=public_key, origin=origin, ip=ip, read=read)
    except LeadRefused as refused:
        metrics.LEADS.labels(outcome=refused.outcome).inc()
        raise
    except ProblemError:
        metrics.LEADS.labels(outcome="invalid").inc()
        raise


def _web_lead(*, public_key: str, origin: str, ip: str, read: Callable[[], Any]) -> WebLead:
    """The public endpoint's work, in the order that keeps a flood cheap: limits and key
    first, then the body, the honeypot, the challenge, and only then the database. The id
    answered for a bot caught by the honeypot is made up: it learns nothing."""
    form = admit(public_key=public_key, origin=origin, ip=ip)
    payload = read()
    if payload.website:
        metrics.LEADS.labels(outcome="honeypot").inc()
        return WebLead(uuid.uuid4(), _range_for(form, payload))
    if challenge.enabled():
        try:
            passed = challenge.verify(payload.challenge, ip)
        except challenge.ChallengeUnavailable:
            raise LeadRefused(
                503, "The form's challenge could not be checked; try again in a minute.",
                "challenge_unavailable", headers={"Retry-After": "60"},
            ) from None  # fmt: skip
        if not passed:
            raise LeadRefused(403, "The challenge was not passed.", "challenge_failed")
    fields = payload.model_dump(exclude={"website", "challenge", *UTM_KEYS, "source", "flexible"})
    if payload.flexible:
        fields["flexibility"] = Flexibility.FLEXIBLE
    utm = {key: getattr(payload, key) for key in UTM_KEYS}
    shown = _range_for(form, payload)
    with transaction.atomic(durable=True):
        lead = lead_insert(fields=fields, form=form, source=payload.source or form.source,
                           utm=utm)  # fmt: skip
        if shown is not None:
            # Kept with the lead: the salesperson sees what the customer was told.
            Lead.objects.filter(pk=lead.pk).update(
                fields={**lead.fields, "price_range_shown": shown.as_dict()}
            )
    metrics.LEADS.labels(outcome="duplicate" if lead.is_duplicate else "received").inc()
    return WebLead(lead.pk, shown)
