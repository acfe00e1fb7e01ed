"""The hosted lead form (`/f/<public key>/`): the page the website's snippet frames, for
visitors without an account. It takes leads through exactly the public endpoint's checks
(intake.lead_from_web): limits, key, origin, honeypot, challenge."""

from __future__ import annotations

from typing import Any

import pydantic
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from simplepro.accounts.services import company_get
from simplepro.core.clientip import client_ip
from simplepro.core.middleware import SecurityHeadersMiddleware
from simplepro.core.problems import ProblemError
from simplepro.sales import intake
from simplepro.sales.models import LeadForm, MoveSize, Service
from simplepro.sales.schemas import PublicLeadIn
from simplepro.sales.selectors import lead_form_for_key


def _framed_by(form: LeadForm, response: HttpResponse) -> HttpResponse:
    """Only the company's own sites may frame the form (no one else can dress it up)."""
    ancestors = " ".join(["'self'", *form.allowed_origins])
    response["Content-Security-Policy"] = SecurityHeadersMiddleware.CSP.replace(
        "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
    )
    return response


def _page(request: HttpRequest, form: LeadForm, **context: Any) -> HttpResponse:
    status = context.pop("status", 200)
    response = render(request, "sales/public_form.html", {
        "form": form, "company": company_get(), "sizes": MoveSize.choices,
        "services": Service.choices, "challenge_site_key": settings.LEAD_CHALLENGE_SITE_KEY
        if settings.LEAD_CHALLENGE else "", "values": {}, "errors": {}, **context,
    }, status=status)  # fmt: skip
    return _framed_by(form, response)


def _read(request: HttpRequest) -> PublicLeadIn:
    fields: dict[str, Any] = {k: v for k, v in request.POST.items() if v != ""}
    fields["flexible"] = bool(request.POST.get("flexible"))
    fields.pop("csrfmiddlewaretoken", None)
    if "cf-turnstile-response" in request.POST or "h-captcha-response" in request.POST:
        fields["challenge"] = request.POST.get("cf-turnstile-response") or request.POST.get(
            "h-captcha-response", ""
        )
    for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
        fields.setdefault(key, request.GET.get(key, "")[:200])
    try:
        return PublicLeadIn.model_validate(fields)
    except pydantic.ValidationError as exc:
        raise ProblemError(
            422, "Please check the highlighted fields.",
            errors=[{"field": str(e["loc"][0]) if e["loc"] else "form", "code": e["type"],
                     "message": e["msg"]} for e in exc.errors(include_url=False)],
        ) from None  # fmt: skip


# No CSRF token: the page lives in a frame on another site, where our cookies are not sent;
# it acts for nobody (no session), and the limits above are what stand against abuse.
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def lead_form_page(request: HttpRequest, public_key: str) -> HttpResponse:
    form = lead_form_for_key(public_key)
    if form is None:
        raise Http404("No such form.")
    if request.method == "GET":
        return _page(request, form, values=request.GET)
    origin = request.headers.get("Origin", "")
    if origin.lower() == f"{request.scheme}://{request.get_host()}".lower():
        origin = ""  # this page posting to itself (from the frame): not a foreign site
    try:
        lead = intake.lead_from_web(
            public_key=public_key, origin=origin,
            ip=client_ip(request), read=lambda: _read(request),
        )  # fmt: skip
    except intake.LeadRefused as refused:
        return _page(request, form, values=request.POST, refused=refused.detail,
                     status=refused.status)  # fmt: skip
    except ProblemError as problem:
        errors = {e["field"]: e["message"] for e in problem.errors}
        return _page(request, form, values=request.POST, errors=errors, status=422)
    return _page(request, form, received=True, price_range=lead.price_range)
