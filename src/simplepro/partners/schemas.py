from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Field
from pydantic import EmailStr

from simplepro.accounts.schemas import Out, StrictIn

KindName = Literal[
    "realtor", "property_manager", "relocation_company", "storage_facility", "corporate", "other"
]
CommissionName = Literal["percentage", "flat", "tiered", "manual"]
MoveSizeName = Literal[
    "", "studio", "one_bedroom", "two_bedrooms", "three_bedrooms", "four_bedrooms",
    "five_bedrooms", "office",
]  # fmt: skip


class PartnerIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    kind: KindName
    contact_name: str = Field("", max_length=200)
    email: EmailStr | Literal[""] = ""
    phone: str = Field("", max_length=40)
    is_active: bool = True
    notes: str = Field("", max_length=5000)
    commission_type: CommissionName = "percentage"
    commission_rate: Decimal | None = None
    commission_flat: Decimal | None = None
    # [{"up_to": "5000.00" | null, "rate": "5"}], checked by partners.commission.
    commission_tiers: list[dict[str, Any]] = Field(default_factory=list, max_length=10)


class PartnerPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: KindName | None = None
    contact_name: str | None = Field(None, max_length=200)
    email: EmailStr | Literal[""] | None = None
    phone: str | None = Field(None, max_length=40)
    is_active: bool | None = None
    notes: str | None = Field(None, max_length=5000)
    commission_type: CommissionName | None = None
    commission_rate: Decimal | None = None
    commission_flat: Decimal | None = None
    commission_tiers: list[dict[str, Any]] | None = Field(None, max_length=10)


class PartnerOut(Out):
    id: UUID
    name: str
    kind: str
    contact_name: str
    email: str
    phone: str
    is_active: bool
    notes: str
    commission_type: str
    commission_rate: Decimal | None
    commission_flat: Decimal | None
    commission_tiers: list[dict[str, Any]]
    created_at: datetime


class AccountIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    password: str = Field(min_length=10, max_length=200)


class AccountOut(Out):
    id: UUID
    partner_id: UUID
    name: str
    email: str
    is_active: bool
    last_login: datetime | None


class ReferralIn(StrictIn):
    """A customer passed on by a partner; the same fields as a web lead."""

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | Literal[""] = ""
    phone: str = Field("", max_length=40)
    move_date: date | None = None
    from_postal_code: str = Field("", max_length=20)
    to_postal_code: str = Field("", max_length=20)
    move_size: MoveSizeName = ""
    notes: str = Field("", max_length=2000)


class StaffReferralIn(StrictIn):
    """Either a new customer (the lead fields, `name` and an e-mail or phone at least), or
    `opportunity_id`: a move already in the pipeline the partner turns out to have sent."""

    partner_id: UUID
    opportunity_id: UUID | None = None
    name: str = Field("", max_length=200)
    email: EmailStr | Literal[""] = ""
    phone: str = Field("", max_length=40)
    move_date: date | None = None
    from_postal_code: str = Field("", max_length=20)
    to_postal_code: str = Field("", max_length=20)
    move_size: MoveSizeName = ""
    notes: str = Field("", max_length=2000)


class ReferralOut(Out):
    id: UUID
    partner_id: UUID
    partner: str
    customer_name: str
    opportunity_id: UUID | None
    job_id: UUID | None
    status: str
    referred_at: datetime
    commission_status: str
    commission_base: Decimal | None
    commission_amount: Decimal | None
    commission_rule: str
    paid_at: datetime | None
    payment_reference: str


class PaidIn(StrictIn):
    reference: str = Field("", max_length=120)
    # Only for a commission agreed case by case; otherwise it must match what is due.
    amount: Decimal | None = None


class PortalLoginIn(StrictIn):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class PortalMeOut(Out):
    account: AccountOut
    partner: str
    commissions_pending: Decimal
    commissions_paid: Decimal
