"""SMS through a provider interface, Twilio (the `twilio` library) when configured.

Without credentials there is no provider: SMS is off, the settings page and `check-deploy`
say so, and no SMS delivery is ever made, so nothing is recorded as sent that was not.

A send can fail three ways, and each is treated differently:
- refused by the provider (a 4xx: a number that cannot receive SMS, one that texted STOP):
  final, never retried, the provider's reason recorded;
- not reached (connection refused, DNS): retried;
- uncertain (a timeout or a 5xx after the request left us: the provider may have accepted
  it): retried, but the retry first asks the provider for a message with the same recipient,
  sender and text sent since the delivery was made, and records that one instead of sending
  again. That is the deduplication the provider's API lets us do (it has no idempotency key
  for messages).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from simplepro.notifications.errors import SendFailed, SendRefused
from simplepro.notifications.models import SmsOptOut

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
# Twilio's message states that end a message's life, and which of ours they mean.
FINAL_STATES = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}


@dataclass(frozen=True)
class StatusReport:
    provider_id: str
    state: str  # the provider's own word: queued, sent, delivered, undelivered, failed …
    error: str


class SmsProvider(Protocol):
    name: str

    def send(self, *, to: str, body: str, status_url: str) -> str:
        """Hand the message over; the provider's id for it."""

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> str | None:
        """The id of a message with this recipient and text sent since `since`, if any."""

    def signature_valid(self, *, url: str, params: dict[str, str], signature: str) -> bool:
        """Whether a webhook request really comes from the provider."""


class TwilioProvider:
    name = "twilio"

    def __init__(self, *, account_sid: str, auth_token: str, sender: str, api_url: str = ""):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.request_validator import RequestValidator
        from twilio.rest import Client

        self.sender = sender
        self.client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS)
        )
        if api_url:  # a regional gateway or, in the tests, a local server playing Twilio
            self.client.api.base_url = api_url.rstrip("/")
        self.validator = RequestValidator(auth_token)

    def _sender(self) -> dict[str, str]:
        # A messaging service ("MG…") picks the number itself; otherwise send from ours.
        if self.sender.startswith("MG"):
            return {"messaging_service_sid": self.sender}
        return {"from_": self.sender}

    def send(self, *, to: str, body: str, status_url: str) -> str:
        from twilio.base.exceptions import TwilioRestException

        try:
            message = self.client.messages.create(
                to=to, body=body, status_callback=status_url or None, **self._sender()
            )
        except TwilioRestException as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                raise SendRefused(f"Twilio {exc.code or exc.status}: {exc.msg}") from None
            raise SendFailed(f"Twilio answered {exc.status}: {exc.msg}") from None
        except Exception as exc:  # requests' connection errors and timeouts
            raise SendFailed(f"{type(exc).__name__}: {exc}") from None
        return str(message.sid)

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> str | None:
        try:
            recent = self.client.messages.list(to=to, date_sent_after=since, limit=50)
        except Exception as exc:
            raise SendFailed(f"Could not ask Twilio what it sent: {exc}") from None
        for message in recent:
            if message.body == body and message.direction != "inbound":
                return str(message.sid)
        return None

    def signature_valid(self, *, url: str, params: dict[str, str], signature: str) -> bool:
        return bool(signature) and bool(self.validator.validate(url, params, signature))


def sms_provider() -> SmsProvider | None:
    """The configured provider, or None: SMS is off."""
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM):
        return None
    return TwilioProvider(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        sender=settings.TWILIO_FROM,
        api_url=settings.TWILIO_API_URL,
    )


def sms_enabled() -> bool:
    return sms_provider() is not None


# The carriers' opt-out and opt-in words (Twilio honours the same ones itself).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                        "OPTOUT"})  # fmt: skip
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


def opted_out(phone: str) -> bool:
    return SmsOptOut.objects.filter(phone=phone).exists()


def opt_out_keyword(phone: str, body: str) -> str | None:
    """Record STOP or START when the text is one of those words; the word, else None."""
    word = body.strip().upper().rstrip(".!")
    if word in STOP_WORDS:
        SmsOptOut.objects.get_or_create(phone=phone, defaults={"keyword": word})
        logger.info("sms_opted_out", extra={"keyword": word})
        return word
    if word in START_WORDS:
        SmsOptOut.objects.filter(phone=phone).delete()
        logger.info("sms_opted_in", extra={"keyword": word})
        return word
    return None


def status_report(params: dict[str, Any]) -> StatusReport | None:
    """A delivery-status callback's content, or None when it names no message."""
    sid = str(params.get("MessageSid") or params.get("SmsSid") or "")
    state = str(params.get("MessageStatus") or params.get("SmsStatus") or "")
    if not sid or not state:
        return None
    code = str(params.get("ErrorCode") or "")
    return StatusReport(sid[:200], state[:20], f"Twilio error {code}" if code else "")
