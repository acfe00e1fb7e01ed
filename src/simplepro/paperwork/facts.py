"""What the paperwork prints about a move, read once from the job, its estimate, the company and
the crew's condition notes into plain values, so rendering is a pure function of them (the same
facts print the same bytes)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simplepro.accounts.models import Company
from simplepro.estimates.services import ruleset_of
from simplepro.jobs.models import Job
from simplepro.paperwork.models import ConditionNote, Stage
from simplepro.pricing.ruleset import ValuationPolicy

# The descriptive inventory's exception codes, as movers and their customers know them.
CONDITION_CODES = {
    "BE": "bent", "BR": "broken", "BU": "burned", "CH": "chipped", "CU": "contents unknown",
    "D": "dented", "F": "faded", "G": "gouged", "L": "loose", "M": "marred", "MI": "mildew",
    "MO": "moth-eaten", "PBO": "packed by owner", "R": "rubbed", "RU": "rusted",
    "SC": "scratched", "SH": "short", "SO": "soiled", "T": "torn", "W": "badly worn",
    "Z": "cracked",
}  # fmt: skip
CONDITION_PLACES = {
    "1": "arm", "2": "bottom", "3": "corner", "4": "front", "5": "left", "6": "leg",
    "7": "rear", "8": "right", "9": "side", "10": "top", "11": "veneer", "12": "edge",
    "13": "face", "14": "inside", "15": "seat", "16": "drawer", "17": "door", "18": "shelf",
    "19": "hardware",
}  # fmt: skip
# Until the payments module lets a company set its own: what the crew accepts at delivery.
PAYMENT_FORMS = "cash, certified check, money order, or credit or debit card"
ESTIMATE_KINDS = {
    "binding": "Binding estimate",
    "non_binding": "Non-binding estimate",
    "not_to_exceed": "Not-to-exceed (binding not-to-exceed) estimate",
}


@dataclass(frozen=True)
class Line:
    number: int
    item: str
    room: str
    quantity: int
    pickup: tuple[str, ...] = ()
    delivery: tuple[str, ...] = ()


@dataclass(frozen=True)
class MoveFacts:
    printed_at: dt.datetime  # the PDF's creation date: the job's own moment, never "now"
    company: dict[str, str]
    job_number: str
    job_type: str
    interstate: bool
    customer: str
    customer_phone: str
    customer_email: str
    origin: str
    destination: str
    pickup_window: str
    delivery_window: str
    estimate_ref: str
    estimate_kind: str
    estimate_type: str
    total: Decimal | None
    deposit: Decimal
    currency: str
    valuation_kind: str
    declared_value: Decimal | None
    valuation_charge: Decimal
    released_per_lb: Decimal
    vehicles: tuple[str, ...]
    lines: tuple[Line, ...] = field(default=())


def _place(address: dict[str, Any]) -> str:
    parts = ("line1", "line2", "city", "region", "postal_code")
    return ", ".join(str(address[k]) for k in parts if address.get(k)) or "To be confirmed"


def _day(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%A %d %B %Y") if moment else "To be agreed"


def _window(start: dt.datetime | None, end: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    if not start:
        return "To be agreed"
    text = start.astimezone(zone).strftime("%A %d %B %Y, from %H:%M")
    return f"{text} to {end.astimezone(zone):%H:%M}" if end else text


def _notes(job: Job) -> dict[tuple[int, str], tuple[str, ...]]:
    """Each line's latest note per stage, as printable exceptions ("SC, D at 4 front: ...")."""
    latest: dict[tuple[int, str], ConditionNote] = {}
    for note in ConditionNote.objects.filter(job=job):
        latest[(note.line, note.stage)] = note  # ordered by time: the last one wins
    printed = {}
    for key, note in latest.items():
        codes = ", ".join(note.codes)
        places = ", ".join(f"{p} {CONDITION_PLACES.get(p, '')}".strip() for p in note.places)
        words = " at ".join(x for x in (codes, places) if x)
        printed[key] = tuple(x for x in (words, note.note) if x)
    return printed


def company_facts(company: Company) -> dict[str, str]:
    address = ", ".join(
        x for x in (company.address_line1, company.address_line2, company.city, company.region,
                    company.postal_code) if x
    )  # fmt: skip
    return {
        "name": company.legal_name or company.name,
        "trading_as": company.name,
        "address": address or "Address not set",
        "phone": company.phone or "Phone not set",
        "email": company.email,
        "usdot": company.usdot_number or "not set",
        "mc": company.mc_number or "",
    }


def move_facts(job: Job, company: Company) -> MoveFacts:
    zone = zoneinfo.ZoneInfo(company.time_zone)
    version = job.estimate_version
    given: dict[str, Any] = version.input if version else {}
    result: dict[str, Any] = version.result if version else {}
    breakdown = result.get("breakdown", {})
    valuation = given.get("valuation") or {"kind": "released"}
    policy = (ruleset_of(version.ruleset).valuation if version else None) or ValuationPolicy()
    notes = _notes(job)
    lines = tuple(
        Line(
            number=index + 1,
            item=str(line.get("name") or line.get("key") or f"Item {index + 1}"),
            room=str(line.get("room", "")),
            quantity=int(line.get("quantity", 1) or 1),
            pickup=notes.get((index, Stage.PICKUP), ()),
            delivery=notes.get((index, Stage.DELIVERY), ()),
        )
        for index, line in enumerate(job.inventory or [])
    )
    trucks = [a.truck for a in job.assignments.select_related("truck").order_by("truck__name")]
    vehicles = tuple(f"{t.name} (plate {t.license_plate})" for t in trucks if t is not None)
    customer = job.customer
    declared = valuation.get("declared_value")
    return MoveFacts(
        printed_at=job.created_at,
        company=company_facts(company),
        job_number=job.number,
        job_type=job.job_type,
        interstate=job.job_type == "long_distance",
        customer=customer.name,
        customer_phone=(customer.phones or [""])[0],
        customer_email=(customer.emails or [""])[0],
        origin=_place(job.pickup_address),
        destination=_place(job.delivery_address),
        pickup_window=_window(job.arrival_window_start or job.scheduled_start,
                              job.arrival_window_end, zone),
        delivery_window=_day(job.scheduled_end, zone) if job.job_type != "long_distance"
        else "Within the delivery spread agreed on the order for service",
        estimate_ref=f"{job.estimate_id}, version {version.number}" if version else "none",
        estimate_kind=ESTIMATE_KINDS[given.get("estimate_type", "non_binding")],
        estimate_type=given.get("estimate_type", "non_binding"),
        total=job.total,
        deposit=Decimal(breakdown.get("deposit_due", "0")),
        currency=company.currency,
        valuation_kind=valuation.get("kind", "released"),
        declared_value=Decimal(str(declared)) if declared is not None else None,
        valuation_charge=Decimal(breakdown.get("valuation", "0")),
        released_per_lb=policy.released_value_per_lb,
        vehicles=vehicles,
        lines=lines,
    )  # fmt: skip
