"""The unsubscribe link in customer e-mails that are not about their own move (offers,
follow-ups): a signed token of the address, so the link works without signing in and cannot
be made for someone else's address. One click (RFC 8058 `List-Unsubscribe-Post`) or the page's
button records it; confirmations and reminders of a booked move still go."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from simplepro.messaging.models import EmailOptOut

logger = logging.getLogger(__name__)
SALT = "simplepro.messaging.unsubscribe"


def unsubscribe_url(address: str) -> str:
    token = signing.dumps(address.strip().lower(), salt=SALT, compress=True)
    return f"{settings.PUBLIC_URL}{reverse('unsubscribe', args=[token])}"


def unsubscribed(address: str) -> bool:
    return EmailOptOut.objects.filter(address=address.strip().lower()).exists()


@csrf_exempt  # the token is the proof; mail programs post one-click unsubscribes without a form
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        address = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Http404("This unsubscribe link is not valid.") from None
    done = False
    if request.method == "POST":
        EmailOptOut.objects.get_or_create(address=address)
        logger.info("email_unsubscribed")
        done = True
    return render(request, "messaging/unsubscribe.html",
                  {"address": address, "done": done or unsubscribed(address)})  # fmt: skip
