from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from simplepro.accounts.schemas import Out
from simplepro.messaging.models import MAX_BODY


class ConversationOut(Out):
    id: UUID
    kind: str
    title: str
    job_id: UUID | None
    customer_id: UUID | None
    address: str
    unmatched: bool
    unread: int
    last_message_at: datetime | None


class MemberOut(Out):
    user_id: UUID
    name: str
    last_read_id: int
    presence: str


class ConversationDetailOut(ConversationOut):
    members: list[MemberOut]


class MessageOut(Out):
    id: int
    conversation_id: UUID
    author_id: UUID | None
    author: str
    direction: str
    channel: str
    body: str
    subject: str
    status: str
    automatic: str
    created_at: datetime


class HistoryOut(Out):
    items: list[MessageOut]
    has_older: bool | None
    has_newer: bool | None


class HistoryQuery(Schema):
    before: int | None = None
    after: int | None = None
    limit: int = 50


class MessageIn(Schema):
    # The limit is checked by the service too (pages post forms); here for the schema's sake.
    body: str = Field(max_length=MAX_BODY * 2)


class DirectIn(Schema):
    user_id: UUID


class TeamIn(Schema):
    title: str = Field(max_length=120)
    member_ids: list[UUID] = Field(max_length=200)


class ReadIn(Schema):
    upto: int | None = None


class ReadOut(Out):
    last_read_id: int


class AttachIn(Schema):
    customer_id: UUID


class LeadIn(Schema):
    name: str = Field(default="", max_length=200)


class MessagesUnreadOut(Out):
    unread: int
