"""Customers' threads: texts in through Twilio's signed webhook (the real `twilio` library
against tests/twilio.py, a local server playing Twilio), matched by E.164 number or waiting in
the unmatched inbox; replies out on the channel the customer used; STOP and START honoured;
who may read which thread."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from simplepro.customers.models import Customer
from simplepro.messaging.models import Conversation, Message
from simplepro.messaging.outbound import message_send_attempt
from simplepro.notifications.models import SmsOptOut
from tests.messaging.conftest import Company
from tests.twilio import FakeTwilio, fake_twilio

pytestmark = pytest.mark.django_db
INBOUND_URL = "https://movers.example/webhooks/twilio/sms"
STATUS_URL = "https://movers.example/webhooks/twilio/message-status"


@pytest.fixture
def twilio(settings: Any) -> Iterator[FakeTwilio]:
    settings.PUBLIC_URL = "https://movers.example"
    with fake_twilio() as fake:
        yield fake


def _text_in(twilio: FakeTwilio, sender: str, body: str, sid: str, *, sign: bool = True) -> Any:
    params = {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": body}
    signature = twilio.sign(INBOUND_URL, params) if sign else "forged"
    return Client().post("/webhooks/twilio/sms", params, HTTP_X_TWILIO_SIGNATURE=signature)


def _thread_of(customer: Customer) -> Conversation:
    return Conversation.objects.get(customer=customer)


def test_a_text_from_a_customer_lands_in_their_thread(
    twilio: FakeTwilio, moving_company: Company, api_as: Any
) -> None:
    response = _text_in(twilio, "+14155550142", "Can you come at 9 instead?", "SM1")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    thread = _thread_of(moving_company.customer)
    (message,) = thread.messages.all()
    assert (message.direction, message.channel, message.body) == ("inbound", "sms",
                                                                  "Can you come at 9 instead?")  # fmt: skip
    people = moving_company.people
    url = f"/api/messages/customers/{moving_company.customer.pk}"
    assert api_as(people["sales"]).get(url).json()["id"] == str(thread.pk)  # their customer
    assert api_as(people["customer_service"]).get(url).status_code == 200  # every customer
    assert api_as(people["sales2"]).get(url).status_code == 404  # not theirs
    assert api_as(people["crew_lead"]).get(url).status_code == 403  # crews: their jobs only
    listed = api_as(people["sales"]).get("/api/messages/conversations?kind=customer").json()
    assert [(c["title"], c["unread"]) for c in listed] == [("Ana Customer", 1)]


def test_forged_and_replayed_texts_write_nothing_twice(
    twilio: FakeTwilio, moving_company: Company
) -> None:
    assert _text_in(twilio, "+14155550142", "hi", "SM2", sign=False).status_code == 403
    assert not Message.objects.exists()
    for _ in range(3):  # Twilio retries a webhook it thinks failed: one message
        assert _text_in(twilio, "+14155550142", "hi", "SM3").status_code == 200
    assert Message.objects.count() == 1
    unsigned = Client().post("/webhooks/twilio/sms", {"MessageSid": "SM4", "From": "+1"})
    assert unsigned.status_code == 403


def test_unknown_numbers_wait_in_the_unmatched_inbox_until_filed(
    twilio: FakeTwilio, moving_company: Company, api_as: Any
) -> None:
    _text_in(twilio, "+14155550777", "Do you move pianos?", "SM5")
    _text_in(twilio, "+14155550777", "Next Friday", "SM6")
    unmatched = Conversation.objects.get(customer=None)
    assert unmatched.address == "+14155550777" and unmatched.messages.count() == 2
    people = moving_company.people
    office = api_as(people["customer_service"])
    assert [c["unmatched"] for c in office.get("/api/messages/conversations").json()] == [True]
    assert (
        api_as(people["sales"]).get(f"/api/messages/conversations/{unmatched.pk}").status_code
        == 404
    )
    lead = office.post_json(
        f"/api/messages/conversations/{unmatched.pk}/lead", {"name": "Cy Piano"}
    )
    assert lead.status_code == 201, lead.json()
    customer = Customer.objects.get(name="Cy Piano")
    assert customer.phones == ["+14155550777"]
    assert _thread_of(customer).messages.count() == 2
    assert not Conversation.objects.filter(customer=None).exists()
    # the next text from that number goes straight to the new customer's thread
    _text_in(twilio, "+14155550777", "Thanks", "SM7")
    assert _thread_of(customer).messages.count() == 3


def test_filing_under_an_existing_customer_merges_the_threads(
    twilio: FakeTwilio, moving_company: Company, api_as: Any
) -> None:
    _text_in(twilio, "+14155550142", "from the usual number", "SM8")
    _text_in(twilio, "+14155550888", "from my work phone", "SM9")
    unmatched = Conversation.objects.get(customer=None)
    office = api_as(moving_company.people["dispatcher"])
    filed = office.post_json(f"/api/messages/conversations/{unmatched.pk}/attach",
                             {"customer_id": str(moving_company.customer.pk)})  # fmt: skip
    assert filed.status_code == 200
    bodies = list(_thread_of(moving_company.customer).messages.values_list("body", flat=True))
    assert bodies == ["from the usual number", "from my work phone"]


def test_a_reply_goes_back_by_text_and_its_delivery_is_recorded(
    twilio: FakeTwilio, moving_company: Company, api_as: Any
) -> None:
    _text_in(twilio, "+14155550142", "Can you come at 9?", "SM10")
    thread = _thread_of(moving_company.customer)
    sales = api_as(moving_company.people["sales"])
    reply = sales.post_json(
        f"/api/messages/conversations/{thread.pk}/messages", {"body": "Yes, 9 works."}
    )
    assert reply.status_code == 201 and reply.json()["status"] == "queued"
    assert reply.json()["channel"] == "sms"
    assert message_send_attempt(reply.json()["id"]) == "sent"
    (sent,) = twilio.messages
    assert (sent["to"], sent["body"]) == ("+14155550142", "Yes, 9 works.")
    assert sent["status_callback"] == STATUS_URL
    params = {"MessageSid": sent["sid"], "MessageStatus": "delivered"}
    callback = Client().post("/webhooks/twilio/message-status", params,
                             HTTP_X_TWILIO_SIGNATURE=twilio.sign(STATUS_URL, params))  # fmt: skip
    assert callback.status_code == 204
    assert Message.objects.get(pk=reply.json()["id"]).status == "delivered"


def test_stop_is_honoured_until_start(
    twilio: FakeTwilio, moving_company: Company, api_as: Any
) -> None:
    _text_in(twilio, "+14155550142", "STOP", "SM11")
    assert SmsOptOut.objects.filter(phone="+14155550142").exists()
    thread = _thread_of(moving_company.customer)
    sales = api_as(moving_company.people["sales"])
    # no text to that number: the reply goes by e-mail (the customer has one)
    reply = sales.post_json(f"/api/messages/conversations/{thread.pk}/messages", {"body": "Noted."})
    assert reply.json()["channel"] == "email"
    assert message_send_attempt(reply.json()["id"]) == "sent"
    assert mail.outbox[-1].to == ["ana@example.com"] and twilio.messages == []
    _text_in(twilio, "+14155550142", "start", "SM12")
    assert not SmsOptOut.objects.exists()
    again = sales.post_json(
        f"/api/messages/conversations/{thread.pk}/messages", {"body": "Welcome back"}
    )
    assert again.json()["channel"] == "sms"


def test_a_customer_who_cannot_be_reached_is_a_422(moving_company: Company, api_as: Any) -> None:
    """SMS off and no e-mail: the office is told, nothing is written."""
    other = moving_company.other_customer
    manager = api_as(moving_company.people["manager"])
    thread = manager.get(f"/api/messages/customers/{other.pk}").json()["id"]
    response = manager.post_json(
        f"/api/messages/conversations/{thread}/messages", {"body": "Hello"}
    )
    assert response.status_code == 422
    assert "SMS is off" in response.json()["errors"][0]["message"]
    assert not Message.objects.exists()
