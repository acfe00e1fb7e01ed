from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from simplepro.accounts.models import Role


class Out(BaseModel):
    """Base of response bodies: plain pydantic, validated in pydantic-core. ninja.Schema's
    Python-level wrap validator made a page of 50 customers cost ~3x more to render."""

    model_config = ConfigDict(from_attributes=True)


class StrictIn(Schema):
    """Input schemas refuse unknown fields (422), so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class LoginIn(StrictIn):
    username: str = Field(min_length=1, max_length=254, description="Username or e-mail")
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(StrictIn):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenOut(Out):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth scheme name
    expires_in: int


class UserOut(Out):
    id: UUID
    username: str
    email: str
    first_name: str
    last_name: str
    phone: str
    role: str
    is_active: bool
    last_login: datetime | None
    date_joined: datetime


class UserBriefOut(Out):
    id: UUID
    username: str


class SessionOut(Out):
    id: UUID
    kind: str
    user_agent: str
    ip_address: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool


RoleName = Literal[
    "super_admin",
    "admin",
    "manager",
    "dispatcher",
    "sales",
    "customer_service",
    "crew_lead",
    "crew_member",
]
assert set(RoleName.__args__) == set(Role.values)  # type: ignore[attr-defined]


class UserCreateIn(StrictIn):
    username: str = Field(min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    email: EmailStr
    role: RoleName
    first_name: str = Field(default="", max_length=150)
    last_name: str = Field(default="", max_length=150)
    phone: str = Field(default="", max_length=20)
    password: str | None = Field(
        default=None,
        max_length=1024,
        description="Leave out to send the user an invitation link instead.",
    )


class UserUpdateIn(StrictIn):
    first_name: str | None = Field(default=None, max_length=150)
    last_name: str | None = Field(default=None, max_length=150)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=20)
    role: RoleName | None = None
    is_active: bool | None = None


class PasswordChangeIn(StrictIn):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class PasswordResetIn(StrictIn):
    email: EmailStr


class UserPageOut(Out):
    items: list[UserOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class CompanyOut(Out):
    name: str
    legal_name: str
    time_zone: str
    currency: str
    phone_region: str
    usdot_number: str
    mc_number: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    discount_limits: dict[str, Decimal]
    overtime_after_hours: Decimal
    overtime_multiplier: Decimal
    required_signoffs: dict[str, list[str]]
    logo_url: str | None
    updated_at: datetime


class CompanyUpdateIn(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    legal_name: str | None = Field(default=None, max_length=200)
    time_zone: str | None = Field(default=None, max_length=64)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    phone_region: str | None = Field(default=None, min_length=2, max_length=2)
    usdot_number: str | None = Field(default=None, max_length=20, pattern=r"^\d*$")
    mc_number: str | None = Field(default=None, max_length=20)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=20)
    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    overtime_after_hours: Decimal | None = Field(default=None, ge=0, le=168, decimal_places=2)
    overtime_multiplier: Decimal | None = Field(default=None, ge=1, le=5, decimal_places=2)
    required_signoffs: (
        dict[
            Literal["local", "long_distance", "storage", "packing_only"],
            list[Annotated[str, Field(pattern=r"^[a-z0-9_]{2,60}$")]],
        ]
        | None
    ) = Field(default=None, description="job type → sign-offs needed before work starts")
    discount_limits: (
        dict[Role, Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]] | None
    ) = Field(default=None, description="role → largest manual discount, percent")
