"""Real-time events: the one way a service tells people that something changed.

A service calls `publish_on_commit(kind, audience, data)` inside its transaction. Nothing
leaves until the transaction commits (`transaction.on_commit`): a rolled-back change is never
announced. Then, in one short transaction of its own, every recipient gets the event in their
stream with the next id of that stream (the outbox, `StreamEvent`), and the channel layer
carries it to the recipient's open sockets (`simplepro.realtime.consumers`). A socket that
missed events (a reconnect, a lost layer message, two publishers racing) reads them back from
the outbox, so every client sees every event once, in order.

`audience` is decided by the publishing app from its own record scope (`jobs.selectors.
job_audience` and friends): the event carries only what each recipient may already read.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from simplepro.core import metrics
from simplepro.core.models import StreamCursor, StreamEvent

logger = logging.getLogger(__name__)

# Every kind a client may receive, so a typo in a service fails its tests instead of
# silently sending an event nobody listens for.
KINDS = frozenset(
    {
        "job.created",
        "job.status_changed",
        "job.assigned",
        "job.unassigned",
        "job.rescheduled",
        "estimate.created",
        "estimate.sent",
        "estimate.viewed",
        "estimate.accepted",
        "estimate.declined",
        "time_off.requested",
        "time_off.answered",
        "message.received",
        "conversation.read",
        "opportunity.changed",
        "activity.changed",
        "notification.created",
        "notification.read",
    }
)


# Passing signals: shown while they matter and never replayed (no id, not in the outbox).
SIGNALS = frozenset({"typing", "presence"})


@dataclass(frozen=True)
class Signal:
    """What a client frame sets off: `kind` with `data`, to the sockets of `audience`."""

    kind: str
    audience: list[Any]
    data: dict[str, Any]


# Client frames answered by other apps (typing in a conversation…): frame type → a function
# of (user id, frame) returning the Signal to pass on, run in a thread (it may read the
# database). It raises core.problems.ProblemError for a frame it refuses (the client gets an
# error frame; NotFound for what the user may not see). Apps register in their ready().
FRAME_HANDLERS: dict[str, Callable[[Any, dict[str, Any]], Signal | None]] = {}


def frame_handler(
    frame_type: str,
) -> Callable[[Callable[[Any, dict[str, Any]], Signal | None]], Callable[..., Any]]:
    def register(
        handler: Callable[[Any, dict[str, Any]], Signal | None],
    ) -> Callable[[Any, dict[str, Any]], Signal | None]:
        FRAME_HANDLERS[frame_type] = handler
        return handler

    return register


# Apps above the publisher that act on its events inside the same transaction (the customer's
# "crew on the way" text when a job goes en route): kind → functions of the event's data.
# They run when the event is published, so what they write commits or rolls back with the
# change; they must not raise for what is not an error of the change itself.
LISTENERS: dict[str, list[Callable[[dict[str, Any]], None]]] = {}


def listen(
    kind: str,
) -> Callable[[Callable[[dict[str, Any]], None]], Callable[[dict[str, Any]], None]]:
    assert kind in KINDS, kind

    def register(function: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        LISTENERS.setdefault(kind, []).append(function)
        return function

    return register


def user_group(user_id: Any) -> str:
    return f"user.{UUID(str(user_id)).hex}"


def session_group(session_id: Any) -> str:
    return f"session.{UUID(str(session_id)).hex}"


def publish_on_commit(kind: str, audience: Iterable[Any], data: dict[str, Any]) -> None:
    """Announce `kind` with `data` to every user id in `audience` once the current
    transaction commits (at once outside one)."""
    if kind not in KINDS:
        raise ValueError(f"unknown real-time event kind {kind!r}")
    for listener in LISTENERS.get(kind, ()):
        listener(data)
    recipients = sorted({UUID(str(user_id)) for user_id in audience})
    if not recipients:
        return
    # JSON now, while the objects the data came from are as the transaction saw them.
    payload = DjangoJSONEncoder().encode(data)
    transaction.on_commit(lambda: _deliver(kind, recipients, payload))


def _deliver(kind: str, recipients: list[UUID], payload: str) -> None:
    data = json.loads(payload)
    try:
        with transaction.atomic():
            ids = _next_ids(recipients)
            now = timezone.now()
            StreamEvent.objects.bulk_create(
                StreamEvent(user_id=user_id, seq=ids[user_id], kind=kind, data=data, created_at=now)
                for user_id in recipients
            )
    except Exception:
        # The change itself is committed; losing its announcement must not fail the request.
        logger.exception("realtime_outbox_failed", extra={"kind": kind})
        metrics.REALTIME_EVENTS.labels(kind, "outbox_failed").inc()
        return
    metrics.REALTIME_EVENTS.labels(kind, "published").inc(len(recipients))
    at = now.isoformat()
    event = {"type": "stream.event", "kind": kind, "data": data, "at": at}
    _send((user_group(user_id), {**event, "id": ids[user_id]}) for user_id in recipients)


def _next_ids(recipients: list[UUID]) -> dict[UUID, int]:
    """Reserve the next id of each recipient's stream in one statement. Rows are locked in
    user-id order, so two publishers never deadlock; the locks last until commit, so ids are
    handed out per user in commit order."""
    placeholders = ", ".join(["(%s, 1, 0)"] * len(recipients))
    table = StreamCursor._meta.db_table
    hex_ids = [u.hex if connection.vendor == "sqlite" else str(u) for u in recipients]
    sql = (
        f"INSERT INTO {table} (user_id, last_id, pruned_through) VALUES {placeholders} "  # noqa: S608
        f"ON CONFLICT (user_id) DO UPDATE SET last_id = {table}.last_id + 1 "
        "RETURNING user_id, last_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, hex_ids)
        rows = cursor.fetchall()
    return {UUID(str(user_id)): int(last_id) for user_id, last_id in rows}


def close_sockets_on_commit(session_ids: Iterable[Any]) -> None:
    """Close every socket opened by these device sessions once their revocation commits."""
    groups = [session_group(session_id) for session_id in session_ids]
    if groups:
        transaction.on_commit(lambda: _send((g, {"type": "session.revoked"}) for g in groups))


def _send(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    layer = channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(_send_all)(layer, list(messages))
    except Exception:
        # Clients catch up from the outbox at their next event or reconnect; say it once.
        logger.exception("realtime_layer_send_failed")
        metrics.REALTIME_LAYER_FAILURES.inc()


async def _send_all(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    # Concurrently: with Redis each send is a few round trips, and an event for 50 people
    # sent one after another took ~100 ms before the last heard of it (bench/realtime.py).
    await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))


def channel_layer() -> Any:
    """The channel layer, or None where real time is off (several workers and no Redis)."""
    if not settings.REALTIME_ENABLED:
        return None
    from channels.layers import get_channel_layer

    return get_channel_layer()
