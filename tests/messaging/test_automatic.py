"""What SimplePro tells customers by itself: booking confirmed, the day before (with the
arrival window), crew on the way; by text when it can, else e-mail; once each; in the
customer's thread; worded by the company's templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from simplepro.jobs.services import job_transition
from simplepro.messaging.automatic import day_before_send
from simplepro.messaging.models import Conversation, Message
from simplepro.messaging.outbound import message_send_attempt
from simplepro.notifications.wording import template_save
from tests.messaging.conftest import Company
from tests.twilio import FakeTwilio, fake_twilio

pytestmark = pytest.mark.django_db


@pytest.fixture
def twilio(settings: Any) -> Iterator[FakeTwilio]:
    settings.PUBLIC_URL = "https://movers.example"
    with fake_twilio() as fake:
        yield fake


def _automatic(company: Company) -> list[Message]:
    return list(
        Message.objects.filter(conversation__customer=company.customer).exclude(automatic="")
    )


def test_confirming_a_job_emails_the_customer_once(
    moving_company: Company, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner, job = moving_company.people["dispatcher"], moving_company.job
    with django_capture_on_commit_callbacks(execute=True):
        job_transition(actor=owner, job=job, to="confirmed")
    (message,) = _automatic(moving_company)
    assert message.channel == "email" and message.address == "ana@example.com"  # SMS is off
    assert message.subject == "Your move with My Moving Company is booked"
    assert f"your move {job.number} is booked" in message.body
    assert message.author is None and message.direction == "outbound"
    assert message_send_attempt(message.pk) == "sent"
    assert mailoutbox[-1].to == ["ana@example.com"]
    # back to scheduled and confirmed again: told once
    job_transition(actor=owner, job=job, to="scheduled")
    job_transition(actor=owner, job=job, to="confirmed")
    assert len(_automatic(moving_company)) == 1


def test_crew_on_the_way_goes_by_text_with_the_crew(
    twilio: FakeTwilio, moving_company: Company, django_capture_on_commit_callbacks: Any
) -> None:
    owner, job = moving_company.people["dispatcher"], moving_company.job
    job_transition(actor=owner, job=job, to="confirmed")
    job_transition(
        actor=moving_company.people["crew_lead"], job=job, to="en_route", field_only=True
    )
    on_way = Message.objects.get(automatic=f"customer_crew_on_way:{job.number}")
    assert on_way.channel == "sms" and on_way.address == "+14155550142"
    assert "your crew (Lead Person) is on the way" in on_way.body
    assert message_send_attempt(on_way.pk) == "sent"
    assert twilio.messages[-1]["body"] == on_way.body


def test_the_company_wording_is_used(twilio: FakeTwilio, moving_company: Company) -> None:
    template_save(user=moving_company.people["admin"], event_key="customer_booking_confirmed",
                  channel="sms", parts={"text": "{{ company }}: booked {{ job.start }}, see you!"})  # fmt: skip
    job_transition(
        actor=moving_company.people["dispatcher"], job=moving_company.job, to="confirmed"
    )
    (message,) = _automatic(moving_company)
    assert message.body == "My Moving Company: booked Tue 02 Mar, 08:00, see you!"


def test_the_day_before_message_has_the_arrival_window_and_goes_once(
    moving_company: Company, company: Any
) -> None:
    job = moving_company.job
    job.arrival_window_start = job.scheduled_start
    job.arrival_window_end = job.scheduled_start + dt.timedelta(hours=1)
    job.save()
    evening = (job.scheduled_start - dt.timedelta(days=1)).replace(hour=23, minute=30)  # 18:30 EST
    assert day_before_send(now=evening - dt.timedelta(hours=5)) == 0  # before 5 pm: not yet
    assert day_before_send(now=evening) == 1
    assert day_before_send(now=evening + dt.timedelta(minutes=30)) == 0
    (message,) = _automatic(moving_company)
    assert "The crew arrives 08:00–09:00" in message.body


def test_a_customer_who_cannot_be_reached_does_not_stop_the_job(
    moving_company: Company,
) -> None:
    other = moving_company.other_customer  # a phone, no e-mail, and SMS is off
    from simplepro.jobs.services import job_create

    start = dt.datetime(2027, 4, 2, 13, 0, tzinfo=dt.UTC)
    job = job_create(actor=moving_company.people["dispatcher"], customer=other,
                     data={"scheduled_start": start, "scheduled_end": start + dt.timedelta(hours=4)})  # fmt: skip
    job_transition(actor=moving_company.people["dispatcher"], job=job, to="confirmed")
    job.refresh_from_db()
    assert job.status == "confirmed"
    assert not Message.objects.filter(conversation__customer=other).exists()
    assert Conversation.objects.filter(customer=other).count() == 1


@pytest.fixture
def an_offer(monkeypatch: pytest.MonkeyPatch) -> str:
    """A message that is not about a booked move (the sales pipeline's follow-ups will be)."""
    import dataclasses

    from simplepro.notifications import catalogue

    offer = dataclasses.replace(catalogue.CATALOGUE["customer_day_before"], key="customer_offer",
                                transactional=False)  # fmt: skip
    monkeypatch.setitem(catalogue.CATALOGUE, "customer_offer", offer)
    return "customer_offer"


def test_offers_carry_an_unsubscribe_link_that_works(
    moving_company: Company, an_offer: str, mailoutbox: Any, client: Any
) -> None:
    from simplepro.messaging.automatic import customer_message_send

    job = moving_company.job
    first = customer_message_send(job=job, event=an_offer, key="offer:1")
    assert first is not None and message_send_attempt(first.pk) == "sent"
    (sent,) = mailoutbox
    link = sent.extra_headers["List-Unsubscribe"].strip("<>")
    assert (
        link in sent.body
        and sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )
    path = link.removeprefix("https://movers.example").removeprefix("http://127.0.0.1:8000")
    assert "Unsubscribe" in client.get(path).content.decode()
    assert "gets no more offers" in client.post(path).content.decode()  # one click
    assert customer_message_send(job=job, event=an_offer, key="offer:2") is None
    # what is about the booked move still goes, and carries no link
    confirmed = customer_message_send(job=job, event="customer_booking_confirmed", key="c:1")
    assert confirmed is not None and message_send_attempt(confirmed.pk) == "sent"
    assert "List-Unsubscribe" not in mailoutbox[-1].extra_headers
    assert client.get("/u/forged-token/").status_code == 404
