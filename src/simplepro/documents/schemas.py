from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class DocumentVersionOut(Schema):
    id: UUID
    number: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    location_removed: bool
    uploaded_by: str | None
    uploaded_at: datetime
    download_url: str


class DocumentOut(Schema):
    id: UUID
    customer_id: UUID
    customer_name: str
    estimate_id: UUID | None
    job_id: UUID | None
    job_number: str | None
    kind: str
    kind_label: str
    title: str
    photo_stage: str
    inventory_line: int | None
    inventory_item: str
    created_by: str | None
    created_at: datetime
    versions: list[DocumentVersionOut]


class DocumentPage(Schema):
    items: list[DocumentOut]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class ShareIn(Schema):
    days: int = Field(7, description="How long the link lasts: 1 to 30 days.")
    password: str = Field("", max_length=128, description="Optional: asked before download.")


class ShareLinkOut(Schema):
    id: UUID
    url: str | None = Field(description="Shown once, when the link is made.")
    version: int
    expires_at: datetime
    password: bool
    access_count: int
    revoked_at: datetime | None
