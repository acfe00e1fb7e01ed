"""Reads of a job's paperwork, for its page and its API: each document the job needs, where
it stands (not printed, printed, signed), and what the job's sign-offs still wait for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from simplepro.accounts.policies import BOOKLET_SIGNOFF, SIGNED_DOCUMENT_SIGNOFFS
from simplepro.documents.models import Document, DocumentKind, DocumentVersion
from simplepro.jobs.models import Job
from simplepro.jobs.selectors import visible_jobs
from simplepro.paperwork.models import BookletDelivery, ConditionNote, Signature
from simplepro.paperwork.render import TITLES

# Printed for every job; the order for service and the booklet only for interstate moves.
ALWAYS = (DocumentKind.BILL_OF_LADING, DocumentKind.INVENTORY, DocumentKind.VALUATION,
          DocumentKind.DELIVERY_RECEIPT)  # fmt: skip


def job_for_paperwork(*, viewer: Any, job_id: UUID) -> Job | None:
    return (
        visible_jobs(viewer=viewer)
        .select_related("customer", "estimate_version", "estimate_version__ruleset")
        .filter(pk=job_id)
        .first()
    )


def kinds_for(job: Job) -> tuple[str, ...]:
    if job.job_type == "long_distance":
        return (DocumentKind.ORDER_FOR_SERVICE, *ALWAYS)
    return ALWAYS


@dataclass(frozen=True)
class Paper:
    kind: str
    title: str
    document: Document | None
    latest: DocumentVersion | None
    signatures: list[Signature]
    signoff: str  # the job's sign-off this document satisfies ("" if none is required)
    satisfied: bool

    @property
    def signed(self) -> bool:
        return bool(self.signatures)


def paperwork_of(job: Job) -> list[Paper]:
    documents: dict[str, Document] = {}
    for found in (
        Document.objects.filter(job=job, archived_at__isnull=True)
        .prefetch_related("versions")
        .order_by("created_at")
    ):
        documents.setdefault(found.kind, found)
    signatures: dict[Any, list[Signature]] = {}
    for signature in Signature.objects.filter(document__job=job).select_related(
        "sealed_version", "signed_version", "collected_by"
    ):
        signatures.setdefault(signature.document_id, []).append(signature)
    by_kind = {kind: name for name, kind in SIGNED_DOCUMENT_SIGNOFFS.items()}
    papers = []
    for kind in kinds_for(job):
        document: Document | None = documents.get(kind)
        versions = sorted(document.versions.all(), key=lambda v: -v.number) if document else []
        name = by_kind.get(kind, "")
        papers.append(Paper(
            kind=kind, title=TITLES[kind], document=document,
            latest=versions[0] if versions else None,
            signatures=signatures.get(document.pk, []) if document else [],
            signoff=name if name in job.required_signoffs else "",
            satisfied=name in job.signoffs,
        ))  # fmt: skip
    return papers


def booklets_of(job: Job) -> list[BookletDelivery]:
    return list(BookletDelivery.objects.filter(job=job).select_related("recorded_by"))


def booklet_needed(job: Job) -> bool:
    return job.job_type == "long_distance" or BOOKLET_SIGNOFF in job.required_signoffs


def condition_notes_of(job: Job) -> list[ConditionNote]:
    return list(ConditionNote.objects.filter(job=job).select_related("recorded_by"))


def signature_get(*, viewer: Any, signature_id: UUID) -> Signature | None:
    return (
        Signature.objects.select_related("document", "document__job", "signed_version",
                                         "sealed_version", "collected_by")
        .filter(pk=signature_id, document__job__in=visible_jobs(viewer=viewer))
        .first()
    )  # fmt: skip


def signable_document(*, viewer: Any, document_id: UUID) -> Document | None:
    """A document of a job the viewer may see, not archived: what may be signed."""
    document = (
        Document.objects.select_related("customer", "job")
        .filter(pk=document_id, archived_at__isnull=True, job__isnull=False)
        .first()
    )
    if document is None or job_for_paperwork(viewer=viewer, job_id=document.job_id) is None:  # type: ignore[arg-type]
        return None
    return document
