"""The notification centre page: the list (newest first, "Older" by cursor), opening one
marks it read and follows its link, and "Mark all read"."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from simplepro.accounts.permissions import has_permission
from simplepro.accounts.services import company_get
from simplepro.core.problems import NotFound, ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.notifications import preferences, push, selectors, services
from simplepro.notifications.models import Channel, Delivery, QuietHours
from simplepro.notifications.push import push_enabled
from simplepro.notifications.sms import sms_enabled

if TYPE_CHECKING:
    from simplepro.accounts.models import User


def _before(request: HttpRequest) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() else None


class NotificationListView(PermissionRequiredMixin, View):
    permission = "notifications.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        page = selectors.inbox(user=request.user, before=_before(request))
        partial = bool(getattr(request, "htmx", False))  # "Older" asks for the next items only
        template = "notifications/partials/items.html" if partial else "notifications/list.html"
        context = {
            "page": page,
            "can_see_deliveries": has_permission(request.user, "notifications.deliveries"),
            "can_edit_templates": has_permission(request.user, "notifications.templates"),
        }
        return render(request, template, context)


class NotificationOpenView(PermissionRequiredMixin, View):
    permission = "notifications.view"

    def post(self, request: HttpRequest, notification_id: int) -> HttpResponse:
        try:
            notification = services.notification_read(
                user=request.user, notification_id=notification_id
            )
        except NotFound:
            raise Http404("No such notification.") from None
        link = notification.link
        if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
            return redirect(link)
        return redirect("notification-list")


class NotificationReadAllView(PermissionRequiredMixin, View):
    permission = "notifications.view"

    def post(self, request: HttpRequest) -> HttpResponse:
        services.notifications_read_all(user=request.user)
        return redirect("notification-list")


class NotificationPreferencesView(PermissionRequiredMixin, View):
    """Per event, which channels beside the app tell this person."""

    permission = "notifications.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {
            "rows": preferences.preference_table(user=request.user),
            "channels": [Channel(c) for c in preferences.choosable()],
            "unavailable": _unavailable(),
            "quiet": QuietHours.objects.filter(user=cast("User", request.user)).first(),
            "company_zone": company_get().time_zone,
            "zones": sorted(zoneinfo.available_timezones()),
            "push_key": push.public_key() if push_enabled() else "",
            "devices": request.user.push_subscriptions.count(),  # type: ignore[union-attr]
        }
        return render(request, "notifications/preferences.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        choices = {
            (row["event"], channel): f"{row['event']}:{channel}" in request.POST
            for row in preferences.preference_table(user=request.user)
            for channel in preferences.choosable()
        }
        preferences.preferences_save(user=request.user, choices=choices)
        messages.success(request, "Notification settings saved.")
        return redirect("notification-preferences")


def _unavailable() -> list[str]:
    notes = []
    if not sms_enabled():
        notes.append("SMS is off: no SMS provider is configured on this server, so no texts are "
                     "sent (an administrator sets it up: docs/operations/sms.md).")  # fmt: skip
    if not push_enabled():
        notes.append("Push is off: this server has no VAPID key (docs/operations/push.md).")
    return notes


class PushDeviceView(PermissionRequiredMixin, View):
    """This browser's push subscription, from the settings page's script (JSON)."""

    permission = "notifications.view"

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            body = json.loads(request.body or b"{}")
            endpoint, keys = str(body["endpoint"]), body.get("keys") or {}
            if body.get("remove"):
                push.subscription_delete(user=request.user, endpoint=endpoint)
                return JsonResponse({"subscribed": False})
            push.subscription_save(user=request.user, endpoint=endpoint,
                                   p256dh=str(keys.get("p256dh", "")), auth=str(keys.get("auth", "")),
                                   user_agent=request.headers.get("User-Agent", ""))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"detail": "Send {endpoint, keys: {p256dh, auth}}."}, status=400)
        except ProblemError as problem:
            return JsonResponse({"detail": problem.explanation}, status=problem.status)
        return JsonResponse({"subscribed": True})


class QuietHoursView(PermissionRequiredMixin, View):
    """Set or clear the person's quiet hours; a bad time or zone is shown, nothing saved."""

    permission = "notifications.view"

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("clear"):
            preferences.quiet_hours_clear(user=request.user)
            messages.success(request, "Quiet hours removed: texts come at any time.")
            return redirect("notification-preferences")
        try:
            start, end = (dt.time.fromisoformat(request.POST.get(f, "")) for f in ("start", "end"))
        except ValueError:
            messages.error(request, "Give the start and end as times (21:00).")
            return redirect("notification-preferences")
        try:
            preferences.quiet_hours_save(
                user=request.user, start=start, end=end,
                time_zone=request.POST.get("time_zone", "").strip(),
            )  # fmt: skip
        except ProblemError as problem:
            messages.error(request, problem.explanation)
            return redirect("notification-preferences")
        messages.success(request, "Quiet hours saved.")
        return redirect("notification-preferences")


class DeliveryLogView(PermissionRequiredMixin, View):
    """Administrators: every notification sent outside the app, and what became of it."""

    permission = "notifications.deliveries"

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        status = status if status in Delivery.Status.values else ""
        page = Paginator(selectors.delivery_log(status=status), 50).get_page(
            request.GET.get("page")
        )
        context = {
            "page": page, "status": status, "statuses": Delivery.Status.choices,
            "sms_on": sms_enabled(),
        }  # fmt: skip
        return render(request, "notifications/deliveries.html", context)


def service_worker(request: HttpRequest) -> HttpResponse:
    """The push service worker, served from the root so its scope is the whole site."""
    response = HttpResponse(render_to_string("notifications/sw.js"), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # a new release's worker is picked up at once
    return response
