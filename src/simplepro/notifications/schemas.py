from __future__ import annotations

from datetime import datetime

from ninja import Schema

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
