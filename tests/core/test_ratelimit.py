from __future__ import annotations

from typing import Any

import pytest

from simplepro.core.env import ConfigurationError
from simplepro.core.ratelimit import Tier, check_tiers, parse_tiers
from tests.conftest import PASSWORD, ApiClient, fresh_rate_limit_window

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _not_at_a_window_edge() -> None:
    fresh_rate_limit_window(margin=5)


def login(client: Any, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post_json(
        "/api/auth/login", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_tiers_parse_and_reject_nonsense() -> None:
    assert parse_tiers("10/1, 50/10") == (Tier(10, 1), Tier(50, 10))
    with pytest.raises(ConfigurationError, match="'ten/1'"):
        parse_tiers("ten/1")
    with pytest.raises(ConfigurationError):
        parse_tiers("0/1")


def test_every_api_response_reports_the_tightest_tier(
    personas: Any, api_as: Any, settings: Any
) -> None:
    settings.API_RATE_LIMITS = "1000/1,3/60"
    api = api_as(personas["sales"])
    first = api.get("/api/auth/me")
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("3", "2")
    assert 0 < int(first["X-RateLimit-Reset"]) <= 60
    api.get("/api/auth/me")
    api.get("/api/auth/me")
    refused = api.get("/api/auth/me")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Remaining"] == "0"


def test_limits_are_per_user_not_shared(personas: Any, api_as: Any, settings: Any) -> None:
    settings.API_RATE_LIMITS = "2/60"
    a, b = api_as(personas["sales"]), api_as(personas["sales2"])
    a.get("/api/auth/me")
    a.get("/api/auth/me")
    assert a.get("/api/auth/me").status_code == 429
    assert b.get("/api/auth/me").status_code == 200


def test_anonymous_requests_count_per_ip(db: None, settings: Any) -> None:
    settings.API_RATE_LIMITS = "2/60"
    client = ApiClient()
    for _ in range(2):
        client.get("/api/customers", REMOTE_ADDR="10.1.1.1")
    assert client.get("/api/customers", REMOTE_ADDR="10.1.1.1").status_code == 429
    assert client.get("/api/customers", REMOTE_ADDR="10.1.1.2").status_code == 401


def test_health_is_never_rate_limited(db: None, settings: Any) -> None:
    settings.API_RATE_LIMITS = "1/60"
    client = ApiClient()
    assert all(client.get("/api/health").status_code == 200 for _ in range(5))


def test_five_failed_logins_per_account_and_ip_then_429(personas: Any) -> None:
    client = ApiClient()
    statuses = [login(client, "sales", "wrong").status_code for _ in range(5)]
    assert statuses == [401] * 5
    locked = login(client, "sales", PASSWORD)  # even the right password waits now
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 61
    assert login(client, "sales", PASSWORD, ip="10.0.0.2").status_code == 200  # another IP
    assert login(client, "sales2", PASSWORD).status_code == 200  # another account


def test_success_clears_the_account_counter(personas: Any) -> None:
    client = ApiClient()
    for _ in range(4):
        login(client, "sales", "wrong")
    assert login(client, "sales", PASSWORD).status_code == 200
    assert [login(client, "sales", "wrong").status_code for _ in range(4)] == [401] * 4


def test_twenty_failures_per_ip_across_accounts(personas: Any) -> None:
    client = ApiClient()
    for n in range(20):
        assert login(client, f"ghost{n}", "wrong", ip="10.9.9.9").status_code == 401
    assert login(client, "sales", PASSWORD, ip="10.9.9.9").status_code == 429


def test_forwarded_for_is_ignored_from_untrusted_peers(personas: Any, settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.254"]
    client = ApiClient()
    for n in range(5):
        # An attacker rotating X-Forwarded-For does not escape the per-IP counter.
        client.post_json(
            "/api/auth/login",
            {"username": "sales", "password": "wrong"},
            REMOTE_ADDR="10.5.5.5",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    blocked = client.post_json(
        "/api/auth/login",
        {"username": "sales", "password": PASSWORD},
        REMOTE_ADDR="10.5.5.5",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert blocked.status_code == 429


def test_forwarded_for_is_used_behind_a_trusted_proxy(personas: Any, settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    client = ApiClient()
    for _ in range(5):
        client.post_json(
            "/api/auth/login",
            {"username": "sales", "password": "wrong"},
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    other_client = client.post_json(
        "/api/auth/login",
        {"username": "sales", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert other_client.status_code == 200
    same_client = client.post_json(
        "/api/auth/login",
        {"username": "sales", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.253",
    )
    assert same_client.status_code == 429


def test_counter_windows_reset(db: None) -> None:
    tiers = (Tier(1, 10),)
    assert check_tiers("window-test", tiers, now=1000.0).allowed
    assert not check_tiers("window-test", tiers, now=1005.0).allowed
    assert check_tiers("window-test", tiers, now=1010.0).allowed
