"""Bearer authentication for the API: a valid access token whose device session is still
active and whose user is still active. Logout and deactivation therefore take effect at once,
not when the token expires."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from simplepro.accounts.models import DeviceSession, User
from simplepro.accounts.services import session_touch
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


def session_for_token(token: str, claims: dict[str, Any] | None = None) -> DeviceSession | None:
    """The active device session an access token speaks for (API calls and sockets alike)."""
    claims = claims if claims is not None else decode_access_token(token)
    if claims is None:
        return None
    return active_session(session_id=claims["sid"], user_id=claims["sub"])


class AccessTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        claims: dict[str, Any] | None = getattr(request, "jwt_claims", None)
        session = session_for_token(token, claims)
        if session is None:
            return None
        session_touch(session)
        request.device_session = session  # type: ignore[attr-defined]
        return session.user
