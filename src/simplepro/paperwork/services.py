"""Writes of the move's paperwork: printing it, the crew's condition notes, the booklet's
delivery, and a scan of a paper original standing in for an electronic signature.

Printing is idempotent: the same facts print the same bytes, so printing again adds a version
only when something on the page changed. A document that has been signed never changes: its
signature would then be on something else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from simplepro.accounts.policies import BOOKLET_SIGNOFF, SIGNED_DOCUMENT_SIGNOFFS
from simplepro.accounts.services import company_get
from simplepro.audit.services import audit_record
from simplepro.core import files
from simplepro.core.problems import Conflict, invalid
from simplepro.documents.models import Document, DocumentVersion
from simplepro.documents.services import document_pdf_add
from simplepro.jobs.models import Job
from simplepro.jobs.services import job_signoff
from simplepro.paperwork.facts import CONDITION_CODES, CONDITION_PLACES, move_facts
from simplepro.paperwork.models import BookletDelivery, BookletMethod, ConditionNote, Stage
from simplepro.paperwork.render import RENDERERS, TITLES


def paperwork_document(job: Job, kind: str) -> Document | None:
    """The job's printed document of `kind` (the first one not archived)."""
    return (
        Document.objects.filter(job=job, kind=kind, archived_at__isnull=True)
        .order_by("created_at")
        .first()
    )


def is_signed(document: Document) -> bool:
    return document.signatures.exists()


def paperwork_print(*, actor: Any, job: Job, kind: str) -> DocumentVersion:
    """Print `kind` for `job`: a new document, a new version when the facts changed, or the
    current version when nothing did."""
    if kind not in RENDERERS:
        raise invalid("kind", "invalid", f"Choose one of: {', '.join(RENDERERS)}.")
    data = RENDERERS[kind](move_facts(job, company_get()))
    digest = files.sha256(data)
    with transaction.atomic(durable=True):
        Job.objects.select_for_update().filter(pk=job.pk).first()  # one printing per job at once
        document = paperwork_document(job, kind)
        if document is not None:
            latest = document.versions.order_by("-number").first()
            if latest is not None and latest.sha256 == digest:
                return latest
            if is_signed(document):
                raise Conflict(
                    f"The {TITLES[kind].lower()} is signed; a signed document never changes. "
                    "Archive it to print a new one."
                )
            document = Document.objects.select_for_update().get(pk=document.pk)
        return document_pdf_add(
            actor=actor, data=data, file_name=f"{TITLES[kind]} {job.number}.pdf",
            document=document, action="document.printed",
            new={"customer": job.customer, "job": job, "estimate": job.estimate, "kind": kind,
                 "title": f"{TITLES[kind]} {job.number}"},
        )  # fmt: skip


def _codes(values: list[str], allowed: dict[str, str], field: str) -> list[str]:
    cleaned = [v.strip().upper() for v in values if v.strip()]
    unknown = [v for v in cleaned if v not in allowed]
    if unknown:
        raise invalid(field, "unknown", f"Unknown: {', '.join(unknown)}. "
                                        f"Use: {', '.join(allowed)}.")  # fmt: skip
    return list(dict.fromkeys(cleaned))


def condition_note_record(
    *, actor: Any, job: Job, line: int, stage: str, codes: list[str], places: list[str],
    note: str = "",
) -> ConditionNote:  # fmt: skip
    if stage not in Stage.values:
        raise invalid("stage", "invalid", f"Choose one of: {', '.join(Stage.values)}.")
    if not 0 <= line < len(job.inventory or []):
        raise invalid("line", "out_of_range", "The job has no such inventory line.")
    if len(note) > 300:
        raise invalid("note", "too_long", "Keep the note under 300 characters.")
    item = job.inventory[line]
    with transaction.atomic(durable=True):
        recorded = ConditionNote.objects.create(
            job=job, line=line, stage=stage,
            item=str(item.get("name") or item.get("key") or f"Line {line + 1}")[:200],
            codes=_codes(codes, CONDITION_CODES, "codes"),
            places=_codes(places, CONDITION_PLACES, "places"),
            note=note.strip(), recorded_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="condition.note", entity_type="job", entity_id=job.pk,
            changes={f"line {line + 1} at {stage}": {"before": None, "after": {
                "codes": recorded.codes, "places": recorded.places, "note": recorded.note}}},
        )  # fmt: skip
    return recorded


def booklet_record(
    *, actor: Any, job: Job, method: str, delivered_at: dt.datetime | None = None
) -> BookletDelivery:
    """The rights booklet was given to the customer (interstate moves): its sign-off follows."""
    if method not in BookletMethod.values:
        raise invalid("method", "invalid", f"Choose one of: {', '.join(BookletMethod.values)}.")
    moment = delivered_at or timezone.now()
    if timezone.is_naive(moment):
        raise invalid("delivered_at", "no_offset", "Give the time with its UTC offset.")
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise invalid("delivered_at", "future", "The booklet cannot be delivered in the future.")
    with transaction.atomic(durable=True):
        delivery = BookletDelivery.objects.create(
            job=job, method=method, delivered_at=moment, recorded_by=actor
        )
        audit_record(
            actor=actor, action="booklet.delivered", entity_type="job", entity_id=job.pk,
            changes={"booklet": {"before": None, "after": {"method": method,
                                                           "at": moment.isoformat()}}},
        )  # fmt: skip
        if BOOKLET_SIGNOFF in job.required_signoffs:
            job_signoff(actor=actor, job=job, name=BOOKLET_SIGNOFF, evidence={
                "booklet": delivery.pk, "method": method, "delivered_at": moment.isoformat()})  # fmt: skip
    return delivery


def signoff_from_paper(*, actor: Any, job: Job, name: str, document: Document) -> Job:
    """The customer signed the paper original and its scan is `document` (the fallback when no
    device or network was at hand): the sign-off names the scan's version and SHA-256."""
    kind = SIGNED_DOCUMENT_SIGNOFFS.get(name)
    if kind is None:
        raise invalid("name", "not_a_document", f"“{name}” is not satisfied by a document.")
    if document.job_id != job.pk or document.kind != kind:
        raise invalid("document_id", "wrong_document",
                      f"Choose a {kind.replace('_', ' ')} of this job.")  # fmt: skip
    version = document.versions.order_by("-number").first()
    if version is None:
        raise invalid("document_id", "empty", "The document has no file.")
    with transaction.atomic(durable=True):
        return job_signoff(actor=actor, job=job, name=name, evidence={
            "document": str(document.pk), "version": version.number, "sha256": version.sha256,
            "how": "paper original, scanned"})  # fmt: skip
