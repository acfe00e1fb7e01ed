"""Reads of documents, always through the viewer's scope: the office sees the documents of the
customers it may see, crew those of the jobs they are on. Outside the scope is not found."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from simplepro.accounts.permissions import OWN_JOBS_ONLY, has_permission
from simplepro.core.problems import NotFound, invalid
from simplepro.customers.selectors import visible_customers
from simplepro.documents.models import Document, DocumentVersion, ShareLink
from simplepro.estimates.models import Estimate
from simplepro.jobs.selectors import visible_jobs

if TYPE_CHECKING:
    from simplepro.accounts.models import User


def visible_documents(*, viewer: User) -> QuerySet[Document]:
    documents = Document.objects.filter(archived_at__isnull=True)
    if not has_permission(viewer, "documents.view"):
        return documents.none()
    if viewer.role in OWN_JOBS_ONLY:
        return documents.filter(job__in=visible_jobs(viewer=viewer))
    return documents.filter(customer__in=visible_customers(viewer=viewer))


def with_versions(documents: QuerySet[Document]) -> QuerySet[Document]:
    return documents.select_related("customer", "job", "estimate", "created_by").prefetch_related(
        Prefetch(
            "versions",
            queryset=DocumentVersion.objects.select_related("uploaded_by").order_by("-number"),
        )
    )


def document_get(*, viewer: User, document_id: UUID) -> Document | None:
    return with_versions(visible_documents(viewer=viewer)).filter(pk=document_id).first()


def documents_of(
    *, viewer: User, customer: Any = None, estimate: Any = None, job: Any = None
) -> list[Document]:
    documents = visible_documents(viewer=viewer)
    if customer is not None:
        documents = documents.filter(customer=customer)
    if estimate is not None:
        documents = documents.filter(estimate=estimate)
    if job is not None:
        documents = documents.filter(job=job)
    return list(with_versions(documents))


def version_of(document: Document, number: int | None) -> DocumentVersion | None:
    """The numbered version, or the newest; from the prefetched versions."""
    versions = list(document.versions.all())
    if number is None:
        return versions[0] if versions else None
    return next((v for v in versions if v.number == number), None)


def live_share_links_of(documents: list[Document]) -> dict[Any, list[ShareLink]]:
    """The live links of several documents in one query, by document id (the panel's list)."""
    links: dict[Any, list[ShareLink]] = {}
    for link in ShareLink.objects.filter(
        document__in=documents, revoked_at__isnull=True
    ).select_related("version"):
        links.setdefault(link.document_id, []).append(link)
    return links


def live_share_links(document: Document) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(document=document, revoked_at__isnull=True).select_related(
        "version", "created_by"
    )


def attachment_for(
    user: Any, customer_id: UUID | None, estimate_id: UUID | None, job_id: UUID | None
) -> dict[str, Any]:
    """The customer, estimate and job an upload is for, each found in the uploader's scope
    (404 outside it); the customer follows from the job or the estimate when not given."""
    job = estimate = customer = None
    if job_id is not None:
        job = visible_jobs(viewer=user).select_related("customer").filter(pk=job_id).first()
        if job is None:
            raise NotFound("job")
    if estimate_id is not None:
        estimate = Estimate.objects.filter(
            pk=estimate_id, customer__in=visible_customers(viewer=user)
        ).first()
        if estimate is None:
            raise NotFound("estimate")
    if customer_id is not None:
        customer = visible_customers(viewer=user).filter(pk=customer_id).first()
        if customer is None and not (job is not None and job.customer_id == customer_id):
            raise NotFound("customer")
    customer = (
        customer or (job.customer if job else None) or (estimate.customer if estimate else None)
    )
    if customer is None:
        raise invalid("customer_id", "required", "Say which customer, estimate or job this is for.")
    return {"customer": customer, "estimate": estimate, "job": job}
