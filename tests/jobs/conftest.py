from __future__ import annotations

from typing import Any

import pytest

from simplepro.customers.services import customer_create
from simplepro.jobs.models import CrewMember, Truck


@pytest.fixture
def customer(personas: Any) -> Any:
    return customer_create(
        actor=personas["super_admin"],
        data={
            "type": "residential",
            "name": "Jo Mover",
            "emails": ["jo@example.com"],
            "assigned_salesperson_id": personas["sales"].pk,
        },
    )


@pytest.fixture
def crew(personas: Any) -> dict[str, CrewMember]:
    return {
        "ana": CrewMember.objects.create(
            name="Ana Lead", skills=["driver", "supervisor"], license_class="B",
            license_expires="2030-01-01", user=personas["crew_lead"], rating=5,
            home_base={"line1": "1 Home St", "city": "Boston", "latitude": 42.36, "longitude": -71.06},
        ),
        "ben": CrewMember.objects.create(
            name="Ben Mover", skills=["packer"], license_class="D", user=personas["crew_member"], rating=4,
        ),
        "cy": CrewMember.objects.create(name="Cy Piano", skills=["piano", "packer"], rating=3),
    }  # fmt: skip


@pytest.fixture
def trucks() -> dict[str, Truck]:
    return {
        "big": Truck.objects.create(
            name="26 ft box", capacity_cuft=1700, license_plate="MA 1", required_license_class="B"
        ),
        "van": Truck.objects.create(
            name="Cargo van", capacity_cuft=400, license_plate="MA 2", required_license_class="D"
        ),
    }


def job_body(
    customer: Any, day: int = 2, start: int = 8, hours: int = 6, **extra: Any
) -> dict[str, Any]:
    return {
        "customer_id": str(customer.pk),
        "scheduled_start": f"2027-03-{day:02d}T{start:02d}:00:00-05:00",
        "scheduled_end": f"2027-03-{day:02d}T{start + hours:02d}:00:00-05:00",
        "arrival_window_start": f"2027-03-{day:02d}T{start:02d}:00:00-05:00",
        "arrival_window_end": f"2027-03-{day:02d}T{start + 1:02d}:00:00-05:00",
        "pickup_address": {"line1": "5 Pickup Rd", "city": "Boston", "latitude": 42.35, "longitude": -71.05},
        "delivery_address": "9 Drop Ave, Cambridge MA",
        **extra,
    }  # fmt: skip
