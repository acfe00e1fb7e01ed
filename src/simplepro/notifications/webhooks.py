"""What SMS providers call back: delivery status of the messages we sent.

These are the only routes outside the permission map's personas: the caller is the provider,
proven by the request's signature (X-Twilio-Signature over the public URL and the form), so
every request without a valid one is refused with 403 and logged, and nothing is written. A
callback repeated or replayed changes nothing: a delivery's final state is never changed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from simplepro.core import metrics
from simplepro.core.clientip import client_ip
from simplepro.notifications.models import Channel, Delivery
from simplepro.notifications.sms import FINAL_STATES, SmsProvider, sms_provider, status_report

logger = logging.getLogger(__name__)


def signed_by_provider(request: HttpRequest) -> SmsProvider | None:
    """The provider when the request carries its valid signature, else None (logged)."""
    provider = sms_provider()
    url = f"{settings.PUBLIC_URL}{request.get_full_path()}"
    signature = request.headers.get("X-Twilio-Signature", "")
    if provider is not None and provider.signature_valid(
        url=url, params=request.POST.dict(), signature=signature
    ):
        return provider
    metrics.WEBHOOKS_REFUSED.labels("twilio").inc()
    logger.warning(
        "webhook_signature_refused",
        extra={"provider": "twilio", "path": request.path, "ip": client_ip(request),
               "signed": bool(signature), "sms_on": provider is not None},
    )  # fmt: skip
    return None


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if signed_by_provider(request) is None:
        return HttpResponse("Bad or missing X-Twilio-Signature.", status=403)
    report = status_report(request.POST)
    outcome = FINAL_STATES.get(report.state) if report else None
    if report is None or outcome is None:  # an interim state (queued, sent): nothing to record
        return HttpResponse(status=204)
    status = Delivery.Status.DELIVERED if outcome == "delivered" else Delivery.Status.FAILED
    changed = Delivery.objects.filter(
        channel=Channel.SMS, provider_id=report.provider_id,
        status__in=[Delivery.Status.SENDING, Delivery.Status.SENT],
    ).update(status=status, error=report.error, updated_at=timezone.now())  # fmt: skip
    if changed:
        metrics.NOTIFICATION_DELIVERIES.labels(Channel.SMS, outcome).inc()
    return HttpResponse(status=204)
