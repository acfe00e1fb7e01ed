"""What conversations add to the live stream: "typing…" and presence (online / away). Both
are passing signals (core.events.Signal): shown while they matter, never stored as events.

Presence is kept in the cache (Redis in production) for PRESENCE_SECONDS after a page says
so; pages repeat it on every heartbeat, so a closed laptop drops to offline within about a
minute. Only a change of state is passed on, to the office and the person's threads."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from simplepro.accounts.models import User
from simplepro.core.events import Signal, frame_handler
from simplepro.core.problems import NotFound, invalid
from simplepro.messaging.selectors import audience, conversation_get

PRESENCE_SECONDS = 75
STATES = ("online", "away")


def _key(user_id: Any) -> str:
    return f"presence:{user_id}"


@frame_handler("typing")
def typing(user_id: Any, frame: dict[str, Any]) -> Signal:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    conversation = (
        conversation_get(viewer=user, conversation_id=frame.get("conversation")) if user else None
    )
    if user is None or conversation is None:
        raise NotFound("conversation")
    data = {"conversation_id": str(conversation.pk), "user_id": str(user.pk),
            "name": user.display_name}  # fmt: skip
    return Signal("typing", audience(conversation), data)


@frame_handler("presence")
def presence(user_id: Any, frame: dict[str, Any]) -> Signal | None:
    state = frame.get("state")
    if state not in STATES:
        raise invalid("state", "invalid", 'Presence is "online" or "away".')
    before = cache.get(_key(user_id))
    cache.set(_key(user_id), state, PRESENCE_SECONDS)
    if before == state:
        return None
    office = list(
        User.objects.filter(is_active=True).exclude(pk=user_id).values_list("pk", flat=True)[:500]
    )
    return Signal("presence", office, {"user_id": str(user_id), "state": state})


def presence_of(user_ids: list[Any]) -> dict[str, str]:
    """user id → online, away or offline."""
    found = cache.get_many([_key(u) for u in user_ids])
    return {str(u): found.get(_key(u), "offline") for u in user_ids}
