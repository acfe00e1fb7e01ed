"""Every write about users, sessions and the company. Views, the API and commands call these."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from simplepro.accounts.models import Company, DeviceSession, RefreshToken, Role, User
from simplepro.accounts.permissions import may_manage_role
from simplepro.accounts.session_cache import sessions_forget
from simplepro.accounts.tokens import hash_refresh_token, issue_access_token, new_refresh_token
from simplepro.audit.services import audit_record, field_changes
from simplepro.core import metrics
from simplepro.core.context import memo_set, memoized
from simplepro.core.events import close_sockets_on_commit
from simplepro.core.problems import Conflict, Forbidden, ProblemError, invalid
from simplepro.core.ratelimit import counter_store

# --- Login and sessions ------------------------------------------------------------------

LOGIN_WINDOW_SECONDS = 60
INVALID_CREDENTIALS = "Invalid username or password."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session: DeviceSession


def _window(now: float) -> int:
    return int(now // LOGIN_WINDOW_SECONDS)


def _login_keys(username: str, ip: str, now: float, scope: str = "login") -> tuple[str, str]:
    window = _window(now)
    return f"{scope}:acct:{username.lower()}:{ip}:{window}", f"{scope}:ip:{ip}:{window}"


def login_failure_count(username: str, ip: str, *, scope: str = "login") -> None:
    """Count a failed sign-in of `username` from `ip` (per account and address, per
    minute). `scope` keeps other principals' sign-ins (partners) apart from staff's."""
    now = timezone.now().timestamp()
    account_key, ip_key = _login_keys(username, ip, now, scope)
    counter_store().hit(
        [(account_key, LOGIN_WINDOW_SECONDS + 1), (ip_key, LOGIN_WINDOW_SECONDS + 1)]
    )
    metrics.LOGINS.labels("failure").inc()


def login_lockout_refuse(username: str, ip: str, *, scope: str = "login") -> None:
    """429 with Retry-After when too many sign-ins failed lately."""
    now = timezone.now().timestamp()
    account_key, ip_key = _login_keys(username, ip, now, scope)
    account_failures, ip_failures = counter_store().peek([account_key, ip_key])
    if (
        account_failures >= settings.LOGIN_FAILURES_PER_ACCOUNT
        or ip_failures >= settings.LOGIN_FAILURES_PER_IP
    ):
        retry_after = max(1, int((_window(now) + 1) * LOGIN_WINDOW_SECONDS - now) + 1)
        metrics.RATE_LIMITED.labels("login").inc()
        raise ProblemError(
            429,
            "Too many failed logins. Try again later.",
            headers={"Retry-After": str(retry_after)},
        )


def _find_login_user(username: str) -> User | None:
    """Username or e-mail, case-insensitively."""
    field = "email" if "@" in username else "username"
    return User.objects.annotate(key=Lower(field)).filter(key=username.strip().lower()).first()


def credentials_check(*, username: str, password: str, ip: str) -> User:
    """The active user these credentials belong to, or a 401/429 ProblemError.

    Failures are counted per account+IP and per IP; a success clears the account counter.
    """
    login_lockout_refuse(username, ip)
    candidate = _find_login_user(username)
    if candidate is not None:
        user = authenticate(username=candidate.username, password=password)
    else:
        # Hash anyway, so the answer takes as long as for a real account: response time
        # must not tell an attacker which usernames exist.
        User().set_password(password)
        user = None
    if not isinstance(user, User):
        login_failure_count(username, ip)
        with transaction.atomic():
            audit_record(
                actor=candidate,
                action="login_failed",
                entity_type="user",
                entity_id=candidate.pk if candidate else "",
                changes={"username": {"before": None, "after": username[:150]}},
                ip_address=ip,
            )
        raise ProblemError(401, INVALID_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
    counter_store().clear(_login_keys(username, ip, timezone.now().timestamp())[0])
    metrics.LOGINS.labels("success").inc()
    return user


def _new_session(*, user: User, kind: str, user_agent: str, ip: str, ttl: int) -> DeviceSession:
    now = timezone.now()
    return DeviceSession.objects.create(
        user=user,
        kind=kind,
        user_agent=user_agent[:300],
        ip_address=ip or None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )


def _token_pair(session: DeviceSession) -> TokenPair:
    raw, token_hash = new_refresh_token()
    RefreshToken.objects.create(session=session, token_hash=token_hash)
    access, expires_in = issue_access_token(
        user_id=str(session.user_id), session_id=str(session.id), role=session.user.role
    )
    return TokenPair(access, raw, expires_in, session)


def auth_login(*, username: str, password: str, ip: str, user_agent: str) -> TokenPair:
    """API login: a new device session with an access token and a refresh token."""
    user = credentials_check(username=username, password=password, ip=ip)
    with transaction.atomic(durable=True):
        session = _new_session(
            user=user,
            kind=DeviceSession.Kind.API,
            user_agent=user_agent,
            ip=ip,
            ttl=settings.REFRESH_TOKEN_TTL_SECONDS,
        )
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        audit_record(
            actor=user, action="login", entity_type="user", entity_id=user.pk, ip_address=ip
        )
        return _token_pair(session)


def web_session_start(*, user: User, ip: str, user_agent: str) -> DeviceSession:
    """Browser login (Django session): recorded as a device session so it can be revoked."""
    with transaction.atomic(durable=True):
        session = _new_session(
            user=user,
            kind=DeviceSession.Kind.WEB,
            user_agent=user_agent,
            ip=ip,
            ttl=settings.SESSION_COOKIE_AGE,
        )
        audit_record(
            actor=user,
            action="login",
            entity_type="user",
            entity_id=user.pk,
            changes={"via": {"before": None, "after": "web"}},
            ip_address=ip,
        )
        return session


REFRESH_REJECTED = "The refresh token is invalid, expired or revoked."


def auth_refresh(*, refresh_token: str, ip: str) -> TokenPair:
    """Rotate a refresh token. A token used a second time means it was stolen: the whole
    session is revoked, so both the thief and the victim must sign in again."""
    with transaction.atomic(durable=True):
        token = (
            RefreshToken.objects.select_related("session__user")
            .filter(token_hash=hash_refresh_token(refresh_token))
            .first()
        )
        if token is None:
            raise ProblemError(401, REFRESH_REJECTED, headers={"WWW-Authenticate": "Bearer"})
        session = token.session
        if not session.is_active() or not session.user.is_active:
            raise ProblemError(401, REFRESH_REJECTED, headers={"WWW-Authenticate": "Bearer"})
        # Claim the token: only one concurrent refresh can flip rotated_at from NULL.
        claimed = RefreshToken.objects.filter(pk=token.pk, rotated_at__isnull=True).update(
            rotated_at=timezone.now()
        )
        if claimed:
            DeviceSession.objects.filter(pk=session.pk).update(
                last_seen_at=timezone.now(), ip_address=ip or None
            )
            return _token_pair(session)
        # Reuse: revoke, and let the revocation commit before refusing.
        _revoke(session, reason="refresh token reused", actor=None, ip=ip)
    raise ProblemError(401, REFRESH_REJECTED, headers={"WWW-Authenticate": "Bearer"})


def _revoke(session: DeviceSession, *, reason: str, actor: User | None, ip: str | None) -> None:
    updated = DeviceSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    if updated:
        sessions_forget([session.pk])
        close_sockets_on_commit([session.pk])
        audit_record(
            actor=actor,
            action="session_revoked",
            entity_type="user",
            entity_id=session.user_id,
            changes={"session": {"before": str(session.pk), "after": reason}},
            ip_address=ip,
        )


def session_revoke(*, session: DeviceSession, actor: User, reason: str, ip: str = "") -> None:
    with transaction.atomic(durable=True):
        _revoke(session, reason=reason, actor=actor, ip=ip or None)


def _revoke_all(user: User, *, reason: str, keep: DeviceSession | None = None) -> int:
    sessions = DeviceSession.objects.filter(user=user, revoked_at__isnull=True)
    if keep is not None:
        sessions = sessions.exclude(pk=keep.pk)
    revoked = list(sessions.values_list("pk", flat=True))
    sessions_forget(revoked)
    close_sockets_on_commit(revoked)
    return sessions.update(revoked_at=timezone.now(), revoked_reason=reason)


def session_touch(session: DeviceSession) -> None:
    """Record activity at most once a minute, so reads do not become writes."""
    now = timezone.now()
    if now - session.last_seen_at > timedelta(seconds=60):
        DeviceSession.objects.filter(pk=session.pk).update(last_seen_at=now)
        session.last_seen_at = now


# --- Users -------------------------------------------------------------------------------

USER_AUDIT_FIELDS = ("username", "email", "first_name", "last_name", "role", "is_active", "phone")


def _user_snapshot(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in USER_AUDIT_FIELDS}


def _check_password(password: str, user: User | None, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ProblemError(
            422,
            "The password is not strong enough.",
            errors=[{"field": field, "code": "weak_password", "message": m} for m in exc.messages],
        ) from None


def _require_manage(actor: User, role: str) -> None:
    if not may_manage_role(actor, role):
        raise Forbidden("Only a super administrator may manage super administrators.")


def user_create(
    *,
    actor: User | None,
    username: str,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
) -> User:
    """Create a user. Without a password, the user is invited: an e-mail link sets one.

    `actor` None means the command line (an operator on the server), trusted by definition.
    """
    if role not in Role.values:
        raise invalid("role", "invalid_choice", f"Unknown role {role!r}.")
    if actor is not None:
        _require_manage(actor, role)
    username = username.strip()
    email = email.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"A user named {username!r} already exists.")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(f"A user with the e-mail {email!r} already exists.")
    candidate = User(
        username=username, email=email, role=role, first_name=first_name, last_name=last_name
    )
    if password is not None:
        _check_password(password, candidate)
    with transaction.atomic(durable=True):
        user = User.objects.create_user(
            username=username,
            email=email,
            password=password,
            role=role,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            is_staff=False,
        )
        audit_record(
            actor=actor,
            action="create",
            entity_type="user",
            entity_id=user.pk,
            changes=field_changes({}, _user_snapshot(user), USER_AUDIT_FIELDS),
        )
        if password is None:
            transaction.on_commit(lambda: _send_password_link(user, invitation=True))
    metrics.USERS_CREATED.inc()
    return user


def user_update(*, actor: User, user: User, **fields: Any) -> User:
    """Change profile fields, role or active flag; deactivation revokes every session."""
    allowed = {"first_name", "last_name", "email", "phone", "role", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise invalid(sorted(unknown)[0], "unknown_field", "This field cannot be changed here.")
    _require_manage(actor, user.role)
    if "role" in fields:
        if fields["role"] not in Role.values:
            raise invalid("role", "invalid_choice", f"Unknown role {fields['role']!r}.")
        _require_manage(actor, fields["role"])
    if user.pk == actor.pk and ("role" in fields or fields.get("is_active") is False):
        raise Forbidden("You cannot change your own role or deactivate yourself.")
    if "email" in fields and (
        User.objects.filter(email__iexact=fields["email"]).exclude(pk=user.pk).exists()
    ):
        raise Conflict(f"A user with the e-mail {fields['email']!r} already exists.")
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().get(pk=user.pk)
        before = _user_snapshot(user)
        for name, value in fields.items():
            setattr(user, name, value)
        user.save()
        changes = field_changes(before, _user_snapshot(user), USER_AUDIT_FIELDS)
        if changes:
            action = "role_change" if "role" in changes else "update"
            if "is_active" in changes:
                action = "deactivate" if not user.is_active else "reactivate"
            audit_record(
                actor=actor, action=action, entity_type="user", entity_id=user.pk, changes=changes
            )
        if not user.is_active:
            _revoke_all(user, reason="user deactivated")
    return user


def password_change(
    *, user: User, current_password: str, new_password: str, keep: DeviceSession | None
) -> None:
    """Change one's own password; every other session of the user is signed out."""
    if not user.check_password(current_password):
        raise invalid("current_password", "incorrect", "The current password is not correct.")
    _check_password(new_password, user, field="new_password")
    with transaction.atomic(durable=True):
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _revoke_all(user, reason="password changed", keep=keep)
        audit_record(actor=user, action="password_change", entity_type="user", entity_id=user.pk)


def password_reset_complete(*, user: User) -> None:
    """After a reset link set a new password: nobody holding an old session stays in."""
    with transaction.atomic(durable=True):
        _revoke_all(user, reason="password reset")
        audit_record(actor=user, action="password_reset", entity_type="user", entity_id=user.pk)


def password_reset_request(*, actor: User | None, user: User) -> None:
    """Send `user` a link to set a new password (an admin's action, or the user's own)."""
    if actor is not None and actor.pk != user.pk:
        _require_manage(actor, user.role)
    with transaction.atomic(durable=True):
        audit_record(
            actor=actor, action="password_reset_sent", entity_type="user", entity_id=user.pk
        )
        transaction.on_commit(lambda: _send_password_link(user, invitation=False))


def password_reset_request_by_email(*, email: str) -> None:
    """Self-service: always succeeds outwardly, so it cannot reveal who has an account."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is not None and user.has_usable_password():
        password_reset_request(actor=None, user=user)


def _send_password_link(user: User, *, invitation: bool) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.PUBLIC_URL + reverse(
        "password-reset-confirm", kwargs={"uidb64": uid, "token": token}
    )
    company = Company.objects.filter(pk=Company.SINGLETON_ID).first()
    name = company.name if company else "SimplePro"
    if invitation:
        subject = f"You are invited to {name} on SimplePro"
        body = f"Hello {user.display_name},\n\nSet your password to sign in:\n{link}\n"
    else:
        subject = f"Reset your {name} SimplePro password"
        body = (
            f"Hello {user.display_name},\n\nSet a new password here:\n{link}\n\n"
            "If you did not ask for this, ignore this message."
        )
    send_mail(subject, body, None, [user.email])


# --- Company -----------------------------------------------------------------------------

COMPANY_FIELDS = Company.EDITABLE_FIELDS
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"RIFF": "webp"}
LOGO_MAX_BYTES = 1024 * 1024


COMPANY_MEMO = "company"


def company_get() -> Company:
    """The company's settings, read once per request (core.context.memoized): a page asked
    for them up to five times, a query each. Callers read it; company_update writes."""
    return memoized(COMPANY_MEMO, _company_load)


def _company_load() -> Company:
    company, _ = Company.objects.get_or_create(
        pk=Company.SINGLETON_ID, defaults={"name": "My Moving Company"}
    )
    return company


def _validate_company(fields: dict[str, Any]) -> None:
    if "time_zone" in fields:
        try:
            zoneinfo.ZoneInfo(fields["time_zone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise invalid("time_zone", "invalid", "Not a known IANA time zone.") from None
    if "phone_region" in fields and fields["phone_region"].upper() not in (
        phonenumbers.SUPPORTED_REGIONS
    ):
        raise invalid("phone_region", "invalid", "Not a known two-letter region code.")
    if "currency" in fields and not (len(fields["currency"]) == 3 and fields["currency"].isalpha()):
        raise invalid("currency", "invalid", "Use a three-letter ISO 4217 code such as USD.")
    if "name" in fields and not str(fields["name"]).strip():
        raise invalid("name", "blank", "The company needs a name.")


def company_update(
    *, actor: User | None, logo: UploadedFile[Any] | None = None, **fields: Any
) -> Company:
    unknown = set(fields) - set(COMPANY_FIELDS)
    if unknown:
        raise invalid(sorted(unknown)[0], "unknown_field", "Not a company field.")
    for key in ("phone_region", "currency", "country"):
        if key in fields:
            fields[key] = str(fields[key]).upper()
    _validate_company(fields)
    if logo is not None:
        _validate_logo(logo)
    with transaction.atomic(durable=True):
        _company_load()
        company = Company.objects.select_for_update().get(pk=Company.SINGLETON_ID)
        before = {name: getattr(company, name) for name in COMPANY_FIELDS}
        for name, value in fields.items():
            setattr(company, name, value)
        changes = field_changes(before, fields, fields.keys())
        if logo is not None:
            old_logo = company.logo.name
            company.logo.save(logo.name or "logo", logo, save=False)
            changes["logo"] = {"before": old_logo or None, "after": company.logo.name}
        company.save()
        if changes:
            audit_record(
                actor=actor,
                action="update",
                entity_type="company",
                entity_id=company.pk,
                changes=changes,
            )
    memo_set(COMPANY_MEMO, company)
    return company


def _validate_logo(logo: UploadedFile[Any]) -> None:
    if (logo.size or 0) > LOGO_MAX_BYTES:
        raise invalid("logo", "too_large", "The logo must be at most 1 MB.")
    head = logo.read(12)
    logo.seek(0)
    if not any(head.startswith(magic) for magic in LOGO_TYPES):
        raise invalid("logo", "invalid_type", "The logo must be a PNG, JPEG or WebP image.")
