"""Web push through the real `pywebpush` library to a local server playing a push service
(tests/webpush.py): encrypted for the device, signed with our VAPID key, dropped devices
forgotten, retried while the service is down, and held by quiet hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from simplepro.accounts.models import Role
from simplepro.notifications.delivery import DeliveryFailed, delivery_attempt
from simplepro.notifications.models import Delivery, PushSubscription
from simplepro.notifications.preferences import preferences_save, quiet_hours_save
from simplepro.notifications.services import notify
from tests.webpush import FakePushService, fake_push_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    with fake_push_service() as service:
        yield service


def _subscribe(client: Any, service: FakePushService) -> Any:
    device = service.device()
    response = client.post_json("/api/notifications/push-subscriptions",
                                {"endpoint": device.endpoint, "keys": device.keys})  # fmt: skip
    assert response.status_code == 201, response.json()
    return device


def _assigned(person: Any) -> Any:
    (made,) = notify(recipients=[person], event="job_assigned", link="/jobs/abc/",
                     context={"job": {"number": "J-3", "customer": "Ana"}, "role": "Lead"})  # fmt: skip
    return made


def test_a_push_reaches_every_device_encrypted_and_signed(
    push_service: FakePushService, make_user: Any, api_as: Any
) -> None:
    person = make_user(Role.CREW_LEAD)
    client = api_as(person)
    key = client.get("/api/notifications/push-key").json()
    assert key["enabled"] and len(key["public_key"]) == 87  # a P-256 point, base64url
    phone, laptop = _subscribe(client, push_service), _subscribe(client, push_service)
    preferences_save(user=person, choices={("job_assigned", "push"): True})
    made = _assigned(person)
    delivery = Delivery.objects.get(notification=made, channel="push")
    assert delivery.address == "2 device(s)"
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"
    assert {r["device"] for r in push_service.received} == {phone.endpoint, laptop.endpoint}
    (first, _) = push_service.received
    assert first["payload"] == {"title": "You are on job J-3 (Lead)", "body": made.body,
                                "link": "/jobs/abc/", "id": made.pk}  # fmt: skip
    assert first["topic"] == f"n{made.pk}" and int(first["ttl"]) > 0


def test_a_device_the_service_forgot_is_dropped(
    push_service: FakePushService, make_user: Any, api_as: Any
) -> None:
    person = make_user(Role.CREW_LEAD)
    _subscribe(api_as(person), push_service)
    preferences_save(user=person, choices={("job_assigned", "push"): True})
    push_service.mode = "gone"
    delivery = Delivery.objects.get(notification=_assigned(person), channel="push")
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    assert not PushSubscription.objects.exists()
    delivery.refresh_from_db()
    assert "unsubscribed" in delivery.error


def test_a_service_that_is_down_is_retried(
    push_service: FakePushService, make_user: Any, api_as: Any
) -> None:
    person = make_user(Role.CREW_LEAD)
    _subscribe(api_as(person), push_service)
    preferences_save(user=person, choices={("job_assigned", "push"): True})
    push_service.mode = "down"
    delivery = Delivery.objects.get(notification=_assigned(person), channel="push")
    with pytest.raises(DeliveryFailed):
        delivery_attempt(delivery_id=delivery.pk)
    push_service.mode = "ok"
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"
    assert len(push_service.received) == 1


def test_quiet_hours_hold_pushes(
    push_service: FakePushService, make_user: Any, api_as: Any
) -> None:
    person = make_user(Role.CREW_LEAD)
    _subscribe(api_as(person), push_service)
    preferences_save(user=person, choices={("job_assigned", "push"): True})
    now = dt.datetime.now(dt.UTC)
    quiet_hours_save(user=person, start=(now - dt.timedelta(hours=1)).time(),
                     end=(now + dt.timedelta(hours=1)).time(), time_zone="UTC")  # fmt: skip
    delivery = Delivery.objects.get(notification=_assigned(person), channel="push")
    assert isinstance(delivery_attempt(delivery_id=delivery.pk), dt.datetime)
    assert push_service.received == []


def test_bad_subscriptions_are_refused(make_user: Any, api_as: Any, settings: Any) -> None:
    client = api_as(make_user(Role.CREW_LEAD))
    keys = {"p256dh": "BOr", "auth": "x"}
    insecure = client.post_json("/api/notifications/push-subscriptions",
                                {"endpoint": "http://push.example/abc", "keys": keys})  # fmt: skip
    assert insecure.status_code == 422 and insecure.json()["errors"][0]["field"] == "endpoint"
    settings.VAPID_PRIVATE_KEY = ""
    off = client.post_json("/api/notifications/push-subscriptions",
                           {"endpoint": "https://push.example/abc", "keys": keys})  # fmt: skip
    assert off.status_code == 422 and "Push is off" in off.json()["errors"][0]["message"]
    assert client.get("/api/notifications/push-key").json() == {"enabled": False, "public_key": ""}
    assert not PushSubscription.objects.exists()


def test_the_service_worker_is_served_from_the_root(client: Any) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200 and response["Content-Type"] == "text/javascript"
    assert "showNotification" in response.content.decode()
