"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed).

SIMPLEPRO_JWT_KEYS is a list of {kid, secret}: the first signs, every one verifies, so adding a
new first key rotates signing without logging anyone out.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt
from django.conf import settings

ALGORITHM = "HS256"
ISSUER = "simplepro"


def issue_access_token(*, user_id: str, session_id: str, role: str) -> tuple[str, int]:
    key = settings.JWT_KEYS[0]
    now = int(time.time())
    ttl = settings.ACCESS_TOKEN_TTL_SECONDS
    claims = {
        "iss": ISSUER,
        "sub": user_id,
        "sid": session_id,
        "role": role,
        "iat": now,
        "exp": now + ttl,
        "typ": "access",
    }
    token = jwt.encode(claims, key["secret"], algorithm=ALGORITHM, headers={"kid": key["kid"]})
    return token, ttl


def decode_access_token(token: str) -> dict[str, Any] | None:
    """The verified claims, or None for anything expired, forged, malformed or unknown."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    secret = next((k["secret"] for k in settings.JWT_KEYS if k["kid"] == kid), None)
    if secret is None:
        return None
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid"]},
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("typ") == "access" else None


def bearer_token(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def new_refresh_token() -> tuple[str, str]:
    """(token for the client, hash to store)."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_refresh_token(raw)


def hash_refresh_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
