"""Conversations over the API: the same threads, history, posts and read marks as the
Messages pages. A thread the caller may not read is 404, and nothing is written."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from simplepro.accounts.models import User
from simplepro.core.api import PROBLEM, require
from simplepro.core.problems import NotFound
from simplepro.customers.selectors import customer_get
from simplepro.jobs.selectors import job_get
from simplepro.messaging import inbound, selectors, services
from simplepro.messaging.live import presence_of
from simplepro.messaging.models import Conversation
from simplepro.messaging.schemas import (
    AttachIn,
    ConversationDetailOut,
    ConversationOut,
    DirectIn,
    HistoryOut,
    HistoryQuery,
    LeadIn,
    MessageIn,
    MessageOut,
    MessagesUnreadOut,
    ReadIn,
    ReadOut,
    TeamIn,
)

router = Router(tags=["messages"])


def _conversation(request: HttpRequest, conversation_id: UUID) -> tuple[User, Conversation]:
    user = require(request, "messages.use")
    conversation = selectors.conversation_get(viewer=user, conversation_id=conversation_id)
    if conversation is None:
        raise NotFound("conversation")
    return user, conversation


def detail(conversation: Conversation, viewer: User) -> dict[str, Any]:
    members = list(conversation.members.select_related("user"))
    presence = presence_of([m.user_id for m in members])
    return {
        **selectors.summary(conversation, viewer),
        "unread": selectors.unread_in(conversation, viewer),
        "members": [
            {"user_id": m.user_id, "name": m.user.display_name, "last_read_id": m.last_read_id,
             "presence": presence[str(m.user_id)]}
            for m in members
        ],
    }  # fmt: skip


@router.get("/conversations", response={200: list[ConversationOut], **PROBLEM})
def conversation_list(
    request: HttpRequest, kind: str = "", limit: int = 50
) -> list[dict[str, Any]]:
    """Your threads with messages, newest activity first, with what you have not read."""
    user = require(request, "messages.use")
    return [
        selectors.summary(c, user) for c in selectors.inbox(viewer=user, kind=kind, limit=limit)
    ]


@router.get("/unread-count", response={200: MessagesUnreadOut, **PROBLEM})
def unread_count(request: HttpRequest) -> dict[str, int]:
    user = require(request, "messages.use")
    return {"unread": selectors.unread_total(viewer=user)}


@router.post("/conversations/direct", response={200: ConversationDetailOut, **PROBLEM})
def direct_open(request: HttpRequest, payload: DirectIn) -> dict[str, Any]:
    """The direct thread with another person (the same one every time)."""
    user = require(request, "messages.use")
    return detail(services.direct_open(actor=user, other_id=payload.user_id), user)


@router.post("/conversations/team", response={201: ConversationDetailOut, **PROBLEM})
def team_create(request: HttpRequest, payload: TeamIn) -> Status[dict[str, Any]]:
    user = require(request, "messages.teams")
    made = services.team_create(actor=user, title=payload.title, member_ids=payload.member_ids)
    return Status(201, detail(made, user))


@router.get("/jobs/{job_id}", response={200: ConversationDetailOut, **PROBLEM})
def job_conversation(request: HttpRequest, job_id: UUID) -> dict[str, Any]:
    """The job's thread: the office and the crew on it."""
    user = require(request, "messages.use")
    job = job_get(viewer=user, job_id=job_id)
    if job is None:
        raise NotFound("job")
    return detail(services.job_thread(viewer=user, job=job), user)


@router.get("/customers/{customer_id}", response={200: ConversationDetailOut, **PROBLEM})
def customer_conversation(request: HttpRequest, customer_id: UUID) -> dict[str, Any]:
    """The customer's SMS and e-mail thread."""
    user = require(request, "messages.customers")
    customer = customer_get(viewer=user, customer_id=customer_id)
    if customer is None:
        raise NotFound("customer")
    return detail(services.customer_thread(customer=customer), user)


@router.get("/conversations/{conversation_id}", response={200: ConversationDetailOut, **PROBLEM})
def conversation_detail(request: HttpRequest, conversation_id: UUID) -> dict[str, Any]:
    user, conversation = _conversation(request, conversation_id)
    return detail(conversation, user)


@router.get("/conversations/{conversation_id}/messages", response={200: HistoryOut, **PROBLEM})
def message_history(
    request: HttpRequest, conversation_id: UUID, query: Query[HistoryQuery]
) -> dict[str, Any]:
    """Oldest first. `before=<id>`: older ones (scrolling up); `after=<id>`: newer ones."""
    _, conversation = _conversation(request, conversation_id)
    page = selectors.history(conversation=conversation, before=query.before, after=query.after,
                             limit=query.limit)  # fmt: skip
    page["items"] = [services.message_summary(m) for m in page["items"]]
    return page


@router.post("/conversations/{conversation_id}/messages", response={201: MessageOut, **PROBLEM})
def message_post(
    request: HttpRequest, conversation_id: UUID, payload: MessageIn
) -> Status[dict[str, Any]]:
    """Post; in a customer's thread it goes to them by SMS or e-mail (status "queued")."""
    user, conversation = _conversation(request, conversation_id)
    message = services.message_post(actor=user, conversation=conversation, body=payload.body)
    return Status(201, services.message_summary(message))


@router.post("/conversations/{conversation_id}/read", response={200: ReadOut, **PROBLEM})
def conversation_read(
    request: HttpRequest, conversation_id: UUID, payload: ReadIn
) -> dict[str, int]:
    user, conversation = _conversation(request, conversation_id)
    upto = services.conversation_read(user=user, conversation=conversation, upto=payload.upto)
    return {"last_read_id": upto}


@router.post("/conversations/{conversation_id}/attach", response={200: ConversationOut, **PROBLEM})
def unmatched_attach(
    request: HttpRequest, conversation_id: UUID, payload: AttachIn
) -> dict[str, Any]:
    """File an unmatched thread under a customer."""
    require(request, "messages.unmatched")
    user, conversation = _conversation(request, conversation_id)
    customer = customer_get(viewer=user, customer_id=payload.customer_id)
    if customer is None:
        raise NotFound("customer")
    thread = inbound.unmatched_attach(actor=user, conversation=conversation, customer=customer)
    return selectors.summary(thread, user)


@router.post("/conversations/{conversation_id}/lead", response={201: ConversationOut, **PROBLEM})
def unmatched_to_lead(
    request: HttpRequest, conversation_id: UUID, payload: LeadIn
) -> Status[dict[str, Any]]:
    """Make a new lead of an unknown texter, with their thread."""
    require(request, "messages.unmatched")
    require(request, "customers.create")
    user, conversation = _conversation(request, conversation_id)
    thread = inbound.unmatched_to_lead(actor=user, conversation=conversation, name=payload.name)
    return Status(201, selectors.summary(thread, user))
