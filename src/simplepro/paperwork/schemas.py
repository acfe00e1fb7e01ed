from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field


class PrintIn(Schema):
    kind: Literal["order_for_service", "bill_of_lading", "inventory", "valuation",
                  "delivery_receipt"]  # fmt: skip


class ConditionIn(Schema):
    line: int = Field(ge=0, le=10_000)
    stage: Literal["pickup", "delivery"] = "pickup"
    codes: list[str] = Field(default_factory=list, max_length=30)
    places: list[str] = Field(default_factory=list, max_length=30)
    note: str = Field(default="", max_length=300)


class BookletIn(Schema):
    method: Literal["email", "portal", "paper"]
    delivered_at: dt.datetime | None = None


class PaperSignoffIn(Schema):
    name: str = Field(max_length=60)
    document_id: UUID


class CodeIn(Schema):
    channel: Literal["email", "sms"]


class SignatureIn(Schema):
    version: int = Field(ge=1)
    signer_name: str = Field(max_length=200)
    consent: bool
    code: str = Field(max_length=12)
    method: Literal["typed", "drawn"]
    typed_name: str = Field(default="", max_length=200)
    drawing: str = Field(default="", max_length=500_000)
    stage: Literal["", "pickup", "delivery"] = ""


class SignatureOut(Schema):
    id: UUID
    document_id: UUID
    signer_name: str
    method: str
    stage: str
    signed_version: int
    signed_sha256: str
    sealed_version: int
    sealed_sha256: str
    identity: str
    signed_at: dt.datetime
    verification_url: str


class PaperOut(Schema):
    kind: str
    title: str
    document_id: UUID | None
    version: int | None
    sha256: str | None
    signed: bool
    signatures: list[SignatureOut]
    signoff: str
    satisfied: bool


class PaperworkOut(Schema):
    job_id: UUID
    job_number: str
    missing_signoffs: list[str]
    papers: list[PaperOut]
    booklet_needed: bool
    booklets: list[dict[str, str]]


class CheckOut(Schema):
    name: str
    passed: bool
    detail: str


class VerificationOut(Schema):
    signature_id: UUID
    passed: bool
    checks: list[CheckOut]
