"""Fixed-window counters shared by every worker process: Redis when REDIS_URL is set,
otherwise a table in the database (one atomic UPSERT per request). Never per-process memory,
which would multiply every limit by the number of workers.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import redis
from django.conf import settings
from django.db import connection

from simplepro.core.env import ConfigurationError


@dataclass(frozen=True)
class Tier:
    limit: int
    seconds: int

    def window(self, now: float) -> int:
        return int(now // self.seconds)

    def reset_after(self, now: float) -> int:
        """Whole seconds until this tier's current window ends (at least 1)."""
        return max(1, math.ceil((self.window(now) + 1) * self.seconds - now))


@lru_cache(maxsize=8)
def parse_tiers(spec: str) -> tuple[Tier, ...]:
    """'10/1,50/10,200/60' → three tiers; a clear error names the bad part."""
    tiers = []
    for part in spec.split(","):
        count, _, seconds = part.strip().partition("/")
        try:
            tier = Tier(int(count), int(seconds))
        except ValueError:
            raise ConfigurationError(
                f"SIMPLEPRO_RATE_LIMITS: {part!r} is not 'count/seconds'"
            ) from None
        if tier.limit < 1 or tier.seconds < 1:
            raise ConfigurationError(f"SIMPLEPRO_RATE_LIMITS: {part!r} must be positive")
        tiers.append(tier)
    return tuple(tiers)


class CounterStore(Protocol):
    def hit(self, keys: list[tuple[str, int]]) -> list[int]:
        """Add one to each (key, ttl seconds) and return the new counts, in order."""

    def peek(self, keys: list[str]) -> list[int]: ...

    def clear(self, key: str) -> None: ...


class RedisCounterStore:
    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    @staticmethod
    def _key(key: str) -> str:
        return settings.RATE_LIMIT_KEY_PREFIX + key

    def hit(self, keys: list[tuple[str, int]]) -> list[int]:
        pipe = self.client.pipeline(transaction=False)
        for key, ttl in keys:
            pipe.incr(self._key(key))
            pipe.expire(self._key(key), ttl, nx=True)
        results = pipe.execute()
        return [int(results[i]) for i in range(0, len(results), 2)]

    def peek(self, keys: list[str]) -> list[int]:
        values = self.client.mget([self._key(k) for k in keys])
        return [int(v or 0) for v in values]

    def clear(self, key: str) -> None:
        self.client.delete(self._key(key))


class DatabaseCounterStore:
    """Counters in `core_ratelimitcounter`; INSERT … ON CONFLICT … RETURNING is atomic on
    both SQLite (3.35+) and PostgreSQL, so concurrent workers never lose a count."""

    table = "core_ratelimitcounter"

    def hit(self, keys: list[tuple[str, int]]) -> list[int]:
        now = time.time()
        values = ", ".join(["(%s, 1, %s)"] * len(keys))
        params: list[str | float] = []
        for key, ttl in keys:
            params += [key, now + ttl]
        sql = (
            f"INSERT INTO {self.table} (key, count, expires_at) VALUES {values} "  # noqa: S608
            f"ON CONFLICT (key) DO UPDATE SET count = {self.table}.count + 1 "
            "RETURNING key, count"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            counts = dict(cursor.fetchall())
            # Expired windows are dead rows; sweep them now and then, not on every request.
            if random.random() < 0.01:  # noqa: S311 - not security relevant
                cursor.execute(f"DELETE FROM {self.table} WHERE expires_at < %s", [now])  # noqa: S608
        return [int(counts[key]) for key, _ in keys]

    def peek(self, keys: list[str]) -> list[int]:
        placeholders = ", ".join(["%s"] * len(keys))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT key, count FROM {self.table} WHERE key IN ({placeholders}) "  # noqa: S608
                "AND expires_at >= %s",
                [*keys, time.time()],
            )
            counts = dict(cursor.fetchall())
        return [int(counts.get(key, 0)) for key in keys]

    def clear(self, key: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE key = %s", [key])  # noqa: S608


@lru_cache(maxsize=4)
def _store_for(redis_url: str) -> CounterStore:
    return RedisCounterStore(redis_url) if redis_url else DatabaseCounterStore()


def counter_store() -> CounterStore:
    return _store_for(settings.REDIS_URL)


def api_tiers() -> tuple[Tier, ...]:
    return parse_tiers(settings.API_RATE_LIMITS)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int


def check_tiers(identity: str, tiers: tuple[Tier, ...], now: float | None = None) -> Decision:
    """Count one request against every tier; report the tightest (fewest left)."""
    now = time.time() if now is None else now
    keys = [(f"api:{identity}:{t.seconds}:{t.window(now)}", t.seconds + 1) for t in tiers]
    counts = counter_store().hit(keys)
    exceeded = [(t, c) for t, c in zip(tiers, counts, strict=True) if c > t.limit]
    if exceeded:
        tier = max(exceeded, key=lambda tc: tc[0].reset_after(now))[0]
        return Decision(False, tier.limit, 0, tier.reset_after(now))
    tier, count = min(zip(tiers, counts, strict=True), key=lambda tc: tc[0].limit - tc[1])
    return Decision(True, tier.limit, tier.limit - count, tier.reset_after(now))
