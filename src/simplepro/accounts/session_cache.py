"""Device sessions (with their users) kept in the cache between API calls, so a bearer token
costs no database query on most calls (the lookup was one query and ~1.5 ms of server CPU
on every call; bench/README.md).

An entry lives ENTRY_SECONDS. Whatever ends or changes a session's standing (a revocation,
a deactivation, a role or name change, a password change) puts a tombstone on the session's
entry instead of deleting it: a request that read the session from the database just before
the change then cannot put its stale copy back, because filling uses add(), which never
replaces a tombstone. A tombstoned session is read from the database until the tombstone
expires. Any User.save() tombstones (accounts.apps); a raw UPDATE of a user or a session
shows within ENTRY_SECONDS.

Without Redis the "auth" cache is a dummy: every call reads the database, as before (a
cache table would be a query too).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import caches

from simplepro.accounts.models import DeviceSession

logger = logging.getLogger(__name__)

ENTRY_SECONDS = 60
_TOMBSTONE = "changed"


def _key(session_id: Any) -> str:
    return f"auth:session:{session_id}"


def session_cached(session_id: Any) -> tuple[DeviceSession | None, bool]:
    """The cached session (None when not cached), and whether a session read from the
    database may be cached (not while a tombstone stands)."""
    try:
        entry = caches["auth"].get(_key(session_id))
    except Exception:  # Redis away: the database answers, and nothing is cached meanwhile
        logger.warning("session_cache_unavailable", exc_info=True)
        return None, False
    if isinstance(entry, DeviceSession):
        return entry, False
    return None, entry != _TOMBSTONE


def session_keep(session: DeviceSession) -> None:
    try:
        caches["auth"].add(_key(session.pk), session, ENTRY_SECONDS)
    except Exception:
        logger.warning("session_cache_unavailable", exc_info=True)


def sessions_forget(session_ids: Iterable[Any]) -> None:
    """Tombstone these sessions: their next call reads the database."""
    entries = {_key(session_id): _TOMBSTONE for session_id in session_ids}
    if not entries:
        return
    try:
        caches["auth"].set_many(entries, ENTRY_SECONDS)
    except Exception:
        # The revocation still commits; an entry Redis kept through the outage lives at most
        # ENTRY_SECONDS more (docs/runbooks/user-access.md).
        logger.error("session_cache_tombstone_failed", extra={"sessions": len(entries)})


def user_sessions_forget(user_id: Any) -> None:
    sessions_forget(
        DeviceSession.objects.active().filter(user_id=user_id).values_list("pk", flat=True)
    )
