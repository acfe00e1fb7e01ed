"""The notification centre page: the list (newest first, "Older" by cursor), opening one
marks it read and follows its link, and "Mark all read"."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from simplepro.core.problems import NotFound
from simplepro.core.views import PermissionRequiredMixin
from simplepro.notifications import selectors, services


def _before(request: HttpRequest) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() else None


class NotificationListView(PermissionRequiredMixin, View):
    permission = "notifications.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        page = selectors.inbox(user=request.user, before=_before(request))
        partial = bool(getattr(request, "htmx", False))  # "Older" asks for the next items only
        template = "notifications/partials/items.html" if partial else "notifications/list.html"
        return render(request, template, {"page": page})


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
