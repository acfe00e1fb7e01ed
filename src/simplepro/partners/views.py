"""The partner pages. For the office (under /sales/): partners with their commission terms
and portal accounts, and referrals with the commissions to pay. For partners (under
/partners/portal/, their own sign-in): their referrals' progress and commissions, and a
form to refer a customer."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views import View
from django.views.decorators.http import require_POST

from simplepro.accounts.models import User
from simplepro.accounts.permissions import has_permission
from simplepro.accounts.services import company_get
from simplepro.core.clientip import client_ip
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.partners import portal, selectors, services
from simplepro.partners.models import (
    CommissionType,
    Partner,
    PartnerAccount,
    PartnerKind,
    ReferralStatus,
)
from simplepro.sales.models import MoveSize
from simplepro.sales.selectors import visible_opportunities


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _id(raw: Any) -> UUID:
    """A posted id; anything that is not one is a 404 (not a 500)."""
    try:
        return UUID(str(raw))
    except ValueError:
        raise Http404("No such record.") from None


def _tiers(text: str) -> list[dict[str, str | None]]:
    """ "2000 5" per line ("- 7.5" or just "7.5" for the open-ended last one)."""
    tiers: list[dict[str, str | None]] = []
    for line in text.splitlines():
        parts = line.replace(",", " ").split()
        if len(parts) == 1:
            tiers.append({"up_to": None, "rate": parts[0]})
        elif len(parts) >= 2:
            tiers.append({"up_to": None if parts[0] in ("-", "*") else parts[0], "rate": parts[1]})
    return tiers


def partner_data(post: QueryDict) -> dict[str, Any]:
    return {
        "name": post.get("name", ""), "kind": post.get("kind", "other"),
        "contact_name": post.get("contact_name", ""), "email": post.get("email", ""),
        "phone": post.get("phone", ""), "notes": post.get("notes", ""),
        "is_active": bool(post.get("is_active")),
        "commission_type": post.get("commission_type", "percentage"),
        "commission_rate": post.get("commission_rate") or None,
        "commission_flat": post.get("commission_flat") or None,
        "commission_tiers": _tiers(str(post.get("commission_tiers", ""))),
    }  # fmt: skip


def _choices() -> dict[str, Any]:
    return {"kinds": PartnerKind.choices, "commission_types": CommissionType.choices,
            "currency": company_get().currency}  # fmt: skip


class PartnerListView(PermissionRequiredMixin, View):
    permission = "referrals.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {"partners": Partner.objects.all(), **_choices(),
                   "can_manage": has_permission(_user(request), "partners.manage")}  # fmt: skip
        return render(request, "partners/list.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not has_permission(_user(request), "partners.manage"):
            raise Http404
        try:
            partner = services.partner_save(
                actor=_user(request), partner=None, data=partner_data(request.POST)
            )
        except ProblemError as problem:
            messages.error(request, problem.explanation)
            return redirect("partner-list")
        messages.success(request, f"Partner {partner.name} added.")
        return redirect("partner-detail", partner_id=partner.pk)


class PartnerDetailView(PermissionRequiredMixin, View):
    permission = "referrals.view"

    def _partner(self, partner_id: UUID) -> Partner:
        partner = Partner.objects.filter(pk=partner_id).first()
        if partner is None:
            raise Http404("No such partner.")
        return partner

    def get(self, request: HttpRequest, partner_id: UUID) -> HttpResponse:
        partner = self._partner(partner_id)
        referrals = selectors.visible_referrals(viewer=_user(request)).filter(partner=partner)
        context = {
            "partner": partner, "referrals": referrals[:200], **_choices(),
            "accounts": partner.accounts.order_by("email"),
            "tiers_text": "\n".join(f"{t['up_to'] or '-'} {t['rate']}"
                                    for t in partner.commission_tiers),
            "totals": selectors.commission_totals(referrals),
            "can_manage": has_permission(_user(request), "partners.manage"),
        }  # fmt: skip
        return render(request, "partners/detail.html", context)

    def post(self, request: HttpRequest, partner_id: UUID) -> HttpResponse:
        user = _user(request)
        if not has_permission(user, "partners.manage"):
            raise Http404
        partner = self._partner(partner_id)
        post = request.POST
        try:
            if post.get("action") == "account":
                services.account_create(actor=user, partner=partner, name=post.get("name", ""),
                                        email=post.get("email", ""),
                                        password=post.get("password", ""))  # fmt: skip
                messages.success(request, "Portal access given: send them the sign-in page.")
            elif post.get("action") == "account_active":
                account = partner.accounts.filter(pk=_id(post.get("account_id"))).first()
                if account is None:
                    raise Http404
                services.account_set_active(actor=user, account=account,
                                            active=post.get("active") == "1")  # fmt: skip
            else:
                services.partner_save(actor=user, partner=partner, data=partner_data(post))
                messages.success(request, "Partner saved.")
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        return redirect("partner-detail", partner_id=partner.pk)


class ReferralListView(PermissionRequiredMixin, View):
    """Every referral the viewer may see; the commissions to pay first."""

    permission = "referrals.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        referrals = selectors.visible_referrals(viewer=user)
        wanted = request.GET.get("commission", "")
        if wanted:
            referrals = referrals.filter(commission_status=wanted)
        context = {
            "referrals": referrals[:300], "commission": wanted, **_choices(),
            "totals": selectors.commission_totals(selectors.visible_referrals(viewer=user)),
            "partners": Partner.objects.filter(is_active=True),
            "sizes": MoveSize.choices,
            "can_pay": has_permission(user, "commissions.pay"),
            "can_enter": has_permission(user, "referrals.enter"),
        }  # fmt: skip
        return render(request, "partners/referrals.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        post = request.POST
        try:
            if post.get("action") == "paid":
                if not has_permission(user, "commissions.pay"):
                    raise Http404
                referral = selectors.visible_referrals(viewer=user).filter(
                    pk=_id(post.get("referral_id"))).first()  # fmt: skip
                if referral is None:
                    raise Http404
                services.commission_pay(actor=user, referral=referral,
                                        reference=post.get("reference", ""),
                                        amount=_amount(post.get("amount")))  # fmt: skip
                messages.success(request, "Commission marked paid.")
            else:
                if not has_permission(user, "referrals.enter"):
                    raise Http404
                partner = Partner.objects.filter(pk=_id(post.get("partner_id"))).first()
                if partner is None:
                    raise Http404
                services.referral_create(partner=partner, fields=referral_fields(post),
                                         notes=post.get("notes", ""), actor=user)  # fmt: skip
                messages.success(request, "Referral entered: it is in the pipeline.")
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        return redirect("referral-list")


def _amount(raw: Any) -> Decimal | None:
    try:
        return Decimal(str(raw)) if raw else None
    except InvalidOperation:
        return None


def referral_fields(post: QueryDict) -> dict[str, Any]:
    return {name: post.get(name, "").strip() or None for name in
            ("name", "email", "phone", "move_date", "from_postal_code", "to_postal_code",
             "move_size")}  # fmt: skip


@require_POST
def referral_attach_view(request: HttpRequest, opportunity_id: UUID) -> HttpResponse:
    """The opportunity page's "Referred by": tie the move to the partner who sent it."""
    user = _user(request) if isinstance(request.user, User) else None
    if user is None or not has_permission(user, "referrals.enter"):
        raise Http404
    opportunity = visible_opportunities(viewer=user).filter(pk=opportunity_id).first()
    partner = Partner.objects.filter(pk=_id(request.POST.get("partner_id"))).first()
    if opportunity is None or partner is None:
        raise Http404
    try:
        services.referral_attach(partner=partner, opportunity=opportunity, actor=user)
    except ProblemError as problem:
        messages.error(request, problem.explanation)
    else:
        messages.success(request, f"Referred by {partner.name}.")
    return redirect("opportunity-detail", opportunity_id=opportunity.pk)


# --- the partners' portal ---------------------------------------------------------------


def partner_required(view: Any) -> Any:
    """The signed-in partner account as `request.partner_account`, else the portal sign-in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = portal.portal_account(request)
        if account is None:
            return redirect("partner-portal-login")
        request.partner_account = account  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)  # type: ignore[no-any-return]

    return wrapped


def portal_login(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            portal.portal_sign_in(request, email=request.POST.get("email", ""),
                                  password=request.POST.get("password", ""),
                                  ip=client_ip(request))  # fmt: skip
        except ProblemError as problem:
            error = problem.detail
        else:
            return redirect("partner-portal")
    return render(request, "partners/portal_login.html",
                  {"error": error, "company": company_get()}, status=401 if error else 200)  # fmt: skip


@require_POST
def portal_logout(request: HttpRequest) -> HttpResponse:
    portal.portal_sign_out(request)
    return redirect("partner-portal-login")


@partner_required
def portal_home(request: HttpRequest) -> HttpResponse:
    account: PartnerAccount = request.partner_account  # type: ignore[attr-defined]
    referrals = selectors.partner_referrals(account.partner)
    context = {"account": account, "referrals": referrals[:500], "company": company_get(),
               "totals": selectors.commission_totals(referrals),
               "statuses": dict(ReferralStatus.choices), "currency": company_get().currency}  # fmt: skip
    return render(request, "partners/portal_home.html", context)


@partner_required
def portal_refer(request: HttpRequest) -> HttpResponse:
    account: PartnerAccount = request.partner_account  # type: ignore[attr-defined]
    error = ""
    if request.method == "POST":
        try:
            services.referral_create(partner=account.partner,
                                     fields=referral_fields(request.POST),
                                     notes=request.POST.get("notes", ""), account=account)  # fmt: skip
        except ProblemError as problem:
            error = problem.explanation
        else:
            messages.success(request, "Thank you: we will contact them shortly.")
            return redirect("partner-portal")
    return render(request, "partners/portal_refer.html",
                  {"account": account, "error": error, "sizes": MoveSize.choices,
                   "company": company_get(), "data": request.POST}, status=422 if error else 200)  # fmt: skip
