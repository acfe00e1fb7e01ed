"""Cross-cutting middleware: request ids, access log, HTTP metrics, security headers and
body-size limits. Each class does one job."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from simplepro import __version__
from simplepro.core import metrics
from simplepro.core.clientip import client_ip
from simplepro.core.context import request_id_var, request_memo
from simplepro.core.problems import problem_response

log = structlog.get_logger("simplepro.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

GetResponse = Callable[[HttpRequest], HttpResponse]


def _route_of(request: HttpRequest) -> str:
    """The URL pattern that served the request: bounded label values for metrics."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return getattr(request, "metrics_route", "unmatched")
    return "/" + str(match.route)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


class RequestContextMiddleware:
    """Accepts or generates X-Request-ID, logs one line per request and records RED metrics.

    Also the last line of defence for the API's error contract: any non-JSON error that
    reaches here from under /api (Django's 404 for an unknown route, a CSRF or host failure,
    a crash) is turned into problem+json without internals.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        metrics.HTTP_IN_FLIGHT.inc()
        try:
            with request_memo():
                response = self.get_response(request)
            if is_api(request) and response.status_code >= 400:
                response = self._as_problem(response)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
            request_id_var.reset(token)
        elapsed = time.perf_counter() - started
        route = _route_of(request)
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        response["X-Request-ID"] = request_id
        # Which build answered: a rollout (and the deployment rehearsal) can see it per response.
        response["X-SimplePro-Version"] = __version__
        user = getattr(request, "user", None)
        api_user = getattr(request, "auth", None)
        user_id = getattr(api_user or user, "pk", None)
        log.info(
            "request",
            method=request.method,
            path=request.path,
            route=route,
            status=response.status_code,
            duration_ms=round(elapsed * 1000, 2),
            user_id=str(user_id) if user_id else None,
            ip=client_ip(request),
        )
        structlog.contextvars.clear_contextvars()
        return response

    @staticmethod
    def _as_problem(response: HttpResponse) -> HttpResponse:
        if "json" in response.get("Content-Type", ""):
            return response
        status = response.status_code
        detail = {
            400: "The request could not be understood.",
            403: "This request is not allowed.",
            404: "There is no such API route.",
            405: "This method is not allowed on this route.",
            413: "The request body is too large.",
        }.get(status, "The server could not complete this request; it has been logged.")
        problem = problem_response(status, detail)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                problem[header] = response[header]
        return problem


class SecurityHeadersMiddleware:
    """Content-Security-Policy and the other headers Django's SecurityMiddleware leaves out."""

    CSP = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if is_api(request):
            response.setdefault("Cache-Control", "no-store")
        return response


class BodySizeLimitMiddleware:
    """413 before the body is read when Content-Length says it is over the limit: JSON bodies
    against SIMPLEPRO_MAX_JSON_BODY, everything else (uploads) against SIMPLEPRO_MAX_UPLOAD."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_JSON_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(400, "Content-Length is not a number.")
        is_json = "json" in request.META.get("CONTENT_TYPE", "")
        kind = "JSON body" if is_json else "upload"
        if not is_json:
            limit = settings.MAX_UPLOAD_BYTES
        if length > limit:
            return problem_response(
                413, f"The {kind} is {length} bytes; the limit is {limit} bytes."
            )
        return self.get_response(request)
