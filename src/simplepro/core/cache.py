"""Django's Redis cache with one client, and so one connection pool, per process.

Django keeps a cache object per context, and under ASGI each request runs in a context of
its own: every request built a new client, a new pool and a new connection to Redis (and
redis-py read its own package metadata for each), about a millisecond and a TCP handshake
per request that touched the cache (py-spy of the pipeline board, bench/README.md). The
redis-py pool is thread-safe and checks its process id, so sharing it is safe across the
threads of a worker and across a fork.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache
from django.utils.functional import cached_property

_clients: dict[tuple[Any, ...], Any] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    @cached_property
    def _cache(self) -> Any:
        me: Any = self  # Django's RedisCache sets these in __init__, untyped
        options = tuple(sorted((k, repr(v)) for k, v in me._options.items()))
        key = (tuple(me._servers), options)
        with _lock:
            if key not in _clients:
                _clients[key] = me._class(me._servers, **me._options)
            return _clients[key]
