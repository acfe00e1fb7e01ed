"""Documents over the API (`/api/documents`): list, upload (multipart), new versions, download
(streamed and audited), archive, and share links. Every route asks the permission map; a
document outside the caller's scope is not found."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from ninja import File, Form, Router, Status, UploadedFile

from simplepro.core.api import PROBLEM, actor, paginate, require
from simplepro.core.clientip import client_ip
from simplepro.core.problems import NotFound
from simplepro.documents import selectors, services
from simplepro.documents.delivery import version_response
from simplepro.documents.models import Document, DocumentKind, ShareLink
from simplepro.documents.schemas import DocumentOut, DocumentPage, ShareIn, ShareLinkOut

documents_router = Router(tags=["documents"])


def _person(user: Any) -> str | None:
    return (user.get_full_name() or user.username) if user is not None else None


def document_out(document: Document) -> dict[str, Any]:
    download = f"/api/documents/{document.pk}/download"
    return {
        "id": document.pk,
        "customer_id": document.customer_id,
        "customer_name": document.customer.name,
        "estimate_id": document.estimate_id,
        "job_id": document.job_id,
        "job_number": document.job.number if document.job is not None else None,
        "kind": document.kind,
        "kind_label": DocumentKind(document.kind).label,
        "title": document.title,
        "photo_stage": document.photo_stage,
        "inventory_line": document.inventory_line,
        "inventory_item": document.inventory_item,
        "created_by": _person(document.created_by),
        "created_at": document.created_at,
        "versions": [
            {
                "id": v.pk,
                "number": v.number,
                "original_name": v.original_name,
                "content_type": v.content_type,
                "size": v.size,
                "sha256": v.sha256,
                "location_removed": v.location_removed,
                "uploaded_by": _person(v.uploaded_by),
                "uploaded_at": v.uploaded_at,
                "download_url": f"{download}?version={v.number}",
            }
            for v in document.versions.all()
        ],
    }


def _document(request: HttpRequest, document_id: UUID, permission: str) -> Document:
    user = require(request, permission)
    document = selectors.document_get(viewer=user, document_id=document_id)
    if document is None:
        raise NotFound("document")
    return document


@documents_router.get("", response={200: DocumentPage, **PROBLEM})
def list_documents(
    request: HttpRequest,
    customer_id: UUID | None = None,
    estimate_id: UUID | None = None,
    job_id: UUID | None = None,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    user = require(request, "documents.view")
    documents = selectors.visible_documents(viewer=user)
    for field, value in (("customer_id", customer_id), ("estimate_id", estimate_id),
                         ("job_id", job_id), ("kind", kind)):  # fmt: skip
        if value is not None:
            documents = documents.filter(**{field: value})
    result = paginate(request, selectors.with_versions(documents).order_by("-created_at", "id"),
                      page, page_size)  # fmt: skip
    result["items"] = [document_out(d) for d in result["items"]]
    return result


@documents_router.post("", response={201: DocumentOut, **PROBLEM})
def upload_document(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str],
    title: Form[str] = "",
    customer_id: Form[UUID | None] = None,
    estimate_id: Form[UUID | None] = None,
    job_id: Form[UUID | None] = None,
    photo_stage: Form[str] = "",
    inventory_line: Form[int | None] = None,
) -> Status[dict[str, Any]]:
    user = require(request, "documents.upload")
    document = services.document_upload(
        actor=user, upload=file, kind=kind, title=title, photo_stage=photo_stage,
        inventory_line=inventory_line,
        **selectors.attachment_for(user, customer_id, estimate_id, job_id),
    )  # fmt: skip
    found = selectors.document_get(viewer=user, document_id=document.pk)
    assert found is not None
    return Status(201, document_out(found))


@documents_router.get("/{document_id}", response={200: DocumentOut, **PROBLEM})
def get_document(request: HttpRequest, document_id: UUID) -> dict[str, Any]:
    return document_out(_document(request, document_id, "documents.view"))


@documents_router.post("/{document_id}/versions", response={201: DocumentOut, **PROBLEM})
def add_version(
    request: HttpRequest, document_id: UUID, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    document = _document(request, document_id, "documents.upload")
    services.document_version_add(actor=actor(request), document=document, upload=file)
    return Status(201, document_out(_document(request, document_id, "documents.view")))


@documents_router.get("/{document_id}/download", response={200: None, **PROBLEM})
def download(
    request: HttpRequest, document_id: UUID, version: int | None = None
) -> StreamingHttpResponse:
    document = _document(request, document_id, "documents.view")
    chosen = selectors.version_of(document, version)
    if chosen is None:
        raise NotFound("version")
    response = version_response(request, chosen)
    services.document_downloaded(actor=actor(request), version=chosen, via="api",
                                 ip=client_ip(request))  # fmt: skip
    return response


@documents_router.post("/{document_id}/archive", response={200: DocumentOut, **PROBLEM})
def archive(request: HttpRequest, document_id: UUID) -> dict[str, Any]:
    document = _document(request, document_id, "documents.archive")
    services.document_archive(actor=actor(request), document=document)
    return document_out(document)


def share_out(link: ShareLink, token: str | None = None) -> dict[str, Any]:
    url = f"{settings.PUBLIC_URL}{reverse('document-share', args=[token])}" if token else None
    return {
        "id": link.pk,
        "url": url,
        "version": link.version.number,
        "expires_at": link.expires_at,
        "password": bool(link.password_hash),
        "access_count": link.access_count,
        "revoked_at": link.revoked_at,
    }


@documents_router.get("/{document_id}/share-links", response={200: list[ShareLinkOut], **PROBLEM})
def share_links(request: HttpRequest, document_id: UUID) -> list[dict[str, Any]]:
    document = _document(request, document_id, "documents.share")
    return [share_out(link) for link in selectors.live_share_links(document)]


@documents_router.post("/{document_id}/share-links", response={201: ShareLinkOut, **PROBLEM})
def share(request: HttpRequest, document_id: UUID, payload: ShareIn) -> Status[dict[str, Any]]:
    document = _document(request, document_id, "documents.share")
    link, token = services.share_link_create(
        actor=actor(request), document=document, days=payload.days, password=payload.password
    )
    return Status(201, share_out(link, token))


@documents_router.post(
    "/{document_id}/share-links/{link_id}/revoke", response={200: ShareLinkOut, **PROBLEM}
)
def revoke(request: HttpRequest, document_id: UUID, link_id: UUID) -> dict[str, Any]:
    document = _document(request, document_id, "documents.share")
    link = selectors.live_share_links(document).filter(pk=link_id).first()
    if link is None:
        raise NotFound("share link")
    return share_out(services.share_link_revoke(actor=actor(request), link=link))
