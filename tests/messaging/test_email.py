"""Customers' e-mail replies through the real SMTP receiver (aiosmtpd on a local port, sent
to with smtplib): filed by the thread address or the sender, quoted history stripped, stored
once per Message-ID, and no relaying for anyone else."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from simplepro.messaging.mailbox import mail_server
from simplepro.messaging.models import Conversation, Message
from simplepro.messaging.outbound import message_send_attempt, thread_address
from simplepro.messaging.services import customer_thread, message_post
from tests.messaging.conftest import Company
from tests.server import free_port

pytestmark = pytest.mark.django_db(transaction=True)
INBOUND = "messages@in.movers.example"


@pytest.fixture
def receiver(settings: Any) -> Iterator[int]:
    settings.INBOUND_EMAIL = INBOUND
    port = free_port()
    server = mail_server("127.0.0.1", port)
    server.start()
    yield port
    server.stop()


def _mail(
    port: int, *, sender: str, to: str, body: str, message_id: str, subject: str = "Re: your move"
) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


REPLY = """Friday is fine, thank you.

On Mon, 7 Dec 2026 at 10:00, Bay State Movers <office@movers.example> wrote:
> Could we move you on Friday instead?
> Kind regards
"""


def test_a_reply_to_the_thread_address_is_filed_without_the_quote(
    receiver: int, moving_company: Company
) -> None:
    thread = customer_thread(customer=moving_company.customer)
    _mail(receiver, sender="Someone Else <other@example.org>", to=thread_address(thread),
          body=REPLY, message_id="<r1@example.org>")  # fmt: skip
    (message,) = thread.messages.all()
    assert message.body == "Friday is fine, thank you."
    assert (message.channel, message.address, message.subject) == (
        "email",
        "other@example.org",
        "Re: your move",
    )


def test_mail_from_a_known_address_finds_the_customer_and_is_stored_once(
    receiver: int, moving_company: Company
) -> None:
    for _ in range(2):  # a sending server retrying after a lost answer
        _mail(receiver, sender="ana@example.com", to=INBOUND, body="Hello!", message_id="<r2@x>")
    thread = Conversation.objects.get(customer=moving_company.customer)
    assert list(thread.messages.values_list("body", flat=True)) == ["Hello!"]


def test_mail_from_a_stranger_waits_in_the_unmatched_inbox(
    receiver: int, moving_company: Company
) -> None:
    _mail(receiver, sender="new@example.net", to=INBOUND, body="Quote please", message_id="<r3@x>")
    assert Conversation.objects.get(customer=None).address == "new@example.net"


def test_a_forged_thread_token_is_filed_by_the_sender_instead(
    receiver: int, moving_company: Company
) -> None:
    _mail(receiver, sender="ana@example.com", to="messages+forged@in.movers.example",
          body="Hi", message_id="<r4@x>")  # fmt: skip
    assert Message.objects.get().conversation.customer == moving_company.customer


def test_other_recipients_are_refused_no_relaying(receiver: int, moving_company: Company) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _mail(
            receiver,
            sender="spam@example.net",
            to="victim@example.com",
            body="x",
            message_id="<r5@x>",
        )
    assert b"Relaying denied" in refused.value.recipients["victim@example.com"][1]
    assert not Message.objects.exists()


def test_an_email_reply_to_the_customer_carries_the_thread_address(
    receiver: int, moving_company: Company, mailoutbox: Any
) -> None:
    _mail(
        receiver,
        sender="ana@example.com",
        to=INBOUND,
        body="When do you arrive?",
        message_id="<r6@x>",
    )
    thread = Conversation.objects.get(customer=moving_company.customer)
    reply = message_post(actor=moving_company.people["sales"], conversation=thread, body="At 8.")
    assert reply.channel == "email" and reply.address == "ana@example.com"
    assert message_send_attempt(reply.pk) == "sent"
    (sent,) = mailoutbox
    assert sent.to == ["ana@example.com"] and sent.reply_to == [thread_address(thread)]
    assert sent.body == "At 8."
