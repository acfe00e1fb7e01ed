"""Partners over the API. The office: partners and their portal accounts, referrals, and
paying commissions (`/api/partners`, `/api/referrals`). The partners themselves:
`/api/partner-portal`, signed in with their own session (simplepro.partners.portal), which
no staff route accepts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from simplepro.core.api import PROBLEM, reject_nulls, require
from simplepro.core.clientip import client_ip
from simplepro.core.problems import NotFound, invalid
from simplepro.partners import portal, selectors, services
from simplepro.partners.models import Partner, PartnerAccount, Referral
from simplepro.partners.schemas import (
    AccountIn,
    AccountOut,
    PaidIn,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
    PortalLoginIn,
    PortalMeOut,
    ReferralIn,
    ReferralOut,
    StaffReferralIn,
)
from simplepro.sales.selectors import visible_opportunities

partners_router = Router(tags=["partners"])
referrals_router = Router(tags=["partners"])
portal_router = Router(tags=["partner portal"], auth=portal.PartnerSessionAuth())


def referral_out(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.pk, "partner_id": referral.partner_id, "partner": referral.partner.name,
        "customer_name": referral.customer.name, "opportunity_id": referral.opportunity_id,
        "job_id": referral.job_id, "status": referral.status,
        "referred_at": referral.referred_at, "commission_status": referral.commission_status,
        "commission_base": referral.commission_base,
        "commission_amount": referral.commission_amount,
        "commission_rule": referral.commission_rule, "paid_at": referral.paid_at,
        "payment_reference": referral.payment_reference,
    }  # fmt: skip


def lead_fields(payload: ReferralIn | StaffReferralIn) -> dict[str, Any]:
    return payload.model_dump(exclude={"notes", "partner_id", "opportunity_id"})


def _partner(partner_id: UUID) -> Partner:
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        raise NotFound("partner")
    return partner


# --- the office ------------------------------------------------------------------------


@partners_router.get("", response={200: list[PartnerOut], **PROBLEM})
def partner_list(request: HttpRequest) -> list[Partner]:
    require(request, "referrals.view")
    return list(Partner.objects.all())


@partners_router.post("", response={201: PartnerOut, **PROBLEM})
def partner_create(request: HttpRequest, payload: PartnerIn) -> Status[Partner]:
    user = require(request, "partners.manage")
    return Status(201, services.partner_save(actor=user, partner=None, data=payload.model_dump()))


@partners_router.get("/{partner_id}", response={200: PartnerOut, **PROBLEM})
def partner_detail(request: HttpRequest, partner_id: UUID) -> Partner:
    require(request, "referrals.view")
    return _partner(partner_id)


@partners_router.patch("/{partner_id}", response={200: PartnerOut, **PROBLEM})
def partner_update(request: HttpRequest, partner_id: UUID, payload: PartnerPatch) -> Partner:
    user = require(request, "partners.manage")
    changes = payload.model_dump(exclude_unset=True)
    reject_nulls(changes, nullable=frozenset({"commission_rate", "commission_flat"}))
    return services.partner_save(actor=user, partner=_partner(partner_id), data=changes)


@partners_router.get("/{partner_id}/accounts", response={200: list[AccountOut], **PROBLEM})
def account_list(request: HttpRequest, partner_id: UUID) -> list[PartnerAccount]:
    require(request, "partners.manage")
    return list(_partner(partner_id).accounts.all())


@partners_router.post("/{partner_id}/accounts", response={201: AccountOut, **PROBLEM})
def account_create(
    request: HttpRequest, partner_id: UUID, payload: AccountIn
) -> Status[PartnerAccount]:
    """Portal access for someone at the partner (they sign in with this e-mail)."""
    user = require(request, "partners.manage")
    account = services.account_create(
        actor=user, partner=_partner(partner_id), name=payload.name, email=payload.email,
        password=payload.password,
    )  # fmt: skip
    return Status(201, account)


@referrals_router.get("", response={200: list[ReferralOut], **PROBLEM})
def referral_list(
    request: HttpRequest, partner_id: UUID | None = None, commission: str | None = None
) -> list[dict[str, Any]]:
    """The newest 200 referrals; `commission=pending` for what is still to pay."""
    user = require(request, "referrals.view")
    referrals = selectors.visible_referrals(viewer=user)
    if partner_id:
        referrals = referrals.filter(partner_id=partner_id)
    if commission:
        referrals = referrals.filter(commission_status=commission)
    return [referral_out(r) for r in referrals[:200]]


@referrals_router.post("", response={201: ReferralOut, **PROBLEM})
def referral_create(request: HttpRequest, payload: StaffReferralIn) -> Status[dict[str, Any]]:
    """A referral a partner phoned or e-mailed in, entered by the office."""
    user = require(request, "referrals.enter")
    partner = _partner(payload.partner_id)
    if payload.opportunity_id is not None:
        opportunity = visible_opportunities(viewer=user).filter(pk=payload.opportunity_id).first()
        if opportunity is None:
            raise NotFound("opportunity")
        referral = services.referral_attach(partner=partner, opportunity=opportunity, actor=user)
    else:
        if not payload.name.strip():
            raise invalid("name", "required", "A new customer needs a name.")
        referral = services.referral_create(
            partner=partner, fields=lead_fields(payload), notes=payload.notes, actor=user
        )
    return Status(201, referral_out(referral))


@referrals_router.post("/{referral_id}/commission-paid", response={200: ReferralOut, **PROBLEM})
def commission_paid(request: HttpRequest, referral_id: UUID, payload: PaidIn) -> dict[str, Any]:
    """Once: a second payment is a 409 saying when it was paid."""
    user = require(request, "commissions.pay")
    referral = selectors.visible_referrals(viewer=user).filter(pk=referral_id).first()
    if referral is None:
        raise NotFound("referral")
    paid = services.commission_pay(
        actor=user, referral=referral, reference=payload.reference, amount=payload.amount
    )
    return referral_out(Referral.objects.select_related("partner", "customer").get(pk=paid.pk))


# --- the partners' own portal ----------------------------------------------------------


@portal_router.post("/login", auth=None, response={200: PortalMeOut, **PROBLEM})
def portal_login(request: HttpRequest, payload: PortalLoginIn) -> dict[str, Any]:
    account = portal.portal_sign_in(
        request, email=payload.email, password=payload.password, ip=client_ip(request)
    )
    return _me(account)


def _me(account: PartnerAccount) -> dict[str, Any]:
    totals = selectors.commission_totals(selectors.partner_referrals(account.partner))
    return {"account": account, "partner": account.partner.name,
            "commissions_pending": totals["pending"], "commissions_paid": totals["paid"]}  # fmt: skip


def _account(request: HttpRequest) -> PartnerAccount:
    account = request.auth  # type: ignore[attr-defined]
    assert isinstance(account, PartnerAccount)
    return account


@portal_router.get("/me", response={200: PortalMeOut, **PROBLEM})
def portal_me(request: HttpRequest) -> dict[str, Any]:
    return _me(_account(request))


@portal_router.post("/logout", response={204: None, **PROBLEM})
def portal_logout(request: HttpRequest) -> Status[None]:
    portal.portal_sign_out(request)
    return Status(204, None)


@portal_router.get("/referrals", response={200: list[ReferralOut], **PROBLEM})
def portal_referrals(request: HttpRequest) -> list[dict[str, Any]]:
    account = _account(request)
    return [referral_out(r) for r in
            selectors.partner_referrals(account.partner).select_related("partner")[:500]]  # fmt: skip


@portal_router.post("/referrals", response={201: ReferralOut, **PROBLEM})
def portal_refer(request: HttpRequest, payload: ReferralIn) -> Status[dict[str, Any]]:
    """A new customer from the partner: it enters the pipeline with the partner attached."""
    account = _account(request)
    referral = services.referral_create(
        partner=account.partner, fields=lead_fields(payload), notes=payload.notes,
        account=account,
    )  # fmt: skip
    return Status(201, referral_out(referral))
