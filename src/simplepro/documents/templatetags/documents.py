"""`{% documents_panel customer=… estimate=… job=… %}`: the documents and photos of a customer,
an estimate or a job, with upload, share and archive, on those apps' pages. A template tag, so
their Python never imports this higher app."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from simplepro.accounts.permissions import has_permission
from simplepro.documents import selectors, uploads
from simplepro.documents.models import DocumentKind, PhotoStage

register = template.Library()


@register.inclusion_tag("documents/partials/panel.html", takes_context=True)
def documents_panel(
    context: template.Context, customer: Any = None, estimate: Any = None, job: Any = None
) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    documents = selectors.documents_of(viewer=user, customer=customer, estimate=estimate, job=job)
    can_share = has_permission(user, "documents.share")
    links = selectors.live_share_links_of(documents) if can_share else {}
    for document in documents:
        document.live_links = links.get(document.pk, [])  # type: ignore[attr-defined]
    inventory = [
        {"index": i, "label": f"{item.get('quantity', 1)} × {item.get('name') or item.get('key')}"}
        for i, item in enumerate((job.inventory or []) if job is not None else [])
    ]
    return {
        "documents": documents, "customer": customer if job is None and estimate is None else None,
        "estimate": estimate, "job": job, "here": request.get_full_path(),
        "can_upload": has_permission(user, "documents.upload"), "can_share": can_share,
        "can_archive": has_permission(user, "documents.archive"),
        "kinds": DocumentKind.choices, "stages": PhotoStage.choices, "inventory": inventory,
        "default_kind": DocumentKind.PHOTO if job is not None else DocumentKind.OTHER,
        "allowed": uploads.allowed_description(), "limit": settings.MAX_UPLOAD_BYTES,
        "csrf_token": context.get("csrf_token"),
    }  # fmt: skip
