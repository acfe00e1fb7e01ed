"""Customers' e-mail replies: an SMTP server (aiosmtpd) that takes mail for the inbound
address only (SIMPLEPRO_INBOUND_EMAIL, and its local+token@domain forms), strips the quoted
history (email-reply-parser) and files each message in its customer's thread.

Run by `simplepro receive-mail` behind the MX of the inbound domain (docs/operations/
inbound-email.md). It never relays: any other recipient is refused with 550, so it cannot be
used to send spam. A message without a usable text part is stored as "(no text)".
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils.html import strip_tags
from email_reply_parser import EmailReplyParser

from simplepro.core.problems import ProblemError
from simplepro.messaging.inbound import message_receive
from simplepro.messaging.models import Message

logger = logging.getLogger(__name__)
MAX_BYTES = 10 * 1024 * 1024


def ours(address: str) -> bool:
    """Whether `address` is the inbound address or one of its +token forms."""
    if not settings.INBOUND_EMAIL or "@" not in address:
        return False
    local, domain = address.lower().rsplit("@", 1)
    want_local, want_domain = settings.INBOUND_EMAIL.lower().rsplit("@", 1)
    return domain == want_domain and local.split("+", 1)[0] == want_local


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return strip_tags(content) if part.get_content_type() == "text/html" else str(content)


def mail_store(raw: bytes, recipients: list[str]) -> Message | None:
    """File one received e-mail; None when it cannot be (no sender)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    if not sender:
        return None
    provider_id = str(message.get("Message-ID", "")).strip() or (
        "sha256:" + hashlib.sha256(raw).hexdigest()
    )
    body = EmailReplyParser.parse_reply(_text(message)).strip() or "(no text)"
    stored, _ = message_receive(
        channel=Message.Channel.EMAIL, address=sender, body=body, provider_id=provider_id,
        subject=str(message.get("Subject", "")), to=recipients,
    )  # fmt: skip
    return stored


def _store_in_thread(raw: bytes, recipients: list[str]) -> Message | None:
    close_old_connections()
    try:
        return mail_store(raw, recipients)
    finally:
        close_old_connections()


class Inbox:
    """aiosmtpd handler: recipients checked at RCPT, messages filed at DATA."""

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if not ours(address):
            return "550 5.7.1 Relaying denied: not an address of ours"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        try:
            stored = await sync_to_async(_store_in_thread, thread_sensitive=False)(
                envelope.content, list(envelope.rcpt_tos)
            )
        except ProblemError as problem:
            logger.warning("inbound_mail_refused", extra={"detail": problem.explanation})
            return "550 5.6.0 Message refused"
        except Exception:
            logger.exception("inbound_mail_failed")
            return "451 4.3.0 Try again later"  # the sender's server retries
        if stored is None:
            return "550 5.1.7 No sender address"
        return "250 OK: filed"


def mail_server(host: str, port: int) -> Controller:
    return Controller(Inbox(), hostname=host, port=port, data_size_limit=MAX_BYTES)
