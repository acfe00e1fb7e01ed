"""Signing partners in to their portal: a principal of its own.

A partner account is kept in the Django session under its own key, never as the session's
user: `request.user` stays anonymous, so every staff page sends a partner to the staff
sign-in and every staff API call (bearer tokens only) answers 401. Signing in starts a new
session (whatever was in the old one is gone); turning the account off or changing its
password bumps `session_version`, which ends its sessions at once. Failed sign-ins are
limited per account and address like staff ones, counted apart from them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie

from simplepro.accounts.services import login_failure_count, login_lockout_refuse
from simplepro.audit.services import audit_record
from simplepro.core.problems import ProblemError
from simplepro.partners.models import PartnerAccount

SESSION_KEY = "partner_account"
SCOPE = "partner-login"


def portal_sign_in(request: HttpRequest, *, email: str, password: str, ip: str) -> PartnerAccount:
    email = email.strip().lower()
    login_lockout_refuse(email, ip, scope=SCOPE)
    account = (
        PartnerAccount.objects.select_related("partner")
        .filter(email=email, is_active=True, partner__is_active=True)
        .first()
    )
    if account is None or not account.check_password(password):
        if account is None:
            # Hash anyway: an unknown e-mail must take as long as a wrong password.
            PartnerAccount().set_password(password)
        login_failure_count(email, ip, scope=SCOPE)
        raise ProblemError(401, "Wrong e-mail or password.")
    request.session.flush()
    request.session[SESSION_KEY] = {"id": str(account.pk), "v": account.session_version}
    with transaction.atomic():
        PartnerAccount.objects.filter(pk=account.pk).update(last_login=timezone.now())
        audit_record(actor=None, action="partner_login", entity_type="partner_account",
                     entity_id=account.pk, changes={}, ip_address=ip)  # fmt: skip
    return account


def portal_account(request: HttpRequest) -> PartnerAccount | None:
    """The partner account signed in on this session, while it and its partner are active."""
    held: Any = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(held, dict) or not isinstance(held.get("id"), str):
        return None
    account = (
        PartnerAccount.objects.select_related("partner")
        .filter(pk=held["id"], is_active=True, partner__is_active=True)
        .first()
    )
    if account is None or account.session_version != held.get("v"):
        return None
    return account


def portal_sign_out(request: HttpRequest) -> None:
    request.session.flush()


class PartnerSessionAuth(APIKeyCookie):
    """The partner portal's API: the session cookie of a signed-in partner, with Django's
    CSRF check (a cookie is sent by the browser on its own)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> PartnerAccount | None:
        return portal_account(request)
