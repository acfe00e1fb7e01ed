"""Health endpoints and /metrics, answered before sessions, authentication and rate limits so
that a load balancer or Prometheus never depends on them.

/api/health        liveness: the process answers; touches nothing else.
/api/health/ready  readiness: the database and (when configured) Redis answer, and every
                   migration this build ships is applied; 503 otherwise.
/api/health/{db,redis,storage,migrations}  one check each.
"""

from __future__ import annotations

import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse

from simplepro.core import metrics
from simplepro.core.clientip import client_ip
from simplepro.core.problems import problem_response

NOT_CONFIGURED = "not_configured"

Check = Callable[[], str]


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_redis() -> str:
    if not settings.REDIS_URL:
        return NOT_CONFIGURED
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


class CheckFailed(Exception):
    """The dependency answered and the answer is wrong; the message is safe to show publicly."""


class _SchemaState:
    current = False


def check_migrations() -> str:
    """Ready only when every migration this build ships is applied. A new build started on the
    old schema (its migration Job failed or was skipped) must not take traffic; the previous
    build, facing a newer schema after a rollback, has nothing pending and stays ready
    (expand/contract: docs/operations/migrations.md). Once up to date, a process stays so:
    migrations are never unapplied under a running server, and the probe then costs nothing."""
    if _SchemaState.current:
        return "ok"
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        raise CheckFailed(f"{len(names)} migration(s) not applied: {shown}")
    _SchemaState.current = True
    return "ok"


def check_storage() -> str:
    name = default_storage.save("health/probe.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return "ok"


CHECKS: dict[str, Check] = {
    "db": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "migrations": check_migrations,
}
READINESS = ("db", "redis", "migrations")


def _run(name: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        status = CHECKS[name]()
    except CheckFailed as failed:
        return {
            "status": "error",
            "error": str(failed),
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    except Exception as exc:  # any failure of a dependency means "down"
        if name == "db":
            connection.close()  # do not keep a broken connection for the next probe
        return {
            "status": "error",
            "error": type(exc).__name__,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    return {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def health_response(names: tuple[str, ...]) -> HttpResponse:
    checks = {name: _run(name) for name in names}
    healthy = all(c["status"] in {"ok", NOT_CONFIGURED} for c in checks.values())
    body = {
        "status": "ok" if healthy else "error",
        "checks": checks,
        "version": settings.VERSION,
    }
    response = HttpResponse(
        json.dumps(body), status=200 if healthy else 503, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


def metrics_allowed(request: HttpRequest) -> bool:
    """Open on the embedded default; in production a bearer token or an IP allow-list."""
    if settings.METRICS_TOKEN:
        # Several tokens, comma-separated, during a rotation: the new one is added, Prometheus
        # switched to it, the old one removed (docs/operations/secrets.md).
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        tokens = [t for t in re.split(r"[\s,]+", settings.METRICS_TOKEN) if t]
        matches = [hmac.compare_digest(supplied.encode(), t.encode()) for t in tokens]
        return any(matches)
    if settings.METRICS_ALLOWED_IPS:
        return client_ip(request) in settings.METRICS_ALLOWED_IPS
    return not settings.PRODUCTION


ROUTES: dict[str, tuple[str, ...]] = {
    "/api/health": (),
    "/api/health/ready": READINESS,
    "/api/health/db": ("db",),
    "/api/health/redis": ("redis",),
    "/api/health/storage": ("storage",),
    "/api/health/migrations": ("migrations",),
}


class HealthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path.rstrip("/") or "/"
        if path in ROUTES:
            request.metrics_route = path  # type: ignore[attr-defined]
            if request.method not in {"GET", "HEAD"}:
                return problem_response(405, "Health endpoints answer GET only.")
            return health_response(ROUTES[path])
        if path == "/metrics":
            request.metrics_route = path  # type: ignore[attr-defined]
            if not metrics_allowed(request):
                return problem_response(
                    403, "Metrics need the metrics bearer token or an allowed address."
                )
            body, content_type = metrics.render()
            return HttpResponse(body, content_type=content_type)
        return self.get_response(request)
