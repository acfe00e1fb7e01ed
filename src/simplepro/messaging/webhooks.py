"""Twilio's webhooks for customers' texts: an inbound text, and the delivery status of the
office's texts to customers. Signed by Twilio (simplepro.notifications.webhooks): without a
valid X-Twilio-Signature, 403 and nothing written."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from simplepro.messaging.inbound import message_receive
from simplepro.messaging.models import Message
from simplepro.notifications.sms import FINAL_STATES, status_report
from simplepro.notifications.webhooks import signed_by_provider

# Twilio answers the texter with what this says; empty: nothing (Twilio itself confirms STOP).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if signed_by_provider(request) is None:
        return HttpResponse("Bad or missing X-Twilio-Signature.", status=403)
    sid, sender = request.POST.get("MessageSid", ""), request.POST.get("From", "")
    if not sid or not sender:
        return HttpResponse("MessageSid and From are required.", status=400)
    message_receive(channel=Message.Channel.SMS, address=sender,
                    body=request.POST.get("Body", ""), provider_id=sid)  # fmt: skip
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_message_status(request: HttpRequest) -> HttpResponse:
    if signed_by_provider(request) is None:
        return HttpResponse("Bad or missing X-Twilio-Signature.", status=403)
    report = status_report(request.POST)
    outcome = FINAL_STATES.get(report.state) if report else None
    if report is not None and outcome is not None:
        status = Message.Status.DELIVERED if outcome == "delivered" else Message.Status.FAILED
        Message.objects.filter(
            channel=Message.Channel.SMS, provider_id=report.provider_id,
            status__in=[Message.Status.SENDING, Message.Status.SENT],
        ).update(status=status, error=report.error)  # fmt: skip
    return HttpResponse(status=204)
