"""Browser-session revocation, the company time zone for pages, and API rate limits."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from simplepro.accounts.auth import active_session_cached
from simplepro.accounts.services import company_get
from simplepro.accounts.tokens import bearer_token, decode_access_token
from simplepro.core import metrics
from simplepro.core.clientip import client_ip
from simplepro.core.problems import problem_response
from simplepro.core.ratelimit import api_tiers, check_tiers

GetResponse = Callable[[HttpRequest], HttpResponse]
WEB_SESSION_KEY = "device_session_id"


class WebSessionMiddleware:
    """Logs a browser out as soon as its device session is revoked (by logout elsewhere, an
    admin's deactivation, a password change). A session without one is refused: fail closed."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            session_id = request.session.get(WEB_SESSION_KEY)
            device = (
                active_session_cached(session_id=session_id, user_id=request.user.pk)
                if session_id
                else None
            )
            if device is None:
                logout(request)
            else:
                request.device_session = device  # type: ignore[attr-defined]
        return self.get_response(request)


class CompanyTimeZoneMiddleware:
    """Pages show times in the company's time zone; storage and the API stay in UTC."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") or not request.user.is_authenticated:
            return self.get_response(request)
        try:
            timezone.activate(zoneinfo.ZoneInfo(company_get().time_zone or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ApiRateLimitMiddleware:
    """Per-user (per-IP when anonymous) tiers on every /api call; X-RateLimit-* headers on
    every /api response name the tightest tier; 429 with Retry-After beyond it."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        token = bearer_token(request.headers.get("Authorization", ""))
        claims = decode_access_token(token) if token else None
        request.jwt_claims = claims  # type: ignore[attr-defined]
        identity = f"user:{claims['sub']}" if claims else f"ip:{client_ip(request)}"
        decision = check_tiers(identity, api_tiers())
        if decision.allowed:
            response = self.get_response(request)
        else:
            metrics.RATE_LIMITED.labels("api").inc()
            response = problem_response(
                429,
                f"Too many requests: at most {decision.limit} in this window.",
                headers={"Retry-After": str(decision.reset)},
            )
        response["X-RateLimit-Limit"] = str(decision.limit)
        response["X-RateLimit-Remaining"] = str(decision.remaining)
        response["X-RateLimit-Reset"] = str(decision.reset)
        return response
