"""Messages from the office to a customer, by SMS or e-mail.

A reply goes out on the channel the customer last wrote on (a text is answered by text, an
e-mail by e-mail); a thread the office starts uses the customer's phone when SMS is on and
the number has not texted STOP, else their e-mail. The message is stored first ("queued"),
then sent by a task once the transaction commits, claimed by a conditional update so it is
never sent twice; like notifications, a retry after a send that may have reached Twilio asks
Twilio first.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from simplepro.accounts.services import company_get
from simplepro.core import metrics
from simplepro.core.problems import invalid
from simplepro.core.queue import task
from simplepro.customers.models import Customer, CustomerLookup
from simplepro.messaging.models import Conversation, Message
from simplepro.messaging.unsubscribe import unsubscribe_url, unsubscribed
from simplepro.notifications.catalogue import CATALOGUE
from simplepro.notifications.delivery import MAX_ATTEMPTS, DeliveryFailed
from simplepro.notifications.errors import SendRefused
from simplepro.notifications.sms import opted_out, sms_provider

logger = logging.getLogger(__name__)
THREAD_SALT = "simplepro.messaging.thread"


def _first(customer: Customer, kind: str) -> str:
    return (
        CustomerLookup.objects.filter(customer=customer, kind=kind)
        .order_by("pk")
        .values_list("value", flat=True)
        .first()
        or ""
    )


def reply_fields(conversation: Conversation, *, channel: str = "") -> dict[str, Any]:
    """Channel and address of a message to the customer of `conversation` (on `channel`
    only, when given); 422 naming why when there is no way to reach them."""
    last = (
        conversation.messages.filter(direction=Message.Direction.INBOUND)
        .order_by("-id")
        .values("channel", "address")
        .first()
        if conversation.pk  # a thread not started yet (a rule's test run) has no history
        else None
    )
    choices: list[tuple[str, str]] = []
    if last:
        choices.append((last["channel"], last["address"]))
    if conversation.customer:
        choices += [(Message.Channel.SMS, _first(conversation.customer, CustomerLookup.Kind.PHONE)),
                    (Message.Channel.EMAIL, _first(conversation.customer, CustomerLookup.Kind.EMAIL))]  # fmt: skip
    elif conversation.address:
        by_email = "@" in conversation.address
        choices.append((Message.Channel.EMAIL if by_email else Message.Channel.SMS,
                        conversation.address))  # fmt: skip
    if channel:
        choices = [choice for choice in choices if choice[0] == channel]
    reasons = []
    for chosen, address in choices:
        if not address:
            continue
        if chosen == Message.Channel.SMS and sms_provider() is None:
            reasons.append("SMS is off")
            continue
        if chosen == Message.Channel.SMS and opted_out(address):
            reasons.append(f"{address} texted STOP")
            continue
        return {"direction": Message.Direction.OUTBOUND, "channel": chosen, "address": address,
                "status": Message.Status.QUEUED}  # fmt: skip
    nothing = f"no {'phone' if channel == 'sms' else 'e-mail'} on file" if channel else (
        "no phone or e-mail on file")  # fmt: skip
    why = "; ".join(dict.fromkeys(reasons)) or nothing
    raise invalid("body", "unreachable", f"This customer cannot be written to: {why}.")


def send_on_commit(message: Message) -> None:
    message_id = message.pk
    transaction.on_commit(lambda: send_message(message_id))


def thread_address(conversation: Conversation) -> str:
    """The reply address that leads an e-mail back into this thread (local+token@domain)."""
    if not settings.INBOUND_EMAIL or "@" not in settings.INBOUND_EMAIL:
        return ""
    local, domain = settings.INBOUND_EMAIL.split("@", 1)
    return f"{local}+{conversation.pk.hex}.{_seal(conversation.pk.hex)}@{domain}"


def _seal(key: str) -> str:
    # Lower-case hex: mail servers may change the case of the local part.
    return salted_hmac(THREAD_SALT, key).hexdigest()[:20]


def thread_from_address(address: str) -> Conversation | None:
    """The thread a reply address names, if its seal is ours (else None: filed by sender)."""
    local = address.split("@", 1)[0].lower()
    key, _, seal = local.partition("+")[2].partition(".")
    if not key or not constant_time_compare(seal, _seal(key)):
        return None
    try:
        return Conversation.objects.filter(pk=uuid.UUID(key)).first()
    except ValueError:
        return None


def _claim(message_id: int) -> bool:
    return (
        Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
            status=Message.Status.SENDING, attempts=F("attempts") + 1
        )
        == 1
    )


def _send_sms(message: Message) -> str:
    provider = sms_provider()
    if provider is None:
        raise SendRefused("SMS is off: no SMS provider is configured.")
    if opted_out(message.address):
        raise SendRefused("The number texted STOP: no texts until it texts START.")
    if message.attempts > 1:
        earlier = provider.find_sent(
            to=message.address, body=message.body,
            since=message.created_at - dt.timedelta(minutes=5),
        )  # fmt: skip
        if earlier:
            return earlier
    return provider.send(
        to=message.address, body=message.body,
        status_url=f"{settings.PUBLIC_URL}{reverse('twilio-message-status')}",
    )  # fmt: skip


def _offer(message: Message) -> bool:
    """Whether it is not about the customer's own move (its unsubscribe link applies)."""
    event = CATALOGUE.get(message.automatic.split(":", 1)[0]) if message.automatic else None
    return event is not None and not event.transactional


def _send_email(message: Message) -> str:
    conversation = message.conversation
    message_id = f"<message-{message.pk}@simplepro>"
    reply_to = thread_address(conversation)
    headers = {"Message-ID": message_id}
    body = message.body
    if _offer(message):
        if unsubscribed(message.address):
            raise SendRefused("The customer unsubscribed from offers and follow-ups.")
        link = unsubscribe_url(message.address)
        body += f"\n\n--\nNo more offers or follow-ups from us: {link}"
        headers |= {"List-Unsubscribe": f"<{link}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}  # fmt: skip
    email = EmailMessage(
        subject=message.subject or f"A message from {company_get().name}",
        body=body,
        to=[message.address],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    email.send()
    return message_id


SENDERS: dict[str, Callable[[Message], str]] = {
    Message.Channel.SMS: _send_sms,
    Message.Channel.EMAIL: _send_email,
}


def message_send_attempt(message_id: int) -> str:
    """Send one queued message to its customer; its status afterwards."""
    if not _claim(message_id):
        return Message.objects.filter(pk=message_id).values_list("status", flat=True).first() or ""
    message = Message.objects.select_related("conversation").get(pk=message_id)
    try:
        provider_id = SENDERS[message.channel](message)
    except SendRefused as exc:
        _finish(message, Message.Status.FAILED, error=str(exc))
        return Message.Status.FAILED
    except (OSError, smtplib.SMTPException) as exc:
        final = message.attempts >= MAX_ATTEMPTS
        status = Message.Status.FAILED if final else Message.Status.QUEUED
        _finish(message, status, error=f"{type(exc).__name__}: {exc}")
        if final:
            return status
        raise DeliveryFailed(str(exc)) from None
    _finish(message, Message.Status.SENT, provider_id=provider_id)
    return Message.Status.SENT


def _finish(message: Message, status: str, *, error: str = "", provider_id: str = "") -> None:
    Message.objects.filter(pk=message.pk).update(
        status=status, error=error[:500], provider_id=provider_id or message.provider_id
    )
    outcome = {"sent": "sent", "failed": "failed"}.get(status, "retried")
    metrics.NOTIFICATION_DELIVERIES.labels(f"customer_{message.channel}", outcome).inc()
    if status == Message.Status.FAILED:
        logger.warning("customer_message_failed", extra={"message": message.pk})


@task(name="messaging.send")
def send_message(message_id: int) -> str:
    """One message to a customer; retried with backoff while the provider is unreachable."""
    return message_send_attempt(message_id)
