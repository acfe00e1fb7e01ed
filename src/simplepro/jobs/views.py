"""Pages and feeds of jobs and dispatch."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from simplepro.accounts.services import company_get
from simplepro.jobs import ical


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A crew member's bookings for their phone's calendar: no account, a secret URL."""
    member = ical.member_for_token(token)
    if member is None:
        raise Http404("This calendar link is not valid (it may have been replaced or revoked).")
    response = HttpResponse(
        ical.render(member, company_get().name), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=300"
    return response
