"""SMS through the real `twilio` library against a local server playing Twilio's API
(tests/twilio.py: Twilio itself cannot be reached from here), and its delivery-status webhook
signed with the library's own RequestValidator."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from simplepro.accounts.models import Role
from simplepro.notifications.delivery import DeliveryFailed, delivery_attempt
from simplepro.notifications.models import Delivery, Notification
from simplepro.notifications.preferences import quiet_hours_save
from simplepro.notifications.services import notify
from simplepro.notifications.sms import sms_enabled
from tests.twilio import FakeTwilio, fake_twilio

pytestmark = pytest.mark.django_db
STATUS_URL = "https://movers.example/webhooks/twilio/status"


@pytest.fixture
def twilio(settings: Any) -> Iterator[FakeTwilio]:
    settings.PUBLIC_URL = "https://movers.example"
    with fake_twilio() as fake:
        yield fake


def _assigned(person: Any) -> Notification:
    (made,) = notify(
        recipients=[person], event="job_assigned", link="/jobs/abc/",
        context={"job": {"number": "J-7", "customer": "Ana", "start": "Tue 08:00",
                         "window": "08:00–09:00", "pickup": "5 Pickup Rd"}, "role": "Lead"},
    )  # fmt: skip
    return made


def _sms(notification: Notification) -> Delivery:
    return Delivery.objects.get(notification=notification, channel="sms")


def test_without_credentials_sms_is_off_and_nothing_is_queued(make_user: Any) -> None:
    person = make_user(Role.CREW_LEAD, phone="+1 415 555 0100")
    assert not sms_enabled()
    notification = _assigned(person)
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["email"]


def test_settings_page_says_sms_is_off(make_user: Any, web_as: Any) -> None:
    page = web_as(make_user(Role.CREW_LEAD)).get("/notifications/preferences/").content.decode()
    assert "SMS is off" in page


def test_a_crew_member_gets_a_text_through_twilio(twilio: FakeTwilio, make_user: Any) -> None:
    person = make_user(Role.CREW_LEAD, phone="(415) 555-0100")
    delivery = _sms(_assigned(person))
    assert delivery.address == "+14155550100"  # normalised with the company's region
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"  # the task ran twice: one text
    (message,) = twilio.messages
    assert message["to"] == "+14155550100" and message["from"] == "+15005550006"
    assert message["body"] == (
        "You are on job J-7 (Lead). Ana, Tue 08:00. Arrive 08:00–09:00 "
        "at 5 Pickup Rd. https://movers.example/jobs/abc/"
    )
    assert message["status_callback"] == STATUS_URL
    delivery.refresh_from_db()
    assert delivery.provider_id == message["sid"] and delivery.status == "sent"


def test_a_number_the_provider_refuses_fails_at_once(twilio: FakeTwilio, make_user: Any) -> None:
    twilio.mode = "refuse"
    delivery = _sms(_assigned(make_user(Role.CREW_LEAD, phone="+14155550100")))
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and "21211" in delivery.error
    assert twilio.requests == 1  # never retried


def test_a_provider_that_is_down_is_retried(twilio: FakeTwilio, make_user: Any) -> None:
    twilio.mode = "down"
    delivery = _sms(_assigned(make_user(Role.CREW_LEAD, phone="+14155550100")))
    with pytest.raises(DeliveryFailed):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and "503" in delivery.error
    twilio.mode = "ok"
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"
    assert len(twilio.messages) == 1


def test_a_retry_after_the_provider_accepted_does_not_text_twice(
    twilio: FakeTwilio, make_user: Any
) -> None:
    """Twilio took the message but its answer was lost: the retry finds it instead of
    sending it again."""
    twilio.mode = "accept_then_fail"
    delivery = _sms(_assigned(make_user(Role.CREW_LEAD, phone="+14155550100")))
    with pytest.raises(DeliveryFailed):
        delivery_attempt(delivery_id=delivery.pk)
    twilio.mode = "ok"
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"
    (message,) = twilio.messages
    delivery.refresh_from_db()
    assert delivery.provider_id == message["sid"] and delivery.attempts == 2


def _callback(client: Client, twilio: FakeTwilio, params: dict[str, str], *, sign: bool = True):
    signature = twilio.sign(STATUS_URL, params) if sign else "bad"
    return client.post("/webhooks/twilio/status", params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_status_callbacks_record_delivery_and_ignore_replays(
    twilio: FakeTwilio, make_user: Any
) -> None:
    delivery = _sms(_assigned(make_user(Role.CREW_LEAD, phone="+14155550100")))
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    client = Client()
    delivered = {"MessageSid": delivery.provider_id, "MessageStatus": "delivered"}
    assert _callback(client, twilio, delivered).status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    # a late "failed" or the same callback replayed changes nothing: final is final
    late = {
        "MessageSid": delivery.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    assert _callback(client, twilio, late).status_code == 204
    assert _callback(client, twilio, delivered).status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.error == ""


def test_an_undelivered_text_records_the_providers_error(
    twilio: FakeTwilio, make_user: Any
) -> None:
    delivery = _sms(_assigned(make_user(Role.CREW_LEAD, phone="+14155550100")))
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    params = {"MessageSid": delivery.provider_id, "MessageStatus": "undelivered",
              "ErrorCode": "30003"}  # fmt: skip
    assert _callback(Client(), twilio, params).status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.error == "Twilio error 30003"


def test_a_callback_with_a_bad_signature_is_refused_and_logged(
    twilio: FakeTwilio, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = _sms(_assigned(make_user(Role.CREW_LEAD, phone="+14155550100")))
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    params = {"MessageSid": delivery.provider_id, "MessageStatus": "failed"}
    with caplog.at_level(logging.WARNING):
        assert _callback(Client(), twilio, params, sign=False).status_code == 403
        # signed for other parameters than the ones sent: refused too
        forged = Client().post("/webhooks/twilio/status", params,
                               HTTP_X_TWILIO_SIGNATURE=twilio.sign(STATUS_URL, {"a": "b"}))  # fmt: skip
        assert forged.status_code == 403
    assert [r.message for r in caplog.records].count("webhook_signature_refused") == 2
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_callbacks_are_refused_when_sms_is_off(make_user: Any) -> None:
    response = Client().post("/webhooks/twilio/status", {"MessageSid": "SM1"})
    assert response.status_code == 403


def test_quiet_hours_hold_a_text_until_they_end(
    twilio: FakeTwilio, make_user: Any, settings: Any
) -> None:
    person = make_user(Role.CREW_LEAD, phone="+14155550100")
    now = dt.datetime.now(dt.UTC)
    start = (now - dt.timedelta(hours=1)).time().replace(microsecond=0)
    end = (now + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    quiet_hours_save(user=person, start=start, end=end, time_zone="UTC")
    notification = _assigned(person)
    delivery = _sms(notification)
    outcome = delivery_attempt(delivery_id=delivery.pk)
    assert isinstance(outcome, dt.datetime) and outcome.time() == end
    delivery.refresh_from_db()
    assert delivery.status == "deferred" and delivery.not_before == outcome
    assert twilio.messages == []
    # e-mail does not wait: quiet hours are for what buzzes a phone
    email = Delivery.objects.get(notification=notification, channel="email")
    assert delivery_attempt(delivery_id=email.pk) == "sent"
    # once the hours are over, the held text goes
    quiet_hours_save(user=person, start=end, end=start, time_zone="UTC")
    assert delivery_attempt(delivery_id=delivery.pk) == "sent"
    assert len(twilio.messages) == 1


def test_critical_events_ignore_quiet_hours(twilio: FakeTwilio, make_user: Any) -> None:
    admin = make_user(Role.ADMIN, phone="+14155550101")
    quiet_hours_save(user=admin, start=dt.time(0, 0), end=dt.time(23, 59), time_zone="UTC")
    from simplepro.notifications.preferences import preferences_save

    preferences_save(user=admin, choices={("backup_problem", "sms"): True})
    (made,) = notify(recipients=[admin], event="backup_problem", context={"problems": "Stale."})
    assert delivery_attempt(delivery_id=_sms(made).pk) == "sent"


def test_choosing_sms_while_it_is_off_is_refused(api_as: Any, make_user: Any) -> None:
    client = api_as(make_user(Role.CREW_LEAD))
    response = client.put_json(
        "/api/notifications/preferences",
        [{"event": "job_assigned", "channel": "sms", "enabled": True}],
    )
    assert response.status_code == 422 and "SMS is off" in response.json()["errors"][0]["message"]


def test_with_a_provider_people_choose_texts(
    twilio: FakeTwilio, make_user: Any, web_as: Any
) -> None:
    person = make_user(Role.SALES, phone="+14155550100")
    browser = web_as(person)
    page = browser.get("/notifications/preferences/").content.decode()
    assert 'name="quote_accepted:sms"' in page and "SMS is off" not in page
    browser.post("/notifications/preferences/", {"quote_accepted:sms": "on"})
    (made,) = notify(recipients=[person], event="quote_accepted",
                     context={"customer": "Ana", "total": "USD 10.00"})  # fmt: skip
    assert list(made.deliveries.values_list("channel", flat=True)) == ["sms"]


def test_quiet_hours_over_the_api_and_the_page(api_as: Any, make_user: Any, web_as: Any) -> None:
    person = make_user(Role.CREW_MEMBER)
    client = api_as(person)
    bad_zone = client.put_json("/api/notifications/quiet-hours",
                               {"start": "22:00", "end": "07:00", "time_zone": "Mars/Olympus"})  # fmt: skip
    assert bad_zone.status_code == 422 and bad_zone.json()["errors"][0]["field"] == "time_zone"
    empty = client.put_json("/api/notifications/quiet-hours",
                            {"start": "22:00", "end": "22:00", "time_zone": "UTC"})  # fmt: skip
    assert empty.status_code == 422
    saved = client.put_json("/api/notifications/quiet-hours",
                            {"start": "22:00", "end": "07:00", "time_zone": "America/Chicago"})  # fmt: skip
    assert saved.json() == {"start": "22:00:00", "end": "07:00:00", "time_zone": "America/Chicago"}
    assert client.get("/api/notifications/quiet-hours").json()["time_zone"] == "America/Chicago"
    browser = web_as(person)
    assert (
        "Quiet from 22:00 until 07:00"
        in browser.get("/notifications/preferences/").content.decode()
    )
    response = browser.post("/notifications/quiet-hours/",
                            {"start": "23:00", "end": "06:30", "time_zone": "Nowhere"}, follow=True)  # fmt: skip
    assert "Not a time zone: Nowhere" in response.content.decode()
    browser.post("/notifications/quiet-hours/", {"clear": "1"})
    assert client.get("/api/notifications/quiet-hours").json()["start"] is None


def test_quiet_hours_across_midnight_end_the_next_morning() -> None:
    from simplepro.notifications.models import QuietHours
    from simplepro.notifications.preferences import quiet_until

    quiet = QuietHours(start=dt.time(22), end=dt.time(7), time_zone="America/New_York")
    ends = quiet_until(quiet, dt.datetime(2027, 3, 2, 4, 30, tzinfo=dt.UTC))  # 23:30 in New York
    assert ends is not None and ends.isoformat() == "2027-03-02T07:00:00-05:00"
    early = quiet_until(quiet, dt.datetime(2027, 3, 2, 10, 0, tzinfo=dt.UTC))  # 05:00 there
    assert early is not None and early.isoformat() == "2027-03-02T07:00:00-05:00"
    assert quiet_until(quiet, dt.datetime(2027, 3, 2, 15, 0, tzinfo=dt.UTC)) is None  # 10:00
