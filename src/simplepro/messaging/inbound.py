"""Messages from customers: texts from Twilio's webhook, e-mails from `simplepro
receive-mail`. Each lands in its customer's thread: a text matched by the E.164 number, an
e-mail by the thread address it answers or the sender's address; from anyone else, in the
unmatched inbox, one thread per number or address, until the office attaches it to a
customer or makes a lead of it. A message the provider delivers twice (a retried webhook, a
mail resent) is stored once: its provider id is unique."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction

from simplepro.accounts.models import User
from simplepro.core.problems import invalid
from simplepro.customers.models import Customer, CustomerLookup
from simplepro.customers.services import customer_create
from simplepro.messaging.models import MAX_BODY, Conversation, Message
from simplepro.messaging.outbound import thread_from_address
from simplepro.messaging.services import announce, customer_thread
from simplepro.notifications.sms import opt_out_keyword

logger = logging.getLogger(__name__)


def _customer_with(kind: str, value: str) -> Customer | None:
    """The customer with this phone or e-mail (several: the one most recently changed)."""
    return (
        Customer.objects.filter(lookups__kind=kind, lookups__value=value, archived_at__isnull=True)
        .order_by("-updated_at")
        .first()
    )


def _thread_for(channel: str, address: str, to: list[str]) -> Conversation:
    if channel == Message.Channel.EMAIL:
        for recipient in to:
            if (thread := thread_from_address(recipient)) is not None:
                return thread
    kind = (
        CustomerLookup.Kind.PHONE if channel == Message.Channel.SMS else CustomerLookup.Kind.EMAIL
    )
    customer = _customer_with(kind, address)
    if customer is not None:
        return customer_thread(customer=customer)
    conversation, _ = Conversation.objects.get_or_create(
        kind=Conversation.Kind.CUSTOMER, customer=None, address=address
    )
    return conversation


def message_receive(
    *,
    channel: str,
    address: str,
    body: str,
    provider_id: str,
    subject: str = "",
    to: list[str] | None = None,
) -> tuple[Message, bool]:
    """Store a customer's message (and a STOP / START); (message, whether it is new)."""
    if not provider_id or not address:
        raise invalid("provider_id", "required", "An inbound message needs its id and sender.")
    earlier = Message.objects.filter(channel=channel, provider_id=provider_id).first()
    if earlier is not None:
        logger.info("inbound_message_replayed", extra={"channel": channel})
        return earlier, False
    try:
        with transaction.atomic():
            conversation = _thread_for(channel, address.strip().lower() if channel ==
                                       Message.Channel.EMAIL else address.strip(), to or [])  # fmt: skip
            if channel == Message.Channel.SMS:
                opt_out_keyword(address, body)
            message = Message.objects.create(
                conversation=conversation, direction=Message.Direction.INBOUND, channel=channel,
                address=address, body=body.strip()[:MAX_BODY] or "(empty)", subject=subject[:200],
                provider_id=provider_id[:200], status=Message.Status.RECEIVED,
            )  # fmt: skip
            announce(message)
    except IntegrityError:  # the same message, stored by a concurrent request a moment ago
        return Message.objects.get(channel=channel, provider_id=provider_id), False
    return message, True


def unmatched_attach(
    *, actor: User, conversation: Conversation, customer: Customer
) -> Conversation:
    """File an unmatched thread under a customer: its messages join the customer's thread."""
    if not conversation.unmatched:
        raise invalid("conversation", "matched", "This thread already belongs to a customer.")
    with transaction.atomic(durable=True):
        thread = customer_thread(customer=customer)
        conversation.messages.update(conversation=thread)
        latest = thread.messages.order_by("-id").values_list("created_at", flat=True).first()
        Conversation.objects.filter(pk=thread.pk).update(last_message_at=latest)
        conversation.delete()
    logger.info("unmatched_attached", extra={"customer": str(customer.pk)})
    return thread


def unmatched_to_lead(*, actor: User, conversation: Conversation, name: str) -> Conversation:
    """Make a new lead of whoever wrote, with their number or address, and file the thread."""
    if not conversation.unmatched:
        raise invalid("conversation", "matched", "This thread already belongs to a customer.")
    contact: dict[str, Any] = (
        {"emails": [conversation.address]} if "@" in conversation.address
        else {"phones": [conversation.address]}
    )  # fmt: skip
    customer = customer_create(
        actor=actor,
        data={"type": "residential", "name": (name or "").strip() or conversation.address,
              "source": "phone" if "phones" in contact else "other", **contact},
    )  # fmt: skip
    return unmatched_attach(actor=actor, conversation=conversation, customer=customer)
