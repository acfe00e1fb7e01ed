"""Which channels tell a person about an event: their own choice where they made one, else
the default of the event, widened for their role. The app itself always tells: the
notification centre is the record of what a person was told."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from simplepro.core.problems import invalid
from simplepro.notifications.catalogue import CATALOGUE
from simplepro.notifications.models import Channel, NotificationPreference

# Channels people may choose now; SMS and push are listed once their providers exist.
CHOOSABLE: tuple[str, ...] = (Channel.EMAIL,)
# Role → event → channels on by default beyond the event's own default.
ROLE_DEFAULTS: dict[str, dict[str, frozenset[str]]] = {
    # A salesperson on the road wants to know at once that the customer is reading the quote.
    "sales": {"estimate_viewed": frozenset({Channel.EMAIL})},
}


def default_channels(role: str, event: str) -> frozenset[str]:
    return CATALOGUE[event].by_default | ROLE_DEFAULTS.get(role, {}).get(event, frozenset())


def preference_table(*, user: Any) -> list[dict[str, Any]]:
    """Every event with, per choosable channel, whether it is on for this person."""
    own = {
        (p.event, p.channel): p.enabled for p in NotificationPreference.objects.filter(user=user)
    }
    return [
        {
            "event": key,
            "label": entry.label,
            "critical": entry.critical,
            "channels": {
                channel: own.get((key, channel), channel in default_channels(user.role, key))
                for channel in CHOOSABLE
            },
        }
        for key, entry in CATALOGUE.items()
    ]


def channels_for(users: list[Any], event: str) -> dict[Any, set[str]]:
    """user id → the channels beside the app that tell them about `event` (one query)."""
    own: dict[tuple[Any, str], bool] = {
        (user_id, channel): enabled
        for user_id, channel, enabled in NotificationPreference.objects.filter(
            user__in=users, event=event
        ).values_list("user_id", "channel", "enabled")
    }
    return {
        user.pk: {
            channel for channel in CHOOSABLE
            if own.get((user.pk, channel), channel in default_channels(user.role, event))
        }
        for user in users
    }  # fmt: skip


def preferences_save(*, user: Any, choices: dict[tuple[str, str], bool]) -> None:
    """Store the person's choices (event, channel) → on; unknown events or channels: 422."""
    for event, channel in choices:
        if event not in CATALOGUE:
            raise invalid("event", "unknown", f"No such event: {event}.")
        if channel not in CHOOSABLE:
            raise invalid("channel", "unknown", f"Not a channel you can choose: {channel}.")
    with transaction.atomic(durable=True):
        for (event, channel), enabled in choices.items():
            NotificationPreference.objects.update_or_create(
                user=user, event=event, channel=channel, defaults={"enabled": enabled}
            )
