"""Sending notifications outside the app (e-mail today), recorded per notification and channel.

A delivery is claimed with a conditional update (queued or retrying → sending) before anything
is sent, so two workers, a retried task or a task enqueued twice never send it twice. A
delivery left "sending" (a worker killed after the provider may have accepted it) is never
resent by itself: it shows in the delivery log for a person to judge. Failures are retried
with backoff by the task queue (3 retries), then recorded as failed.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from simplepro.core import metrics
from simplepro.notifications.models import Channel, Delivery

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 4  # the first try and the queue's 3 retries


class DeliveryFailed(Exception):
    """Raised so the task queue retries the delivery later."""


def _claim(delivery_id: int) -> bool:
    claimed = Delivery.objects.filter(
        pk=delivery_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.RETRYING]
    ).update(status=Delivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now())
    return claimed == 1


def delivery_attempt(*, delivery_id: int) -> str:
    """Try one delivery; its status afterwards. Raises DeliveryFailed while retries remain."""
    if not _claim(delivery_id):
        return (
            Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
            or "gone"
        )
    delivery = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    try:
        provider_id = SENDERS[delivery.channel](delivery)
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
    context: dict[str, Any] = {"notification": notification, "link": link,
                               "preferences": f"{settings.PUBLIC_URL}/notifications/preferences/"}  # fmt: skip
    message_id = f"<notification-{notification.pk}-{delivery.channel}@simplepro>"
    message = EmailMultiAlternatives(
        subject=notification.title,
        body=render_to_string("notifications/email.txt", context),
        to=[delivery.address],
        headers={"Message-ID": message_id},
    )
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    message.send()
    return message_id


SENDERS: dict[str, Callable[[Delivery], str]] = {Channel.EMAIL: _send_email}
