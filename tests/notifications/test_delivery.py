"""E-mail deliveries through a real SMTP server (aiosmtpd listening on a local port): HTML and
text parts, recorded per notification and channel, retried while the server is down, never
sent twice, and only where the person's settings say so."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from simplepro.accounts.models import Role
from simplepro.notifications.delivery import MAX_ATTEMPTS, DeliveryFailed, delivery_attempt
from simplepro.notifications.models import Delivery, Notification
from simplepro.notifications.preferences import preferences_save
from simplepro.notifications.services import notify
from tests.server import free_port

pytestmark = pytest.mark.django_db


class Inbox:
    """aiosmtpd handler keeping every message the server accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.PUBLIC_URL = "https://movers.example"
    yield inbox
    controller.stop()


def _assigned(person: Any) -> Notification:
    """What a job assignment tells a crew member (e-mail on by default)."""
    (made,) = notify(
        recipients=[person], event="job_assigned", link="/jobs/abc/",
        context={"job": {"number": "J-1", "customer": "Ana", "start": "Tue 08:00",
                         "window": "08:00–09:00", "pickup": "5 Pickup Rd"}, "role": "Lead"},
    )  # fmt: skip
    return made


def test_an_email_with_text_and_html_reaches_the_server_once(smtp: Inbox, make_user: Any) -> None:
    person = make_user(Role.CREW_LEAD)
    delivery = Delivery.objects.get(notification=_assigned(person))
    assert (delivery.channel, delivery.status, delivery.address) == (
        "email",
        "queued",
        person.email,
    )
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"  # the task ran twice: one e-mail
    (message,) = smtp.messages
    assert message["Subject"] == "You are on job J-1 (Lead)" and message["To"] == person.email
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
             if not part.is_multipart()}  # fmt: skip
    assert "https://movers.example/jobs/abc/" in parts["text/plain"]
    assert 'href="https://movers.example/jobs/abc/"' in parts["text/html"]
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1 and delivery.sent_at
    assert delivery.provider_id == message["Message-ID"]


def test_a_server_that_is_down_is_retried_then_the_delivery_fails(
    settings: Any, make_user: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    delivery = Delivery.objects.get(notification=_assigned(make_user(Role.CREW_LEAD)))
    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(DeliveryFailed):
            delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert delivery.status == "retrying" and "ConnectionRefusedError" in delivery.error
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == MAX_ATTEMPTS


def test_a_delivery_a_worker_was_sending_when_it_died_is_not_sent_again(
    smtp: Inbox, make_user: Any
) -> None:
    """The provider may already have accepted it: sending again could mean two e-mails."""
    delivery = Delivery.objects.get(notification=_assigned(make_user(Role.CREW_LEAD)))
    Delivery.objects.filter(pk=delivery.pk).update(status="sending", attempts=1)
    assert delivery_attempt(delivery_id=delivery.pk) == "sending"
    assert smtp.messages == []


def test_settings_decide_whether_an_email_goes(smtp: Inbox, make_user: Any, web_as: Any) -> None:
    person = make_user(Role.CREW_LEAD)
    preferences_save(user=person, choices={("job_assigned", "email"): False})
    assert not Delivery.objects.filter(notification=_assigned(person)).exists()
    # the settings page turns it back on (an unchecked box is off, a checked one on)
    browser = web_as(person)
    assert (
        'name="job_assigned:email"' in browser.get("/notifications/preferences/").content.decode()
    )
    assert (
        browser.post("/notifications/preferences/", {"job_assigned:email": "on"}).status_code == 302
    )
    assert Delivery.objects.filter(notification=_assigned(person)).count() == 1
    # and nothing else by e-mail: every other box was left unchecked
    notify(recipients=[person], event="schedule_changed", context={"job": {}})
    assert Delivery.objects.count() == 1


def test_a_salesperson_hears_by_email_that_the_quote_was_opened(make_user: Any) -> None:
    """Role defaults: e-mail for a quote being opened is on for sales, off for others."""
    sales, manager = make_user(Role.SALES), make_user(Role.MANAGER)
    notify(recipients=[sales, manager], event="estimate_viewed",
           context={"customer": "Bo", "version": 1})  # fmt: skip
    told = Delivery.objects.values_list("notification__recipient", flat=True)
    assert list(told) == [sales.pk]


def test_bad_settings_are_refused_naming_the_problem(make_user: Any, api_as: Any) -> None:
    api = api_as(make_user(Role.SALES))
    response = api.put_json("/api/notifications/preferences",
                            [{"event": "job_teleported", "channel": "email", "enabled": True}])  # fmt: skip
    assert (
        response.status_code == 422 and "job_teleported" in response.json()["errors"][0]["message"]
    )
    response = api.put_json("/api/notifications/preferences",
                            [{"event": "job_assigned", "channel": "pigeon", "enabled": True}])  # fmt: skip
    assert response.status_code == 422


def test_administrators_see_the_delivery_log(smtp: Inbox, personas: dict[str, Any],
                                             web_as: Any, api_as: Any) -> None:  # fmt: skip
    delivery = Delivery.objects.get(notification=_assigned(personas["crew_lead"]))
    delivery_attempt(delivery_id=delivery.pk)
    page = web_as(personas["admin"]).get("/notifications/deliveries/").content.decode()
    assert "You are on job J-1 (Lead)" in page and "Sent" in page
    rows = api_as(personas["admin"]).get("/api/notifications/deliveries").json()
    assert rows[0]["status"] == "sent" and rows[0]["recipient"] == "crewlead"
    assert web_as(personas["dispatcher"]).get("/notifications/deliveries/").status_code == 403
