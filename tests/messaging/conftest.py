from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from simplepro.accounts.models import User
from simplepro.customers.models import Customer
from simplepro.customers.services import customer_create
from simplepro.jobs.models import CrewMember, Job
from simplepro.jobs.services import assignment_create, job_create


@dataclass
class Company:
    people: dict[str, User]
    customer: Customer  # the sales persona's customer
    other_customer: Customer  # sales2's
    job: Job  # the customer's job, led by the crew lead


@pytest.fixture
def moving_company(personas: dict[str, User]) -> Company:
    owner = personas["super_admin"]
    customer = customer_create(actor=owner, data={
        "type": "residential", "name": "Ana Customer", "phones": ["+1 415 555 0142"],
        "emails": ["ana@example.com"], "assigned_salesperson_id": personas["sales"].pk,
    })  # fmt: skip
    other = customer_create(actor=owner, data={
        "type": "residential", "name": "Bo Other", "phones": ["+1 415 555 0199"],
        "assigned_salesperson_id": personas["sales2"].pk,
    })  # fmt: skip
    start = dt.datetime(2027, 3, 2, 13, 0, tzinfo=dt.UTC)
    job = job_create(actor=owner, customer=customer,
                     data={"scheduled_start": start, "scheduled_end": start + dt.timedelta(hours=6)})  # fmt: skip
    lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
    CrewMember.objects.create(name="Other Person", user=personas["crew_member"])
    assignment_create(actor=owner, job=job, crew_member=lead, role="lead")
    return Company(personas, customer, other, job)
