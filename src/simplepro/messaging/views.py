"""The Messages pages: the list of threads, one thread (history, reply, read receipts,
typing), and the office's unmatched inbox actions. Job and customer pages link to their
threads."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from simplepro.accounts.models import User
from simplepro.accounts.permissions import has_permission
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.customers.selectors import customer_get, visible_customers
from simplepro.jobs.selectors import job_get
from simplepro.messaging import inbound, selectors, services
from simplepro.messaging.live import presence_of
from simplepro.messaging.models import MAX_BODY, Conversation

TABS = (("", "All"), ("direct", "Direct"), ("team", "Teams"), ("job", "Jobs"),
        ("customer", "Customers"))  # fmt: skip


def _viewer(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _thread(request: HttpRequest, conversation_id: UUID) -> Conversation:
    conversation = selectors.conversation_get(
        viewer=_viewer(request), conversation_id=conversation_id
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


class ConversationListView(PermissionRequiredMixin, View):
    permission = "messages.use"

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = _viewer(request)
        kind = request.GET.get("kind", "")
        kind = kind if kind in dict(TABS) else ""
        rows = selectors.inbox(viewer=viewer, kind=kind)
        context = {
            "rows": [{**selectors.summary(c, viewer), "kind_label": c.get_kind_display()} for c in rows],
            "tabs": TABS, "kind": kind,
            "people": User.objects.filter(is_active=True).exclude(pk=viewer.pk).order_by(
                "first_name", "last_name", "username"),
            "can_make_teams": has_permission(viewer, "messages.teams"),
        }  # fmt: skip
        return render(request, "messaging/list.html", context)


class DirectOpenView(PermissionRequiredMixin, View):
    permission = "messages.use"

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            conversation = services.direct_open(actor=_viewer(request),
                                                other_id=_uuid(request.POST.get("user_id")))  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
            return redirect("conversation-list")
        return redirect("conversation", conversation_id=conversation.pk)


class TeamCreateView(PermissionRequiredMixin, View):
    permission = "messages.teams"

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            conversation = services.team_create(
                actor=_viewer(request), title=request.POST.get("title", ""),
                member_ids=[u for u in map(_uuid, request.POST.getlist("member_ids")) if u],
            )  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
            return redirect("conversation-list")
        return redirect("conversation", conversation_id=conversation.pk)


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


class JobThreadView(PermissionRequiredMixin, View):
    permission = "messages.use"

    def get(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        job = job_get(viewer=_viewer(request), job_id=job_id)
        if job is None:
            raise Http404("No such job.")
        conversation = services.job_thread(viewer=_viewer(request), job=job)
        return redirect("conversation", conversation_id=conversation.pk)


class CustomerThreadView(PermissionRequiredMixin, View):
    permission = "messages.customers"

    def get(self, request: HttpRequest, customer_id: UUID) -> HttpResponse:
        customer = customer_get(viewer=_viewer(request), customer_id=customer_id)
        if customer is None:
            raise Http404("No such customer.")
        conversation = services.customer_thread(customer=customer)
        return redirect("conversation", conversation_id=conversation.pk)


class ConversationView(PermissionRequiredMixin, View):
    """One thread. Opening it marks it read (the others see "Seen")."""

    permission = "messages.use"

    def get(self, request: HttpRequest, conversation_id: UUID) -> HttpResponse:
        viewer = _viewer(request)
        conversation = _thread(request, conversation_id)
        before = request.GET.get("before", "")
        page = selectors.history(conversation=conversation,
                                 before=int(before) if before.isdigit() else None)  # fmt: skip
        if not before:
            services.conversation_read(user=viewer, conversation=conversation)
        return render(request, "messaging/conversation.html",
                      self._context(request, viewer, conversation, page))  # fmt: skip

    def _context(
        self, request: HttpRequest, viewer: User, conversation: Conversation, page: dict[str, Any]
    ) -> dict[str, Any]:
        members = list(conversation.members.select_related("user"))
        presence = presence_of([m.user_id for m in members])
        newest_mine = max((m.id for m in page["items"] if m.author_id == viewer.pk), default=0)
        seen = [m.user.display_name for m in members
                if m.user_id != viewer.pk and newest_mine and m.last_read_id >= newest_mine]  # fmt: skip
        find = request.GET.get("find", "").strip()
        found = []
        if conversation.unmatched and find:
            found = list(visible_customers(viewer=viewer).filter(name__icontains=find)[:10])
        return {
            "conversation": conversation,
            "title": selectors.title_for(conversation, viewer),
            "page": page,
            "members": [{"name": m.user.display_name, "presence": presence[str(m.user_id)],
                         "invited": m.invited} for m in members],
            "seen_by": seen,
            "max_body": MAX_BODY,
            "find": find,
            "found": found,
            "can_file": conversation.unmatched and has_permission(viewer, "messages.unmatched"),
            "can_make_lead": has_permission(viewer, "customers.create"),
        }  # fmt: skip


class MessagePostView(PermissionRequiredMixin, View):
    permission = "messages.use"

    def post(self, request: HttpRequest, conversation_id: UUID) -> HttpResponse:
        conversation = _thread(request, conversation_id)
        try:
            services.message_post(actor=_viewer(request), conversation=conversation,
                                  body=request.POST.get("body", ""))  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        return redirect("conversation", conversation_id=conversation.pk)


class UnmatchedFileView(PermissionRequiredMixin, View):
    """File an unmatched thread under a customer, or make a new lead of whoever wrote."""

    permission = "messages.unmatched"

    def post(self, request: HttpRequest, conversation_id: UUID) -> HttpResponse:
        viewer = _viewer(request)
        conversation = _thread(request, conversation_id)
        try:
            if request.POST.get("action") == "lead":
                if not has_permission(viewer, "customers.create"):
                    raise Http404("No such action.")
                thread = inbound.unmatched_to_lead(actor=viewer, conversation=conversation,
                                                   name=request.POST.get("name", ""))  # fmt: skip
            else:
                key = _uuid(request.POST.get("customer_id"))
                customer = customer_get(viewer=viewer, customer_id=key) if key else None
                if customer is None:
                    raise Http404("No such customer.")
                thread = inbound.unmatched_attach(actor=viewer, conversation=conversation,
                                                  customer=customer)  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
            return redirect("conversation", conversation_id=conversation.pk)
        messages.success(request, f"Filed under {thread.customer.name if thread.customer else ''}.")
        return redirect("conversation", conversation_id=thread.pk)
