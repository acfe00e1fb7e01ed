"""Sending notifications outside the app (e-mail and SMS), recorded per notification and channel.

A delivery is claimed with a conditional update (queued or retrying → sending) before anything
is sent, so two workers, a retried task or a task enqueued twice never send it twice. A
delivery left "sending" (a worker killed after the provider may have accepted it) is never
resent by itself: it shows in the delivery log for a person to judge. Failures are retried
with backoff by the task queue (3 retries), then recorded as failed; a provider's refusal
(simplepro.notifications.errors.SendRefused) is final at once.

SMS and push wait out the person's quiet hours: the delivery is held ("deferred") and queued
again for when they end, never dropped. Critical notifications do not wait.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from simplepro.core import metrics
from simplepro.notifications.errors import SendRefused
from simplepro.notifications.models import Channel, Delivery, QuietHours
from simplepro.notifications.preferences import quiet_until
from simplepro.notifications.push import send_push
from simplepro.notifications.sms import opted_out, sms_provider
from simplepro.notifications.wording import SMS_LIMIT

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 4  # the first try and the queue's 3 retries
HELD_BY_QUIET_HOURS = frozenset({Channel.SMS, Channel.PUSH})
SENDABLE = (Delivery.Status.QUEUED, Delivery.Status.RETRYING, Delivery.Status.DEFERRED)


class DeliveryFailed(Exception):
    """Raised so the task queue retries the delivery later."""


def _claim(delivery_id: int) -> bool:
    claimed = Delivery.objects.filter(pk=delivery_id, status__in=SENDABLE).update(
        status=Delivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    return claimed == 1


def held_until(delivery_id: int) -> tuple[str, dt.datetime] | None:
    """The delivery's channel and when the recipient's quiet hours end, if they hold now."""
    row = (
        Delivery.objects.filter(pk=delivery_id, status__in=SENDABLE)
        .values("channel", "notification__critical", "notification__recipient_id")
        .first()
    )
    if row is None or row["notification__critical"] or row["channel"] not in HELD_BY_QUIET_HOURS:
        return None
    quiet = QuietHours.objects.filter(user_id=row["notification__recipient_id"]).first()
    until = quiet_until(quiet, timezone.now())
    return (row["channel"], until) if until else None


def delivery_attempt(*, delivery_id: int) -> str | dt.datetime:
    """Try one delivery; its status afterwards, or when to try again (quiet hours).
    Raises DeliveryFailed while retries remain."""
    held = held_until(delivery_id)
    if held is not None:
        channel, until = held
        Delivery.objects.filter(pk=delivery_id, status__in=SENDABLE).update(
            status=Delivery.Status.DEFERRED, not_before=until, updated_at=timezone.now()
        )
        metrics.NOTIFICATION_DELIVERIES.labels(channel, "deferred").inc()
        return until
    if not _claim(delivery_id):
        return (
            Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
            or "gone"
        )
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    try:
        provider_id = SENDERS[delivery.channel](delivery)
    except SendRefused as exc:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, error=str(exc)[:500], updated_at=timezone.now()
        )
        metrics.NOTIFICATION_DELIVERIES.labels(delivery.channel, "failed").inc()
        logger.warning("notification_delivery_refused", extra={"delivery": delivery.pk})
        return Delivery.Status.FAILED
    except (OSError, smtplib.SMTPException) as exc:
        final = delivery.attempts >= MAX_ATTEMPTS
        status = Delivery.Status.FAILED if final else Delivery.Status.RETRYING
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status, error=f"{type(exc).__name__}: {exc}"[:500], updated_at=timezone.now()
        )
        metrics.NOTIFICATION_DELIVERIES.labels(
            delivery.channel, "failed" if final else "retried"
        ).inc()
        logger.warning(
            "notification_delivery_failed", extra={"delivery": delivery.pk, "final": final}
        )
        if final:
            return status
        raise DeliveryFailed(str(exc)) from None
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, provider_id=provider_id, error="",
        sent_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
    metrics.NOTIFICATION_DELIVERIES.labels(delivery.channel, "sent").inc()
    return Delivery.Status.SENT


def _send_email(delivery: Delivery) -> str:
    notification = delivery.notification
    link = f"{settings.PUBLIC_URL}{notification.link}" if notification.link else ""
    context: dict[str, Any] = {
        "delivery": delivery, "notification": notification, "link": link,
        "preferences": f"{settings.PUBLIC_URL}{reverse('notification-preferences')}",
    }  # fmt: skip
    message_id = f"<notification-{notification.pk}-{delivery.channel}@simplepro>"
    message = EmailMultiAlternatives(
        subject=delivery.subject or notification.title,
        body=render_to_string("notifications/email.txt", context),
        to=[delivery.address],
        headers={"Message-ID": message_id},
    )
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    message.send()
    return message_id


def _sms_body(delivery: Delivery) -> str:
    """The worded text, with the link to the object where it fits."""
    text = delivery.text or delivery.notification.title
    link = delivery.notification.link
    url = f" {settings.PUBLIC_URL}{link}" if link else ""
    return text + url if len(text) + len(url) <= SMS_LIMIT else text


def _send_sms(delivery: Delivery) -> str:
    provider = sms_provider()
    if provider is None:  # turned off after the delivery was made: say so, do not pretend
        raise SendRefused("SMS is off: no SMS provider is configured.")
    if opted_out(delivery.address):
        raise SendRefused("The number texted STOP: no texts until it texts START.")
    body = _sms_body(delivery)
    if delivery.attempts > 1:  # the last try may have reached the provider: ask it first
        earlier = provider.find_sent(
            to=delivery.address, body=body, since=delivery.created_at - dt.timedelta(minutes=5)
        )
        if earlier:
            logger.info("notification_sms_already_sent", extra={"delivery": delivery.pk})
            return earlier
    return provider.send(
        to=delivery.address,
        body=body,
        status_url=f"{settings.PUBLIC_URL}{reverse('twilio-status')}",
    )


SENDERS: dict[str, Callable[[Delivery], str]] = {
    Channel.EMAIL: _send_email,
    Channel.SMS: _send_sms,
    Channel.PUSH: send_push,
}
