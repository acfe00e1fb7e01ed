"""Telling people things: every notification is written here, and announced to the
recipient's open pages and apps (the bell) once the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from simplepro.accounts.services import company_get
from simplepro.core.events import publish_on_commit
from simplepro.core.phones import InvalidPhone, to_e164
from simplepro.core.problems import NotFound
from simplepro.notifications.catalogue import CATALOGUE
from simplepro.notifications.models import Channel, Delivery, Notification
from simplepro.notifications.preferences import channels_for
from simplepro.notifications.selectors import (
    BIGINT_LIMIT,
    push_devices,
    unread_count,
    unread_counts,
)
from simplepro.notifications.tasks import deliver
from simplepro.notifications.wording import Wording, wordings


def notify(
    *,
    recipients: Iterable[Any],
    event: str,
    context: dict[str, Any],
    link: str = "",
    key: str = "",
) -> list[Notification]:
    """Tell each recipient (users; None and inactive users are skipped, each person once)
    about `event`, worded from the catalogue with `context`. Runs inside the caller's
    transaction: a change that rolls back tells nobody. With `key`, a person already told
    under that key is not told again (a task that runs twice reminds once)."""
    entry = CATALOGUE[event]
    assert not entry.for_customers, f"{event} is for customers: simplepro.messaging.automatic"
    users = {user.pk: user for user in recipients if user is not None and user.is_active}
    people = set(users)
    if key:
        people -= set(
            Notification.objects.filter(recipient__in=people, key=key).values_list(
                "recipient_id", flat=True
            )
        )
    told = [users[pk] for pk in sorted(people)]
    chosen = channels_for(told, event)
    worded = wordings(event, {Channel.IN_APP}.union(*chosen.values()), context)
    title, body = worded[Channel.IN_APP].subject, worded[Channel.IN_APP].text
    made = Notification.objects.bulk_create(
        Notification(
            recipient_id=pk, event=event, title=title, body=body, link=link,
            critical=entry.critical, key=key,
        )
        for pk in sorted(people)
    )  # fmt: skip
    unread = unread_counts(user_ids=[n.recipient_id for n in made])
    for notification in made:
        publish_on_commit(
            "notification.created",
            [notification.recipient_id],
            {"unread": unread[notification.recipient_id],
             "notification": notification_summary(notification)},
        )  # fmt: skip
    _queue_deliveries(made, told, chosen, worded)
    return made


def _addresses(user: Any, region: str, devices: dict[Any, int]) -> dict[str, str]:
    """Where a person can be reached on each channel (a phone that is not a number: no SMS;
    no device subscribed: no push)."""
    try:
        phone = to_e164(user.phone, region) if user.phone and region else ""
    except InvalidPhone:
        phone = ""
    count = devices.get(user.pk, 0)
    return {Channel.EMAIL: user.email, Channel.SMS: phone,
            Channel.PUSH: f"{count} device(s)" if count else ""}  # fmt: skip


def _queue_deliveries(
    made: list[Notification],
    people: list[Any],
    chosen: dict[Any, set[str]],
    worded: dict[str, Wording],
) -> None:
    """A delivery per notification and chosen channel where the person has an address; each
    is sent by a task once the transaction commits."""
    if not any(chosen.values()):
        return
    region = company_get().phone_region if Channel.SMS in worded else ""
    devices = push_devices([user.pk for user in people]) if Channel.PUSH in worded else {}
    addresses = {user.pk: _addresses(user, region, devices) for user in people}
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            notification=n, channel=channel, address=addresses[n.recipient_id][channel],
            subject=worded[channel].subject, text=worded[channel].text,
            html=worded[channel].html,
        )
        for n in made
        for channel in sorted(chosen[n.recipient_id])
        if addresses[n.recipient_id].get(channel)
    )  # fmt: skip
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        deliver(delivery_id)


def _announce_read(user_id: Any) -> None:
    """Other tabs and devices of the person update their bell."""
    publish_on_commit("notification.read", [user_id], {"unread": unread_count(user=user_id)})


def notification_summary(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "event": notification.event,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "critical": notification.critical,
        "created_at": notification.created_at,
        "read": notification.read_at is not None,
    }


def notification_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (someone else's: 404, as if absent)."""
    if not 0 < notification_id < BIGINT_LIMIT:  # larger ids do not fit the column: not ours
        raise NotFound("notification")
    with transaction.atomic(durable=True):
        notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
        if notification is None:
            raise NotFound("notification")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
            _announce_read(user.pk)
    return notification


def notifications_read_all(*, user: Any) -> int:
    with transaction.atomic(durable=True):
        marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if marked:
            _announce_read(user.pk)
    return marked
