"""Who may read which conversation, and reads of them: the list with unread counts, and the
history by cursor. A conversation a person may not read does not exist for them (404)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from simplepro.accounts.models import User
from simplepro.accounts.permissions import customer_readers, has_permission, roles_with
from simplepro.customers.selectors import visible_customers
from simplepro.jobs.events import job_audience
from simplepro.jobs.selectors import visible_jobs
from simplepro.messaging.models import Conversation, Member

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
BIGINT_LIMIT = 2**63


def readable_conversations(*, viewer: User) -> QuerySet[Conversation]:
    """Every conversation `viewer` may read: their direct and team threads, the threads of the
    jobs they see, and customer threads within their customer scope (and the unmatched inbox
    for the office)."""
    if not has_permission(viewer, "messages.use"):
        return Conversation.objects.none()
    mine = Member.objects.filter(user=viewer, invited=True).values("conversation")
    who = Q(kind__in=[Conversation.Kind.DIRECT, Conversation.Kind.TEAM], pk__in=mine)
    who |= Q(kind=Conversation.Kind.JOB, job__in=visible_jobs(viewer=viewer).values("pk"))
    if has_permission(viewer, "messages.customers"):
        customers = visible_customers(viewer=viewer).values("pk")
        who |= Q(kind=Conversation.Kind.CUSTOMER, customer__in=customers)
    if has_permission(viewer, "messages.unmatched"):
        who |= Q(kind=Conversation.Kind.CUSTOMER, customer__isnull=True)
    return Conversation.objects.filter(who)


def conversation_get(*, viewer: User, conversation_id: Any) -> Conversation | None:
    try:
        key = UUID(str(conversation_id))
    except ValueError:
        return None
    return (
        readable_conversations(viewer=viewer)
        .select_related("job", "customer")
        .filter(pk=key)
        .first()
    )


def audience(conversation: Conversation) -> list[Any]:
    """Everyone who may read the conversation (whom its events reach)."""
    if conversation.kind in (Conversation.Kind.DIRECT, Conversation.Kind.TEAM):
        return list(
            conversation.members.filter(invited=True, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
    if conversation.kind == Conversation.Kind.JOB:
        assert conversation.job is not None
        return job_audience(conversation.job)
    if conversation.customer is None:
        who = Q(role__in=roles_with("messages.unmatched"))
    else:
        who = Q(role__in=roles_with("messages.customers")) & customer_readers(conversation.customer)
    return list(User.objects.filter(who, is_active=True).values_list("pk", flat=True))


def inbox(*, viewer: User, kind: str = "", limit: int = DEFAULT_LIMIT) -> list[Conversation]:
    """The viewer's conversations with messages, newest activity first, each with `unread`
    (messages from others after the viewer's last read one). Job and customer threads are
    listed once the viewer is in them (wrote, was told, or opened them)."""
    limit = min(max(1, limit), MAX_LIMIT)
    last_read = Member.objects.filter(conversation=OuterRef("pk"), user=viewer).values(
        "last_read_id"
    )[:1]
    rows = readable_conversations(viewer=viewer).filter(
        Q(kind__in=[Conversation.Kind.DIRECT, Conversation.Kind.TEAM])
        | Q(pk__in=Member.objects.filter(user=viewer).values("conversation"))
        | Q(kind=Conversation.Kind.CUSTOMER, customer__isnull=True)
    )
    if kind:
        rows = rows.filter(kind=kind)
    rows = (
        rows.filter(last_message_at__isnull=False)
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__id__gt=Coalesce(Subquery(last_read), 0))
                & ~Q(messages__author=viewer),
                distinct=True,
            )
        )
        .select_related("job", "customer")
        .prefetch_related("members__user")
        .order_by("-last_message_at")
    )
    return list(rows[:limit])


def unread_total(*, viewer: User) -> int:
    return sum(getattr(c, "unread", 0) for c in inbox(viewer=viewer, limit=MAX_LIMIT))


def history(
    *,
    conversation: Conversation,
    before: int | None = None,
    after: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """A page of messages, oldest first. Default: the newest `limit`. `before=id`: the ones
    older than it (scrolling up); `after=id`: the ones newer (catching up). Keyset on the id."""
    limit = min(max(1, limit), MAX_LIMIT)
    rows = conversation.messages.select_related("author")
    if after is not None:
        page = list(rows.filter(id__gt=min(after, BIGINT_LIMIT - 1)).order_by("id")[: limit + 1])
        more = len(page) > limit
        items = page[:limit]
        return {"items": items, "has_older": None, "has_newer": more}
    if before is not None:
        rows = rows.filter(id__lt=min(before, BIGINT_LIMIT - 1))
    page = list(rows.order_by("-id")[: limit + 1])
    more = len(page) > limit
    items = list(reversed(page[:limit]))
    return {"items": items, "has_older": more, "has_newer": False if before is None else None}


def read_marks(conversation: Conversation) -> list[dict[str, Any]]:
    """Who has read how far (read receipts): each member's last read message."""
    return [
        {"user_id": m.user_id, "name": m.user.display_name, "last_read_id": m.last_read_id,
         "last_read_at": m.last_read_at}
        for m in conversation.members.select_related("user").filter(last_read_id__gt=0)
    ]  # fmt: skip


def title_for(conversation: Conversation, viewer: User) -> str:
    """What a person calls the thread: the other person, the team, the job, the customer."""
    if conversation.kind == Conversation.Kind.DIRECT:
        others = [m.user.display_name for m in conversation.members.all() if m.user_id != viewer.pk]
        return ", ".join(others) or "Just you"
    if conversation.kind == Conversation.Kind.JOB and conversation.job:
        return f"Job {conversation.job.number}"
    if conversation.kind == Conversation.Kind.CUSTOMER:
        return conversation.customer.name if conversation.customer else conversation.address
    return conversation.title


def summary(conversation: Conversation, viewer: User) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": title_for(conversation, viewer),
        "job_id": conversation.job_id,
        "customer_id": conversation.customer_id,
        "address": conversation.address,
        "unmatched": conversation.unmatched,
        "unread": getattr(conversation, "unread", 0),
        "last_message_at": conversation.last_message_at,
    }


def unread_in(conversation: Conversation, viewer: User) -> int:
    last = (
        Member.objects.filter(conversation=conversation, user=viewer)
        .values_list("last_read_id", flat=True)
        .first()
    ) or 0
    return conversation.messages.filter(id__gt=last).exclude(author=viewer).count()
