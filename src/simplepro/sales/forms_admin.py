"""The company's lead forms: origins it may be embedded on, who works its leads, and the
snippet to paste into the website."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from simplepro.accounts.models import User
from simplepro.accounts.selectors import salespeople
from simplepro.audit.services import audit_record, field_changes
from simplepro.core.problems import FieldError, ProblemError
from simplepro.sales.models import LeadForm

FIELDS = ("name", "allowed_origins", "source", "salesperson_id", "show_price_range", "is_active")


def clean_origin(raw: str) -> str:
    """ "https://www.example.com/" → "https://www.example.com"; anything else raises
    ValueError (an origin is a scheme and a host, with a port at most)."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{raw!r} is not an origin like https://www.example.com.")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{raw!r} has more than a scheme and a host.")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _validate(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    errors: list[FieldError] = []
    if "allowed_origins" in clean:
        origins = []
        for index, raw in enumerate(clean["allowed_origins"] or []):
            try:
                origins.append(clean_origin(str(raw)))
            except ValueError as exc:
                errors.append({"field": f"allowed_origins[{index}]", "code": "invalid_origin",
                               "message": str(exc)})  # fmt: skip
        clean["allowed_origins"] = list(dict.fromkeys(origins))
    chosen = clean.get("salesperson_id")
    if chosen is not None and not salespeople().filter(pk=chosen).exists():
        errors.append({"field": "salesperson_id", "code": "invalid_choice",
                           "message": "No active salesperson has this id."})  # fmt: skip
    if errors:
        raise ProblemError(422, "The lead form has invalid fields.", errors=errors)
    return clean


def lead_form_save(*, actor: User, form: LeadForm | None, data: Mapping[str, Any]) -> LeadForm:
    clean = _validate(data)
    with transaction.atomic(durable=True):
        made = form is None
        form = form or LeadForm()
        before = {name: getattr(form, name) for name in FIELDS} if not made else {}
        for name, value in clean.items():
            setattr(form, name, value)
        form.save()
        after = {name: getattr(form, name) for name in FIELDS}
        audit_record(
            actor=actor, action="create" if made else "update", entity_type="lead_form",
            entity_id=form.pk,
            changes=field_changes(
                {k: str(v) if v is not None else None for k, v in before.items()},
                {k: str(v) if v is not None else None for k, v in after.items()}, FIELDS,
            ),
        )  # fmt: skip
    return form


def form_url(form: LeadForm) -> str:
    return settings.PUBLIC_URL + reverse("lead-form-page", kwargs={"public_key": form.public_key})


def snippet(form: LeadForm) -> str:
    """What the company pastes into its website: the hosted form in a frame that fits its
    column. (A site that builds its own form posts JSON to /api/public/leads instead.)"""
    url = escape(form_url(form))
    return (
        f'<iframe src="{url}" title="Get a moving quote" loading="lazy" '
        'style="width:100%;max-width:640px;height:880px;border:0"></iframe>'
    )


def lead_form_out(form: LeadForm) -> dict[str, Any]:
    return {
        **{name: getattr(form, name) for name in ("id", "name", "public_key", "allowed_origins",
                                                  "source", "salesperson_id",
                                                  "show_price_range", "is_active")},
        "form_url": form_url(form),
        "snippet": snippet(form),
    }  # fmt: skip
