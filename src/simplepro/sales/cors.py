"""CORS for the public lead endpoint follows each lead form's own list of sites.

django-cors-headers asks `check_request_enabled` receivers whether a request from another
origin may be answered; this is that library's extension point (a decision about a request,
not a domain side effect). Only the lead endpoint is opened, and only to an origin some
active form lists; the endpoint itself then checks the origin against the form named by the
key (intake.admit).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from simplepro.sales.models import LeadForm

LEAD_PATH = "/api/public/leads"


def lead_origin_allowed(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    if request.path != LEAD_PATH:
        return False
    origin = request.headers.get("Origin", "").rstrip("/").lower()
    if not origin:
        return False
    return any(
        origin in (o.lower() for o in origins)
        for origins in LeadForm.objects.filter(is_active=True).values_list(
            "allowed_origins", flat=True
        )
    )
