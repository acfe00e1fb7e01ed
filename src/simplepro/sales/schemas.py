from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AwareDatetime, EmailStr

from simplepro.accounts.schemas import Out, StrictIn

MoveSizeName = Literal[
    "studio", "one_bedroom", "two_bedrooms", "three_bedrooms", "four_bedrooms",
    "five_bedrooms", "office",
]  # fmt: skip
# The same, or "" for "not known": one Literal, so a bad value names the field plainly.
MoveSizeOrBlank = Literal[
    "", "studio", "one_bedroom", "two_bedrooms", "three_bedrooms", "four_bedrooms",
    "five_bedrooms", "office",
]  # fmt: skip
ServiceName = Literal["local", "long_distance", "storage", "packing_only"]
FlexibilityName = Literal["exact", "week", "month", "flexible"]
PriorityName = Literal["low", "medium", "high", "urgent"]
StatusName = Literal["open", "contacted", "quoted", "negotiating", "won", "lost", "cancelled"]
SourceName = Literal[
    "website", "referral", "repeat", "phone", "advertising", "social_media", "partner",
    "walk_in", "other",
]  # fmt: skip
ActivityKindName = Literal[
    "call", "email", "text", "meeting", "task", "note", "quote_sent", "follow_up"
]
SourceOrBlank = Literal[
    "", "website", "referral", "repeat", "phone", "advertising", "social_media", "partner",
    "walk_in", "other",
]  # fmt: skip
OutcomeName = Literal[
    "reached", "no_answer", "voicemail", "callback_requested", "not_interested", "converted",
    "done",
]  # fmt: skip


class PublicLeadIn(Schema):
    """What the web form sends. Unknown fields are ignored (site builders add their own);
    every field is bounded (docs/sales-web-form.md)."""

    name: str = Field(max_length=200)
    email: EmailStr | None = None
    phone: str = Field("", max_length=40)
    move_date: date | None = None
    flexible: bool = False
    from_postal_code: str = Field("", max_length=20)
    to_postal_code: str = Field("", max_length=20)
    from_address: str = Field("", max_length=300)
    to_address: str = Field("", max_length=300)
    move_size: MoveSizeOrBlank = ""
    service: ServiceName = "local"
    message: str = Field("", max_length=2000)
    source: SourceOrBlank = ""
    utm_source: str = Field("", max_length=200)
    utm_medium: str = Field("", max_length=200)
    utm_campaign: str = Field("", max_length=200)
    utm_term: str = Field("", max_length=200)
    utm_content: str = Field("", max_length=200)
    # The honeypot: hidden from people, filled in by bots.
    website: str = Field("", max_length=300)
    challenge: str = Field("", max_length=4096)


class PriceRangeOut(Out):
    """An indication for a typical move of the size chosen, with what it assumes."""

    low: Decimal
    high: Decimal
    currency: str
    ruleset: str
    assumptions: list[str]


class LeadReceivedOut(Out):
    id: UUID
    status: Literal["received"]
    # Only when the form shows a price range and a move size was given.
    price_range: PriceRangeOut | None = None


class PlaceIn(StrictIn):
    postal_code: str = Field("", max_length=20)
    address: str = Field("", max_length=300)
    floor: int = Field(0, ge=0, le=200)
    elevator: bool = False
    stairs_flights: int = Field(0, ge=0, le=50)
    long_carry_feet: int = Field(0, ge=0, le=5000)
    notes: str = Field("", max_length=500)


class OpportunityIn(StrictIn):
    customer_id: UUID
    service: ServiceName = "local"
    move_date: date | None = None
    flexibility: FlexibilityName = "exact"
    move_size: MoveSizeOrBlank = ""
    origin: PlaceIn | None = None
    destination: PlaceIn | None = None
    source: SourceOrBlank = ""
    campaign: str = Field("", max_length=120)
    priority: PriorityName = "medium"
    estimated_value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    notes: str = Field("", max_length=5000)
    salesperson_id: UUID | None = None


class OpportunityPatch(StrictIn):
    service: ServiceName | None = None
    move_date: date | None = None
    flexibility: FlexibilityName | None = None
    move_size: MoveSizeOrBlank | None = None
    origin: PlaceIn | None = None
    destination: PlaceIn | None = None
    source: SourceOrBlank | None = None
    campaign: str | None = Field(None, max_length=120)
    priority: PriorityName | None = None
    estimated_value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    notes: str | None = Field(None, max_length=5000)
    salesperson_id: UUID | None = None


class StatusIn(StrictIn):
    status: StatusName
    reason: str = Field("", max_length=40)
    note: str = Field("", max_length=500)
    competitor: str = Field("", max_length=120)
    price_difference: Decimal | None = Field(None, max_digits=12, decimal_places=2)


class EstimateLinkIn(StrictIn):
    estimate_id: UUID


class PersonOut(Out):
    id: UUID
    name: str


class CustomerRefOut(Out):
    id: UUID
    name: str


class OpportunityOut(Out):
    id: UUID
    customer: CustomerRefOut
    service: str
    move_date: date | None
    flexibility: str
    move_size: str
    origin: dict[str, object]
    destination: dict[str, object]
    source: str
    campaign: str
    salesperson: PersonOut | None
    priority: str
    estimated_value: Decimal | None
    status: str
    allowed: list[str]
    close_reason: str
    close_note: str
    competitor: str
    price_difference: Decimal | None
    job_id: UUID | None
    notes: str
    last_activity_at: datetime
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class OpportunityDetailOut(OpportunityOut):
    estimates: list[UUID]
    leads: list[UUID]


class OpportunityPageOut(Out):
    items: list[OpportunityOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class CardOut(Out):
    id: UUID
    customer: CustomerRefOut
    status: str
    service: str
    move_size: str
    move_date: date | None
    estimated_value: Decimal | None
    priority: str
    source: str
    salesperson: PersonOut | None
    allowed: list[str]
    updated_at: datetime


class BoardColumnOut(Out):
    """A status: its whole count and value, and its newest cards (25 a column open, 10 closed)."""

    status: str
    label: str
    count: int
    value: Decimal
    weighted_value: Decimal
    items: list[CardOut]


class BoardOut(Out):
    currency: str
    columns: list[BoardColumnOut]


class CloseReasonOut(Out):
    kind: str
    key: str
    label: str


class ActivityIn(StrictIn):
    opportunity_id: UUID
    kind: ActivityKindName
    subject: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)
    # With its UTC offset: a bare time would be read in the server's zone, not the person's.
    due_at: AwareDatetime | None = None
    assignee_id: UUID | None = None
    outcome: OutcomeName | None = None


class CompleteIn(StrictIn):
    outcome: OutcomeName
    note: str = Field("", max_length=2000)


class ActivityOut(Out):
    id: UUID
    opportunity_id: UUID
    customer: CustomerRefOut
    kind: str
    subject: str
    description: str
    due_at: datetime | None
    assignee: PersonOut | None
    outcome: str
    completed_at: datetime | None
    automatic: str
    created_at: datetime


class ActivityPageOut(Out):
    items: list[ActivityOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class LeadFormIn(StrictIn):
    name: str = Field(min_length=1, max_length=120)
    allowed_origins: list[str] = Field(default_factory=list, max_length=20)
    source: SourceName = "website"
    salesperson_id: UUID | None = None
    show_price_range: bool = False
    is_active: bool = True


class LeadFormPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=120)
    allowed_origins: list[str] | None = Field(None, max_length=20)
    source: SourceName | None = None
    salesperson_id: UUID | None = None
    show_price_range: bool | None = None
    is_active: bool | None = None


class LeadFormOut(Out):
    id: UUID
    name: str
    public_key: str
    allowed_origins: list[str]
    source: str
    salesperson_id: UUID | None
    show_price_range: bool
    is_active: bool
    form_url: str
    snippet: str
