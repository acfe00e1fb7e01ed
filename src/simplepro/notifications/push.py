"""Web push (the `pywebpush` library): notifications on staff browsers and crew phones, even
with SimplePro closed. Each device subscribes through its browser's push service; a message
is encrypted for that device (aes128gcm) and signed with our VAPID key
(SIMPLEPRO_VAPID_PRIVATE_KEY). Without a key push is off, and the settings page says so.

A notification goes to every device of the person. A push service that answers 404 or 410
has forgotten the device: the subscription is dropped. Every message carries a `Topic` per
notification, so a retry replaces a copy the service still holds rather than adding one.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from simplepro.core.problems import invalid
from simplepro.notifications.errors import SendFailed, SendRefused
from simplepro.notifications.models import Delivery, PushSubscription

logger = logging.getLogger(__name__)
TTL_SECONDS = 12 * 3600  # a push not delivered within half a day is no longer news
TIMEOUT_SECONDS = 10


def push_enabled() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY)


def _vapid() -> Any:
    from py_vapid import Vapid02

    return Vapid02.from_pem(settings.VAPID_PRIVATE_KEY.encode())


def public_key() -> str:
    """The applicationServerKey browsers subscribe with (base64url, uncompressed point)."""
    from cryptography.hazmat.primitives import serialization

    raw = _vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscription_save(
    *, user: Any, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Remember a device; 422 naming the field for an endpoint or keys we cannot use."""
    if not push_enabled():
        raise invalid("endpoint", "off", "Push is off: this server has no VAPID key.")
    parts = urlsplit(endpoint)
    local = parts.hostname in ("127.0.0.1", "localhost") and not settings.PRODUCTION
    if parts.scheme != "https" and not local:
        raise invalid("endpoint", "insecure", "A push endpoint is an https:// address.")
    for name, value in (("p256dh", p256dh), ("auth", auth)):
        try:
            base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (ValueError, TypeError):
            raise invalid(f"keys.{name}", "invalid", f"keys.{name} is not base64url.") from None
    with transaction.atomic(durable=True):
        subscription, _ = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]},
        )
    return subscription


def subscription_delete(*, user: Any, endpoint: str) -> int:
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted


def send_push(delivery: Delivery) -> str:
    """Push one notification to every device of its person; how many took it."""
    from pywebpush import WebPushException, webpush

    if not push_enabled():
        raise SendRefused("Push is off: this server has no VAPID key.")
    notification = delivery.notification
    devices = list(PushSubscription.objects.filter(user_id=notification.recipient_id))
    if not devices:
        raise SendRefused("No device of this person accepts push messages any more.")
    payload = json.dumps({"title": delivery.subject or notification.title,
                          "body": delivery.text or notification.body,
                          "link": notification.link, "id": notification.pk})  # fmt: skip
    vapid, took, errors = _vapid(), 0, []
    for device in devices:
        info = {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
        try:
            webpush(info, data=payload, vapid_private_key=vapid,
                    vapid_claims={"sub": settings.VAPID_SUBJECT}, ttl=TTL_SECONDS,
                    timeout=TIMEOUT_SECONDS, headers={"Topic": f"n{notification.pk}"})  # fmt: skip
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                device.delete()
                logger.info("push_subscription_gone", extra={"user": str(device.user_id)})
                continue
            errors.append(f"{urlsplit(device.endpoint).hostname}: {status or exc}")
            continue
        except Exception as exc:  # requests' connection errors and timeouts
            errors.append(f"{urlsplit(device.endpoint).hostname}: {type(exc).__name__}")
            continue
        took += 1
        PushSubscription.objects.filter(pk=device.pk).update(last_sent_at=timezone.now())
    if took:
        return f"{took} device(s)"
    if errors:
        raise SendFailed("; ".join(errors)[:400])
    raise SendRefused("Every device of this person has unsubscribed.")
