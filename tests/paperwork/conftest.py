"""A long-distance job with an accepted estimate, a truck and an inventory, for the paperwork."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from simplepro.accounts.models import User
from simplepro.accounts.services import company_get
from simplepro.customers.services import customer_create
from simplepro.jobs.models import CrewMember, Truck
from simplepro.jobs.services import assignment_create, job_create

START = datetime.datetime(2027, 3, 2, 13, 0, tzinfo=datetime.UTC)


@pytest.fixture
def move(personas: dict[str, User]) -> dict[str, Any]:
    owner = personas["super_admin"]
    company = company_get()
    company.legal_name, company.usdot_number = "Acme Moving LLC", "1234567"
    company.address_line1, company.city, company.phone = "1 Depot Rd", "Boston", "+16175550100"
    company.save()
    customer = customer_create(actor=owner, data={
        "type": "residential", "name": "Dana Mover", "emails": ["dana@example.com"],
        "assigned_salesperson_id": personas["sales"].pk})  # fmt: skip
    job = job_create(actor=owner, customer=customer, data={
        "job_type": "long_distance",
        "scheduled_start": START, "scheduled_end": START + datetime.timedelta(hours=8),
        "pickup_address": {"line1": "12 Elm St", "city": "Boston"},
        "delivery_address": {"line1": "9 Oak Ave", "city": "Albany"},
        "inventory": [{"key": "sofa", "name": "Sofa", "quantity": 1, "room": "Living room"},
                      {"key": "piano_upright", "name": "Upright piano", "quantity": 1}]})  # fmt: skip
    lead = CrewMember.objects.create(name="Lee Lead", user=personas["crew_lead"])
    truck = Truck.objects.create(name="Truck 7", capacity_cuft=1600, license_plate="MA 7TRK")
    assignment_create(actor=owner, job=job, crew_member=lead, role="lead")
    assignment_create(actor=owner, job=job, truck=truck)
    return {"customer": customer, "job": job}


def code_from(mailoutbox: list[Any]) -> str:
    """The code the customer received (only they see it; the tests read their inbox)."""
    found = re.search(r"\b(\d{6})\b", mailoutbox[-1].body)
    assert found, mailoutbox[-1].body
    return found.group(1)


def one_byte_changed(sealed: bytes) -> bytes:
    """The sealed PDF with one byte of the first page's content changed: a byte the seal
    covers, away from the seal's own bytes (where a change would make it unreadable instead)."""
    at = sealed.index(b"stream\n") + 40
    changed = bytearray(sealed)
    changed[at] ^= 0x01
    return bytes(changed)
