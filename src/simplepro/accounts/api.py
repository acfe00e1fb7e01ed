"""Auth, users and company endpoints: parse, authorise, call a service, return a schema."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Router, Status
from ninja.files import UploadedFile

from simplepro.accounts import selectors, services
from simplepro.accounts.models import Company, DeviceSession, User
from simplepro.accounts.permissions import discount_limits
from simplepro.accounts.policies import required_signoffs
from simplepro.accounts.schemas import (
    CompanyOut,
    CompanyUpdateIn,
    LoginIn,
    PasswordChangeIn,
    PasswordResetIn,
    RefreshIn,
    SessionOut,
    TokenOut,
    UserCreateIn,
    UserOut,
    UserPageOut,
    UserUpdateIn,
)
from simplepro.core.api import (
    DEFAULT_PAGE_SIZE,
    PROBLEM,
    actor,
    paginate,
    reject_nulls,
    require,
)
from simplepro.core.clientip import client_ip
from simplepro.core.problems import NotFound

auth_router = Router(tags=["auth"])
users_router = Router(tags=["users"])
company_router = Router(tags=["company"])


def _tokens(pair: services.TokenPair) -> dict[str, Any]:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "bearer",
        "expires_in": pair.expires_in,
    }


@auth_router.post("/login", auth=None, response={200: TokenOut, **PROBLEM})
def login(request: HttpRequest, payload: LoginIn) -> dict[str, Any]:
    pair = services.auth_login(
        username=payload.username,
        password=payload.password,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return _tokens(pair)


@auth_router.post("/refresh", auth=None, response={200: TokenOut, **PROBLEM})
def refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, Any]:
    return _tokens(
        services.auth_refresh(refresh_token=payload.refresh_token, ip=client_ip(request))
    )


@auth_router.post("/logout", response={204: None, **PROBLEM})
def logout(request: HttpRequest) -> Status[None]:
    services.session_revoke(
        session=request.device_session,  # type: ignore[attr-defined]
        actor=actor(request),
        reason="logout",
        ip=client_ip(request),
    )
    return Status(204, None)


@auth_router.get("/me", response={200: UserOut, **PROBLEM})
def me(request: HttpRequest) -> User:
    return actor(request)


@auth_router.post("/password", response={204: None, **PROBLEM})
def change_password(request: HttpRequest, payload: PasswordChangeIn) -> Status[None]:
    services.password_change(
        user=actor(request),
        current_password=payload.current_password,
        new_password=payload.new_password,
        keep=request.device_session,  # type: ignore[attr-defined]
    )
    return Status(204, None)


@auth_router.post("/password-reset", auth=None, response={202: None, **PROBLEM})
def request_password_reset(request: HttpRequest, payload: PasswordResetIn) -> Status[None]:
    services.password_reset_request_by_email(email=payload.email)
    return Status(202, None)


def _session_out(session: DeviceSession, current: DeviceSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "kind": session.kind,
        "user_agent": session.user_agent,
        "ip_address": session.ip_address,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "expires_at": session.expires_at,
        "current": session.pk == current.pk,
    }


@auth_router.get("/sessions", response={200: list[SessionOut], **PROBLEM})
def sessions(request: HttpRequest) -> list[dict[str, Any]]:
    current = request.device_session  # type: ignore[attr-defined]
    return [_session_out(s, current) for s in selectors.active_sessions(user=actor(request))]


@auth_router.delete("/sessions/{session_id}", response={204: None, **PROBLEM})
def end_session(request: HttpRequest, session_id: UUID) -> Status[None]:
    user = actor(request)
    session = selectors.active_sessions(user=user).filter(pk=session_id).first()
    if session is None:
        raise NotFound("session")
    services.session_revoke(
        session=session, actor=user, reason="ended by user", ip=client_ip(request)
    )
    return Status(204, None)


# --- users ---------------------------------------------------------------------------------


@users_router.get("", response={200: UserPageOut, **PROBLEM})
def list_users(
    request: HttpRequest,
    search: str = "",
    role: str = "",
    is_active: bool | None = None,
    ordering: str = "username",
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    require(request, "users.view")
    users = selectors.user_list(search=search, role=role, is_active=is_active, ordering=ordering)
    return paginate(request, users, page, page_size)


@users_router.post("", response={201: UserOut, **PROBLEM})
def create_user(request: HttpRequest, payload: UserCreateIn) -> Status[User]:
    user = services.user_create(actor=require(request, "users.manage"), **payload.dict())
    return Status(201, user)


@users_router.get("/{user_id}", response={200: UserOut, **PROBLEM})
def get_user(request: HttpRequest, user_id: UUID) -> User:
    require(request, "users.view")
    return get_object_or_404(User, pk=user_id)


@users_router.patch("/{user_id}", response={200: UserOut, **PROBLEM})
def update_user(request: HttpRequest, user_id: UUID, payload: UserUpdateIn) -> User:
    manager = require(request, "users.manage")
    user = get_object_or_404(User, pk=user_id)
    changes = payload.dict(exclude_unset=True)
    reject_nulls(changes)
    return services.user_update(actor=manager, user=user, **changes)


@users_router.post("/{user_id}/password-reset", response={202: None, **PROBLEM})
def send_password_reset(request: HttpRequest, user_id: UUID) -> Status[None]:
    manager = require(request, "users.manage")
    services.password_reset_request(actor=manager, user=get_object_or_404(User, pk=user_id))
    return Status(202, None)


# --- company -------------------------------------------------------------------------------


def _company_out(company: Company) -> dict[str, Any]:
    data = {name: getattr(company, name) for name in services.COMPANY_FIELDS}
    data["discount_limits"] = discount_limits(company)
    data["required_signoffs"] = required_signoffs(company)
    data["logo_url"] = company.logo.url if company.logo else None
    data["updated_at"] = company.updated_at
    return data


@company_router.get("", response={200: CompanyOut, **PROBLEM})
def get_company(request: HttpRequest) -> dict[str, Any]:
    require(request, "company.view")
    return _company_out(services.company_get())


@company_router.patch("", response={200: CompanyOut, **PROBLEM})
def update_company(request: HttpRequest, payload: CompanyUpdateIn) -> dict[str, Any]:
    admin = require(request, "company.change")
    fields = payload.dict(exclude_unset=True)
    reject_nulls(fields)
    if "discount_limits" in fields:  # stored as text: JSON has no decimals
        fields["discount_limits"] = {str(r): str(v) for r, v in fields["discount_limits"].items()}
    return _company_out(services.company_update(actor=admin, **fields))


@company_router.post("/logo", response={200: CompanyOut, **PROBLEM})
def upload_logo(request: HttpRequest, logo: File[UploadedFile]) -> dict[str, Any]:
    admin = require(request, "company.change")
    return _company_out(services.company_update(actor=admin, logo=logo))
