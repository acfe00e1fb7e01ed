"""Every write to documents: upload, a new version, archive, a download recorded, share links.

The file is put in the store before the rows are written: a file without its row is harmless
(a random name nobody refers to, never served), a row without its file would be a document that
cannot be opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from simplepro.audit.services import audit_record
from simplepro.core import files
from simplepro.core.problems import Conflict, ProblemError, invalid
from simplepro.documents import uploads
from simplepro.documents.models import (
    Document,
    DocumentKind,
    DocumentVersion,
    PhotoStage,
    ShareLink,
)

logger = structlog.get_logger(__name__)

MAX_SHARE_DAYS = 30
DEFAULT_SHARE_DAYS = 7


@contextlib.contextmanager
def _storing() -> Iterator[None]:
    try:
        yield
    except files.StoreUnavailable as exc:
        logger.error("document_store_unavailable", error=str(exc))
        raise ProblemError(
            503, "The file store cannot be reached just now; nothing was saved. Try again."
        ) from None


def _new_name(extension: str) -> str:
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def _store(upload: Any) -> tuple[uploads.Inspected, files.Written, str]:
    inspected = uploads.inspect(upload)
    name = _new_name(inspected.extension)
    with _storing():
        written = files.store_stream_once(name, inspected.source)
    return inspected, written, name


def _original_name(upload: Any) -> str:
    raw = (getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in raw if c.isprintable() and c not in '"<>|:*?').strip(" .")
    return cleaned[:255] or "file"


def _version(
    *, document: Document, number: int, upload: Any, stored: tuple[Any, Any, str], actor: Any
) -> DocumentVersion:
    inspected, written, name = stored
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        stored_name=name,
        original_name=_original_name(upload),
        content_type=inspected.content_type,
        size=written.size,
        sha256=written.sha256,
        location_removed=inspected.location_removed,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )


def _check_attachment(
    *, customer: Any, estimate: Any, job: Any, kind: str, photo_stage: str, line: int | None
) -> str:
    """The inventory item's name for `line`; a 422 naming the field that does not fit."""
    if kind not in DocumentKind.values:
        raise invalid("kind", "invalid", f"Choose one of: {', '.join(DocumentKind.values)}.")
    if photo_stage and photo_stage not in PhotoStage.values:
        raise invalid("photo_stage", "invalid", f"Choose one of: {', '.join(PhotoStage.values)}.")
    if photo_stage and kind != DocumentKind.PHOTO:
        raise invalid("photo_stage", "not_a_photo", "Only a photo has a stage.")
    if estimate is not None and estimate.customer_id != customer.pk:
        raise invalid("estimate_id", "other_customer", "The estimate is another customer's.")
    if job is not None and job.customer_id != customer.pk:
        raise invalid("job_id", "other_customer", "The job is another customer's.")
    if line is None:
        return ""
    if job is None:
        raise invalid("inventory_line", "no_job", "An inventory line belongs to a job.")
    if not 0 <= line < len(job.inventory or []):
        raise invalid("inventory_line", "out_of_range", "The job has no such inventory line.")
    item = job.inventory[line]
    return str(item.get("name") or item.get("key") or f"Line {line + 1}")[:200]


def document_upload(
    *,
    actor: Any,
    customer: Any,
    upload: Any,
    kind: str,
    title: str = "",
    estimate: Any = None,
    job: Any = None,
    photo_stage: str = "",
    inventory_line: int | None = None,
) -> Document:
    item = _check_attachment(
        customer=customer, estimate=estimate, job=job, kind=kind, photo_stage=photo_stage,
        line=inventory_line,
    )  # fmt: skip
    stored = _store(upload)
    with transaction.atomic(durable=True):
        document = Document.objects.create(
            customer=customer,
            estimate=estimate,
            job=job,
            kind=kind,
            title=(title.strip() or _original_name(upload))[:200],
            photo_stage=photo_stage,
            inventory_line=inventory_line,
            inventory_item=item,
            version_count=1,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        version = _version(document=document, number=1, upload=upload, stored=stored, actor=actor)
        audit_record(
            actor=actor,
            action="document.upload",
            entity_type="document",
            entity_id=document.pk,
            changes={"document": {"before": None, "after": _summary(document, version)}},
        )
    return document


def document_version_add(*, actor: Any, document: Document, upload: Any) -> DocumentVersion:
    if document.archived_at is not None:
        raise Conflict("The document is archived; restore it before adding a version.")
    stored = _store(upload)
    with transaction.atomic(durable=True):
        locked = Document.objects.select_for_update().get(pk=document.pk)
        locked.version_count += 1
        locked.save(update_fields=["version_count"])
        version = _version(
            document=locked, number=locked.version_count, upload=upload, stored=stored,
            actor=actor,
        )  # fmt: skip
        audit_record(
            actor=actor,
            action="document.version",
            entity_type="document",
            entity_id=document.pk,
            changes={"version": {"before": locked.version_count - 1, "after": version.number},
                     "sha256": {"before": None, "after": version.sha256}},
        )  # fmt: skip
    document.version_count = locked.version_count
    return version


def document_pdf_add(
    *,
    actor: Any,
    data: bytes,
    file_name: str,
    document: Document | None = None,
    new: dict[str, Any] | None = None,
    action: str = "document.generated",
) -> DocumentVersion:
    """A PDF SimplePro made (printed paperwork, a sealed signature): the first version of a new
    document with the fields `new`, or the next version of `document`, which the caller has
    locked. Joins the caller's transaction, so a refusal after it leaves no row behind."""
    name = _new_name("pdf")
    with _storing():
        digest = files.store_once(name, data)
    with transaction.atomic():
        if document is None:
            document = Document.objects.create(
                **(new or {}), version_count=0,
                created_by=actor if getattr(actor, "pk", None) else None,
            )  # fmt: skip
        document.version_count += 1
        document.save(update_fields=["version_count"])
        version = DocumentVersion.objects.create(
            document=document, number=document.version_count, stored_name=name,
            original_name=file_name, content_type="application/pdf", size=len(data),
            sha256=digest, uploaded_by=actor if getattr(actor, "pk", None) else None,
        )  # fmt: skip
        audit_record(
            actor=actor, action=action, entity_type="document", entity_id=document.pk,
            changes={"version": {"before": None, "after": version.number},
                     "sha256": {"before": None, "after": digest}},
        )  # fmt: skip
    return version


def document_archive(*, actor: Any, document: Document) -> Document:
    with transaction.atomic(durable=True):
        updated = Document.objects.filter(pk=document.pk, archived_at__isnull=True).update(
            archived_at=timezone.now()
        )
        if updated:
            ShareLink.objects.filter(document=document, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            audit_record(
                actor=actor, action="document.archive", entity_type="document",
                entity_id=document.pk, changes={"archived": {"before": False, "after": True}},
            )  # fmt: skip
    document.refresh_from_db()
    return document


def document_downloaded(
    *, actor: Any, version: DocumentVersion, via: str, ip: str | None, link: Any = None
) -> None:
    """Every download is audited: who (or which share link), which version, from where."""
    with transaction.atomic():
        if link is not None:
            ShareLink.objects.filter(pk=link.pk).update(
                access_count=F("access_count") + 1, last_access_at=timezone.now()
            )
        audit_record(
            actor=actor,
            action="document.download",
            entity_type="document",
            entity_id=version.document_id,
            changes={"download": {"before": None, "after": {
                "version": version.number, "sha256": version.sha256, "via": via,
                **({"share_link": str(link.pk)} if link is not None else {})}}},
            ip_address=ip,
        )  # fmt: skip


def _summary(document: Document, version: DocumentVersion) -> dict[str, Any]:
    return {
        "kind": document.kind,
        "title": document.title,
        "customer": str(document.customer_id),
        "estimate": str(document.estimate_id or "") or None,
        "job": str(document.job_id or "") or None,
        "file": version.original_name,
        "content_type": version.content_type,
        "size": version.size,
        "sha256": version.sha256,
        "location_removed": version.location_removed,
    }


# --- share links ----------------------------------------------------------------------------


def share_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_link_create(
    *, actor: Any, document: Document, days: int = DEFAULT_SHARE_DAYS, password: str = ""
) -> tuple[ShareLink, str]:
    """A link to the document's current version; the token (shown once, stored hashed)."""
    if document.archived_at is not None:
        raise Conflict("The document is archived: it cannot be shared.")
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise invalid("days", "out_of_range", f"A link lasts 1 to {MAX_SHARE_DAYS} days.")
    if password and len(password) < 6:
        raise invalid("password", "too_short", "A link's password has at least 6 characters.")
    token = secrets.token_urlsafe(24)
    with transaction.atomic(durable=True):
        version = document.versions.order_by("-number").first()
        assert version is not None
        link = ShareLink.objects.create(
            document=document,
            version=version,
            token_hash=share_token_hash(token),
            expires_at=timezone.now() + timedelta(days=days),
            password_hash=make_password(password) if password else "",
            created_by=actor,
        )
        audit_record(
            actor=actor, action="document.share", entity_type="document", entity_id=document.pk,
            changes={"share_link": {"before": None, "after": {
                "id": str(link.pk), "version": version.number,
                "expires_at": link.expires_at.isoformat(), "password": bool(password)}}},
        )  # fmt: skip
    return link, token


def share_link_revoke(*, actor: Any, link: ShareLink) -> ShareLink:
    with transaction.atomic(durable=True):
        if ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        ):
            audit_record(
                actor=actor, action="document.share_revoke", entity_type="document",
                entity_id=link.document_id,
                changes={"share_link": {"before": str(link.pk), "after": None}},
            )  # fmt: skip
    link.refresh_from_db()
    return link


def share_link_open(token: str, password: str | None, now: datetime | None = None) -> ShareLink:
    """The live link for `token`: 404 unknown or revoked, 410 expired, 401 password wanted or
    wrong (the caller rate-limits every attempt first)."""
    now = now or timezone.now()
    link = (
        ShareLink.objects.select_related("version", "document")
        .filter(token_hash=share_token_hash(token))
        .first()
    )
    if link is None or link.revoked_at is not None or link.document.archived_at is not None:
        raise ProblemError(404, "This link does not exist or was withdrawn.")
    if link.expires_at <= now:
        raise ProblemError(410, "This link has expired; ask the office for a new one.")
    if link.password_hash and not (password and check_password(password, link.password_hash)):
        raise ProblemError(401, "This link needs its password." if not password else
                           "The password is not right.")  # fmt: skip
    return link
