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


class AccessTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        claims: dict[str, Any] | None = getattr(request, "jwt_claims", None)
        if claims is None:
            claims = decode_access_token(token)
        if claims is None:
            return None
        session = (
            DeviceSession.objects.select_related("user")
            .filter(
                pk=claims["sid"],
                user_id=claims["sub"],
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
                user__is_active=True,
            )
            .first()
        )
        if session is None:
            return None
        session_touch(session)
        request.device_session = session  # type: ignore[attr-defined]
        return session.user
