from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import EmailStr, Field

from simplepro.accounts.schemas import Out, StrictIn, UserBriefOut

CustomerTypeName = Literal["residential", "commercial"]
StatusName = Literal["lead", "active", "inactive"]
SourceName = Literal[
    "website",
    "referral",
    "repeat",
    "phone",
    "advertising",
    "social_media",
    "partner",
    "walk_in",
    "other",
    "",
]


class AddressIn(StrictIn):
    label: str = Field(default="", max_length=50)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="US", min_length=2, max_length=2)


class AddressOut(Out):
    label: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str


class CustomerIn(StrictIn):
    type: CustomerTypeName
    name: str = Field(min_length=1, max_length=200)
    company_name: str = Field(default="", max_length=200)
    emails: list[EmailStr] = Field(default_factory=list, max_length=10)
    phones: list[str] = Field(default_factory=list, max_length=10)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=10)
    status: StatusName = "lead"
    source: SourceName = ""
    referred_by: str = Field(default="", max_length=200)
    assigned_salesperson_id: UUID | None = None
    tags: list[str] = Field(default_factory=list, max_length=30)
    notes: str = Field(default="", max_length=10_000)


class CustomerPatch(StrictIn):
    type: CustomerTypeName | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    company_name: str | None = Field(default=None, max_length=200)
    emails: list[EmailStr] | None = Field(default=None, max_length=10)
    phones: list[str] | None = Field(default=None, max_length=10)
    addresses: list[AddressIn] | None = Field(default=None, max_length=10)
    status: StatusName | None = None
    source: SourceName | None = None
    referred_by: str | None = Field(default=None, max_length=200)
    assigned_salesperson_id: UUID | None = None
    tags: list[str] | None = Field(default=None, max_length=30)
    notes: str | None = Field(default=None, max_length=10_000)


class DuplicateOut(Out):
    id: UUID
    name: str
    matched_on: Literal["email", "phone"]
    value: str


class CustomerOut(Out):
    id: UUID
    type: str
    name: str
    company_name: str
    emails: list[str]
    phones: list[str]
    addresses: list[AddressOut]
    status: str
    source: str
    referred_by: str
    assigned_salesperson: UserBriefOut | None
    tags: list[str]
    notes: str
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CustomerDetailOut(CustomerOut):
    duplicates: list[DuplicateOut] = Field(
        default_factory=list,
        description="Other customers sharing an e-mail or phone with this one (a warning).",
    )


class CustomerPageOut(Out):
    items: list[CustomerOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class ImportResultOut(Out):
    created: int
