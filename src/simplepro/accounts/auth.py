"""Bearer authentication for the API: a valid access token whose device session is still
active and whose user is still active. Logout and deactivation therefore take effect at once,
not when the token expires (the cached sessions of accounts.session_cache are tombstoned by
every such change)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from simplepro.accounts.models import DeviceSession, User
from simplepro.accounts.services import session_touch
from simplepro.accounts.session_cache import session_cached, session_keep
from simplepro.accounts.tokens import decode_access_token


def active_session(*, session_id: Any, user_id: Any) -> DeviceSession | None:
    """The device session, with its user, while both are still active; else None."""
    return (
        DeviceSession.objects.select_related("user")
        .filter(
            pk=session_id,
            user_id=user_id,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


def active_session_cached(*, session_id: Any, user_id: Any) -> DeviceSession | None:
    """active_session(), from the cache while it holds the session (session_cache). Read
    from the database, the session's activity is recorded; so "last seen" lags by up to
    the cache's minute plus session_touch's."""
    cached, may_keep = session_cached(session_id)
    if cached is not None:
        fresh = str(cached.user_id) == str(user_id) and cached.expires_at > timezone.now()
        return cached if fresh else None
    session = active_session(session_id=session_id, user_id=user_id)
    if session is not None:
        session_touch(session)
        if may_keep:
            session_keep(session)
    return session


def session_for_token(token: str, claims: dict[str, Any] | None = None) -> DeviceSession | None:
    """The active device session an access token speaks for (API calls and sockets alike)."""
    claims = claims if claims is not None else decode_access_token(token)
    if claims is None:
        return None
    return active_session_cached(session_id=claims["sid"], user_id=claims["sub"])


class AccessTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        claims: dict[str, Any] | None = getattr(request, "jwt_claims", None)
        session = session_for_token(token, claims)
        if session is None:
            return None
        request.device_session = session  # type: ignore[attr-defined]
        return session.user
