"""Bearer tokens and browser sessions are checked against the cache on most calls
(accounts.session_cache), and every change to a session's standing reaches the very next
call. On the PostgreSQL + Redis run the cache is Redis; without Redis the "auth" cache is
a dummy, so these tests put an in-memory one in its place to exercise the same logic."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from simplepro.accounts.auth import active_session
from simplepro.accounts.models import DeviceSession
from simplepro.accounts.services import session_revoke, user_update
from simplepro.accounts.session_cache import session_keep


@pytest.fixture(autouse=True)
def _a_real_auth_cache(settings: Any) -> None:
    if settings.CACHES["auth"]["BACKEND"].endswith("DummyCache"):
        settings.CACHES = {
            **settings.CACHES,
            "auth": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        }


def _session_queries(queries: CaptureQueriesContext) -> int:
    return sum('"accounts_devicesession"' in q["sql"] for q in queries.captured_queries)


def test_a_bearer_token_costs_no_session_query_after_the_first_call(
    personas: Any, api_as: Any
) -> None:
    api = api_as(personas["sales"])
    with CaptureQueriesContext(connection) as first:
        assert api.get("/api/auth/me").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert api.get("/api/auth/me").status_code == 200
    assert _session_queries(first) == 1
    assert _session_queries(second) == 0


def test_logout_and_revocation_refuse_the_very_next_call(personas: Any, api_as: Any) -> None:
    api, other = api_as(personas["sales"]), api_as(personas["sales"])
    assert api.get("/api/auth/me").status_code == other.get("/api/auth/me").status_code == 200
    assert api.post_json("/api/auth/logout", {}).status_code == 204
    assert api.get("/api/auth/me").status_code == 401
    session = DeviceSession.objects.get(pk=other.session_id)
    session_revoke(session=session, actor=personas["admin"], reason="lost phone")
    assert other.get("/api/auth/me").status_code == 401


def test_a_role_change_and_a_deactivation_reach_the_very_next_call(
    personas: Any, api_as: Any
) -> None:
    api = api_as(personas["sales"])
    assert api.get("/api/opportunities/board").status_code == 200  # cached as sales
    user_update(actor=personas["admin"], user=personas["sales"], role="crew_member")
    assert api.get("/api/auth/me").json()["role"] == "crew_member"
    assert api.get("/api/opportunities/board").status_code == 403
    # A save made around the services (the shell, a test) is seen too.
    personas["sales"].refresh_from_db()
    personas["sales"].role = "sales"
    personas["sales"].save()
    assert api.get("/api/opportunities/board").status_code == 200
    user_update(actor=personas["admin"], user=personas["sales"], is_active=False)
    assert api.get("/api/auth/me").status_code == 401


def test_a_copy_read_before_a_revocation_cannot_be_put_back(personas: Any, api_as: Any) -> None:
    api = api_as(personas["sales"])
    stale = active_session(session_id=api.session_id, user_id=personas["sales"].pk)
    assert stale is not None
    session_revoke(session=stale, actor=personas["admin"], reason="stolen")
    session_keep(stale)  # a request that read it just before, finishing after
    assert api.get("/api/auth/me").status_code == 401


def test_a_revoked_browser_session_is_signed_out_at_its_next_page(
    personas: Any, web_as: Any
) -> None:
    page = web_as(personas["sales"])
    assert page.get("/sales/my-day/").status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert page.get("/sales/my-day/").status_code == 200
    assert _session_queries(again) == 0
    session = DeviceSession.objects.filter(user=personas["sales"], kind="web").get()
    session_revoke(session=session, actor=personas["admin"], reason="left the company")
    assert page.get("/sales/my-day/").status_code == 302


def test_with_redis_away_calls_are_checked_against_the_database(
    personas: Any, api_as: Any, settings: Any
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "auth": {"BACKEND": "simplepro.core.cache.SharedRedisCache",
                 "LOCATION": "redis://127.0.0.1:1/0",
                 "OPTIONS": {"socket_connect_timeout": 0.2}},
    }  # fmt: skip
    api = api_as(personas["sales"])
    assert api.get("/api/auth/me").status_code == 200
    assert api.post_json("/api/auth/logout", {}).status_code == 204
    assert api.get("/api/auth/me").status_code == 401
