"""Reads of a user's stream: where it stands and the events a socket has to catch up on."""

from __future__ import annotations

from typing import Any

from simplepro.core.models import StreamCursor, StreamEvent


def stream_position(*, user_id: Any) -> tuple[int, int]:
    """(id of the newest event, newest id already pruned) of the user's stream."""
    row = StreamCursor.objects.filter(user_id=user_id).values_list("last_id", "pruned_through")
    found = row.first()
    return (int(found[0]), int(found[1])) if found else (0, 0)


def stream_events(*, user_id: Any, after: int, upto: int) -> list[dict[str, Any]]:
    """The user's events with after < id <= upto, oldest first, as frames for the socket."""
    rows = (
        StreamEvent.objects.filter(user_id=user_id, seq__gt=after, seq__lte=upto)
        .order_by("seq")
        .values_list("seq", "kind", "data", "created_at")
    )
    return [
        {"type": "event", "id": seq, "kind": kind, "data": data, "at": at.isoformat()}
        for seq, kind, data, at in rows
    ]
