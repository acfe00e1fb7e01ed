"""Which channels tell a person about an event: their own choice where they made one, else
the default of the event, widened for their role. The app itself always tells: the
notification centre is the record of what a person was told."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db import transaction

from simplepro.core.problems import invalid
from simplepro.notifications.catalogue import CATALOGUE, STAFF_EVENTS
from simplepro.notifications.models import Channel, NotificationPreference, QuietHours
from simplepro.notifications.push import push_enabled
from simplepro.notifications.sms import sms_enabled

CHANNELS: tuple[str, ...] = (Channel.EMAIL, Channel.SMS, Channel.PUSH)


def choosable() -> tuple[str, ...]:
    """The channels beside the app a person may turn on here: SMS with a provider, push
    with a VAPID key."""
    available: dict[str, bool] = {
        Channel.EMAIL: True,
        Channel.SMS: sms_enabled(),
        Channel.PUSH: push_enabled(),
    }
    return tuple(c for c in CHANNELS if available[c])


# Role → event → channels on by default beyond the event's own default.
ROLE_DEFAULTS: dict[str, dict[str, frozenset[str]]] = {
    # A salesperson on the road wants to know at once that the customer is reading the quote.
    # A new lead goes cold in minutes: they hear of it by text too (when SMS is on).
    "sales": {
        "estimate_viewed": frozenset({Channel.EMAIL}),
        "lead_assigned": frozenset({Channel.EMAIL, Channel.SMS}),
    },
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
                for channel in choosable()
            },
        }
        for key, entry in STAFF_EVENTS.items()
    ]


def channels_for(users: list[Any], event: str) -> dict[Any, set[str]]:
    """user id → the channels beside the app that tell them about `event` (one query)."""
    offered = choosable()
    own: dict[tuple[Any, str], bool] = {
        (user_id, channel): enabled
        for user_id, channel, enabled in NotificationPreference.objects.filter(
            user__in=users, event=event
        ).values_list("user_id", "channel", "enabled")
    }
    return {
        user.pk: {
            channel for channel in offered
            if own.get((user.pk, channel), channel in default_channels(user.role, event))
        }
        for user in users
    }  # fmt: skip


def preferences_save(*, user: Any, choices: dict[tuple[str, str], bool]) -> None:
    """Store the person's choices (event, channel) → on; unknown events or channels: 422."""
    for event, channel in choices:
        if event not in STAFF_EVENTS:
            raise invalid("event", "unknown", f"No such event: {event}.")
        if channel == Channel.SMS and not sms_enabled():
            raise invalid("channel", "off", "SMS is off: no SMS provider is configured.")
        if channel == Channel.PUSH and not push_enabled():
            raise invalid("channel", "off", "Push is off: this server has no VAPID key.")
        if channel not in choosable():
            raise invalid("channel", "unknown", f"Not a channel you can choose: {channel}.")
    with transaction.atomic(durable=True):
        for (event, channel), enabled in choices.items():
            NotificationPreference.objects.update_or_create(
                user=user, event=event, channel=channel, defaults={"enabled": enabled}
            )


def quiet_hours_save(*, user: Any, start: dt.time, end: dt.time, time_zone: str) -> QuietHours:
    """Set the person's quiet hours (start after end spans midnight); 422 naming the field."""
    if time_zone not in zoneinfo.available_timezones():
        raise invalid("time_zone", "unknown", f"Not a time zone: {time_zone} (e.g. Europe/Berlin).")
    if start == end:
        raise invalid("end", "empty", "Quiet hours must end at another time than they start.")
    with transaction.atomic(durable=True):
        quiet, _ = QuietHours.objects.update_or_create(
            user=user, defaults={"start": start, "end": end, "time_zone": time_zone}
        )
    return quiet


def quiet_hours_clear(*, user: Any) -> None:
    QuietHours.objects.filter(user=user).delete()


def quiet_until(quiet: QuietHours | None, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours that hold at `now` end (aware), or None when they do not hold."""
    if quiet is None:
        return None
    zone = zoneinfo.ZoneInfo(quiet.time_zone)
    local = now.astimezone(zone)
    clock = local.time()
    spans_midnight = quiet.start > quiet.end
    inside = (
        (clock >= quiet.start or clock < quiet.end)
        if spans_midnight
        else (quiet.start <= clock < quiet.end)
    )
    if not inside:
        return None
    end_day = local.date() + dt.timedelta(days=1 if spans_midnight and clock >= quiet.start else 0)
    return dt.datetime.combine(end_day, quiet.end, tzinfo=zone)
