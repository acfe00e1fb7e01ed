"""Django keeps a cache object per context (per request under ASGI); SharedRedisCache gives
them all one Redis client, so requests reuse connections instead of opening one each."""

from __future__ import annotations

import os

from simplepro.core.cache import SharedRedisCache

LOCATION = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def test_cache_objects_share_one_client_and_its_connections() -> None:
    first = SharedRedisCache(LOCATION, {"KEY_PREFIX": "test-shared"})
    second = SharedRedisCache(LOCATION, {"KEY_PREFIX": "test-shared"})
    assert first._cache is second._cache
    first.set("k", "v", 5)
    assert second.get("k") == "v"
    pool = first._cache._get_connection_pool(write=False)
    before = len(pool._available_connections) + len(pool._in_use_connections)
    for _ in range(20):
        SharedRedisCache(LOCATION, {"KEY_PREFIX": "test-shared"}).get("k")
    assert len(pool._available_connections) + len(pool._in_use_connections) == before
