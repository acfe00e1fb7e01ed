"""Writing in conversations: opening threads, posting, reading. Every post is announced to
whoever may read the thread once it commits (`message.received`), and people in the thread
are told in their notification centre; a reply to a customer is queued to go out on the
channel the customer used (simplepro.messaging.outbound)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.core.events import publish_on_commit
from simplepro.core.problems import NotFound, ProblemError, invalid
from simplepro.core.ratelimit import check_tiers, parse_tiers
from simplepro.customers.models import Customer
from simplepro.jobs.models import Job
from simplepro.messaging import selectors
from simplepro.messaging.models import MAX_BODY, Conversation, Member, Message
from simplepro.notifications.services import notify

EXCERPT = 140


def _body(text: str) -> str:
    body = (text or "").strip()
    if not body:
        raise invalid("body", "required", "A message needs some text.")
    if len(body) > MAX_BODY:
        raise invalid(
            "body", "too_long", f"A message is at most {MAX_BODY} characters ({len(body)} given)."
        )
    return body


def _rate_limit(user: User) -> None:
    decision = check_tiers(f"messages:{user.pk}", parse_tiers(settings.MESSAGE_RATE_LIMITS))
    if not decision.allowed:
        raise ProblemError(
            429,
            f"Too many messages: wait {decision.reset} s before sending more.",
            headers={"Retry-After": str(decision.reset)},
        )


def direct_open(*, actor: User, other_id: Any) -> Conversation:
    """The one direct thread between two staff members (made the first time)."""
    other = User.objects.filter(pk=other_id, is_active=True).first() if other_id else None
    if other is None:
        raise NotFound("person")
    if other.pk == actor.pk:
        raise invalid("user_id", "self", "Write to someone else.")
    key = ":".join(sorted((other.pk.hex, actor.pk.hex)))
    with transaction.atomic():
        conversation, made = Conversation.objects.get_or_create(
            direct_key=key, defaults={"kind": Conversation.Kind.DIRECT}
        )
        if made:
            Member.objects.bulk_create(
                [Member(conversation=conversation, user=u) for u in (actor, other)]
            )
    return conversation


def team_create(*, actor: User, title: str, member_ids: list[Any]) -> Conversation:
    """A named thread for a group (a crew, the office); the maker is always in it."""
    name = (title or "").strip()
    if not name:
        raise invalid("title", "required", "A team thread needs a name.")
    people = list(User.objects.filter(pk__in=member_ids, is_active=True))
    if len(people) != len(set(map(str, member_ids))):
        raise invalid("member_ids", "unknown", "Some of these people do not exist or are inactive.")
    with transaction.atomic():
        conversation = Conversation.objects.create(kind=Conversation.Kind.TEAM, title=name[:120])
        Member.objects.bulk_create(
            Member(conversation=conversation, user_id=pk)
            for pk in {actor.pk, *(p.pk for p in people)}
        )
    return conversation


def job_thread(*, viewer: User, job: Job) -> Conversation:
    """The job's thread (the office and the crew on it); the caller has already been
    shown the job, so they may read it."""
    conversation, _ = Conversation.objects.get_or_create(
        job=job, defaults={"kind": Conversation.Kind.JOB}
    )
    return conversation


def customer_thread(*, customer: Customer) -> Conversation:
    conversation, _ = Conversation.objects.get_or_create(
        customer=customer, defaults={"kind": Conversation.Kind.CUSTOMER}
    )
    return conversation


def _label(conversation: Conversation) -> str:
    if conversation.kind == Conversation.Kind.JOB and conversation.job:
        return f"job {conversation.job.number}"
    if conversation.kind == Conversation.Kind.CUSTOMER:
        return conversation.customer.name if conversation.customer else conversation.address
    return conversation.title or "a direct message"


def _told(conversation: Conversation, author_id: Any) -> list[User]:
    """Who hears about a new message in their notification centre: the people in the thread
    (direct and team members; on a job the crew on it and whoever wrote or read there; on a
    customer's thread the salesperson and whoever wrote or read there), not its author."""
    ids = set(conversation.members.values_list("user_id", flat=True))
    if conversation.kind == Conversation.Kind.JOB and conversation.job:
        ids |= set(
            conversation.job.assignments.exclude(crew_member__user=None).values_list(
                "crew_member__user_id", flat=True
            )
        )
    if conversation.customer and conversation.customer.assigned_salesperson_id:
        ids.add(conversation.customer.assigned_salesperson_id)
    ids.discard(author_id)
    readers = set(selectors.audience(conversation))
    return list(User.objects.filter(pk__in=ids & readers, is_active=True))


def message_summary(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "author_id": message.author_id,
        "author": message.author.display_name if message.author else "",
        "direction": message.direction,
        "channel": message.channel,
        "body": message.body,
        "subject": message.subject,
        "status": message.status,
        "automatic": message.automatic,
        "created_at": message.created_at,
    }


def announce(message: Message, *, author_id: Any = None) -> None:
    """Tell the thread's readers (their pages and apps) and the people in it (the bell)."""
    conversation = message.conversation
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    publish_on_commit(
        "message.received", selectors.audience(conversation), {"message": message_summary(message)}
    )
    who = message.author.display_name if message.author else _label(conversation)
    told = _told(conversation, author_id)
    # Those told are in the thread from now on: it is in their list, with its unread count.
    Member.objects.bulk_create(
        [Member(conversation=conversation, user=user, invited=False) for user in told],
        ignore_conflicts=True,
    )
    notify(
        recipients=told,
        event="message_received",
        context={"author": who, "conversation": _label(conversation),
                 "excerpt": message.body[:EXCERPT]},
        link=f"/messages/{conversation.pk}/",
    )  # fmt: skip


def message_post(*, actor: User, conversation: Conversation, body: str) -> Message:
    """Post in a thread the actor may read (the caller has checked). To a customer's thread
    it is a reply that goes out by SMS or e-mail; a customer the office cannot reach is a
    422 naming why, and nothing is written."""
    text = _body(body)
    _rate_limit(actor)
    from simplepro.messaging import outbound  # it uses the services above

    with transaction.atomic(durable=True):
        fields: dict[str, Any] = {"direction": Message.Direction.INTERNAL}
        if conversation.kind == Conversation.Kind.CUSTOMER:
            fields = outbound.reply_fields(conversation)
        message = Message.objects.create(
            conversation=conversation, author=actor, body=text, **fields
        )
        _mark_read(actor, conversation, message.id)
        announce(message, author_id=actor.pk)
        if message.direction == Message.Direction.OUTBOUND:
            outbound.send_on_commit(message)
    return message


def _mark_read(user: User, conversation: Conversation, upto: int) -> Member:
    member, _ = Member.objects.get_or_create(
        conversation=conversation,
        user=user,
        defaults={"invited": conversation.kind in (Conversation.Kind.DIRECT,
                                                   Conversation.Kind.TEAM)},
    )  # fmt: skip
    if upto > member.last_read_id:
        member.last_read_id = upto
        member.last_read_at = timezone.now()
        member.save(update_fields=["last_read_id", "last_read_at"])
    return member


def conversation_read(*, user: User, conversation: Conversation, upto: int | None = None) -> int:
    """Mark the thread read up to `upto` (default: its newest message); the others in it see
    the read receipt. Returns the last read id."""
    newest = conversation.messages.order_by("-id").values_list("id", flat=True).first() or 0
    target = newest if upto is None else min(max(upto, 0), newest)
    with transaction.atomic(durable=True):
        before = (
            Member.objects.filter(conversation=conversation, user=user)
            .values_list("last_read_id", flat=True)
            .first()
        )
        member = _mark_read(user, conversation, target)
        if member.last_read_id != before:
            publish_on_commit(
                "conversation.read",
                selectors.audience(conversation),
                {"conversation_id": conversation.pk, "user_id": user.pk,
                 "last_read_id": member.last_read_id},
            )  # fmt: skip
    return member.last_read_id
