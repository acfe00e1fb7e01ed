from __future__ import annotations

from datetime import datetime, time

from ninja import Field, Schema

from simplepro.accounts.schemas import Out


class NotificationOut(Out):
    id: int
    event: str
    title: str
    body: str
    link: str
    critical: bool
    created_at: datetime
    read: bool


class NotificationPageOut(Out):
    items: list[NotificationOut]
    has_more: bool
    next_before: int | None
    unread: int


class UnreadOut(Out):
    unread: int


class InboxQuery(Schema):
    before: int | None = None
    limit: int = 20


class PreferenceOut(Out):
    event: str
    label: str
    critical: bool
    channels: dict[str, bool]


class PreferenceIn(Schema):
    event: str
    channel: str
    enabled: bool


class DeliveryOut(Out):
    id: int
    notification_id: int
    recipient: str
    channel: str
    address: str
    status: str
    attempts: int
    provider_id: str
    error: str
    created_at: datetime
    sent_at: datetime | None


class NotificationTemplateOut(Out):
    event: str
    label: str
    channel: str
    customised: bool
    subject: str
    text: str
    html: str
    parts: list[str]
    variables: list[str]
    updated_at: datetime | None


class NotificationTemplateIn(Schema):
    subject: str = ""
    text: str
    html: str = ""


class NotificationPreviewOut(Out):
    subject: str
    text: str
    html: str


class QuietHoursIn(Schema):
    start: time
    end: time
    time_zone: str


class QuietHoursOut(Out):
    start: time | None
    end: time | None
    time_zone: str


class PushKeyOut(Out):
    enabled: bool
    public_key: str


class PushKeys(Schema):
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)


class PushSubscriptionIn(Schema):
    endpoint: str = Field(max_length=1000)
    keys: PushKeys


class PushRemoveIn(Schema):
    endpoint: str = Field(max_length=1000)
