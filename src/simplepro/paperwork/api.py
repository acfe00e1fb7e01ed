"""The paperwork over the API (`/api/paperwork`): a job's paperwork, printing, condition notes,
the booklet, paper originals, the signing code, signatures and their verification. Every route
asks the permission map; a job outside the caller's scope is not found."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from simplepro.core.api import PROBLEM, require
from simplepro.core.clientip import client_ip
from simplepro.core.problems import NotFound, invalid
from simplepro.documents.models import Document
from simplepro.jobs.models import Job
from simplepro.paperwork import selectors, services, signing
from simplepro.paperwork.models import Signature
from simplepro.paperwork.schemas import (
    BookletIn,
    CodeIn,
    ConditionIn,
    PaperSignoffIn,
    PaperworkOut,
    PrintIn,
    SignatureIn,
    SignatureOut,
    VerificationOut,
)
from simplepro.paperwork.verification import verify

router = Router(tags=["paperwork"])


def _job(request: HttpRequest, job_id: UUID, permission: str) -> tuple[Any, Job]:
    user = require(request, permission)
    job = selectors.job_for_paperwork(viewer=user, job_id=job_id)
    if job is None:
        raise NotFound("job")
    return user, job


def signature_out(signature: Signature) -> dict[str, Any]:
    return {
        "id": signature.pk, "document_id": signature.document_id,
        "signer_name": signature.signer_name, "method": signature.method,
        "stage": signature.stage, "signed_version": signature.signed_version.number,
        "signed_sha256": signature.signed_sha256,
        "sealed_version": signature.sealed_version.number,
        "sealed_sha256": signature.sealed_sha256,
        "identity": f"{signature.identity_channel} code to "
                    f"{signing.masked(signature.identity_destination)}",
        "signed_at": signature.signed_at,
        "verification_url": reverse("paperwork-signature", args=[signature.pk]),
    }  # fmt: skip


def _paperwork(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.pk, "job_number": job.number, "missing_signoffs": job.missing_signoffs,
        "papers": [{
            "kind": p.kind, "title": p.title,
            "document_id": p.document.pk if p.document else None,
            "version": p.latest.number if p.latest else None,
            "sha256": p.latest.sha256 if p.latest else None, "signed": p.signed,
            "signatures": [signature_out(s) for s in p.signatures],
            "signoff": p.signoff, "satisfied": p.satisfied,
        } for p in selectors.paperwork_of(job)],
        "booklet_needed": selectors.booklet_needed(job),
        "booklets": [{"method": b.method, "delivered_at": b.delivered_at.isoformat()}
                     for b in selectors.booklets_of(job)],
    }  # fmt: skip


@router.get("/jobs/{job_id}", response={200: PaperworkOut, **PROBLEM})
def job_paperwork(request: HttpRequest, job_id: UUID) -> dict[str, Any]:
    _, job = _job(request, job_id, "paperwork.verify")
    return _paperwork(job)


@router.post("/jobs/{job_id}/print", response={200: PaperworkOut, **PROBLEM})
def job_print(request: HttpRequest, job_id: UUID, payload: PrintIn) -> dict[str, Any]:
    user, job = _job(request, job_id, "paperwork.print")
    services.paperwork_print(actor=user, job=job, kind=payload.kind)
    return _paperwork(job)


@router.post("/jobs/{job_id}/conditions", response={201: dict[str, Any], **PROBLEM})
def job_condition(
    request: HttpRequest, job_id: UUID, payload: ConditionIn
) -> Status[dict[str, Any]]:
    user, job = _job(request, job_id, "paperwork.record")
    note = services.condition_note_record(
        actor=user, job=job, line=payload.line, stage=payload.stage, codes=payload.codes,
        places=payload.places, note=payload.note,
    )  # fmt: skip
    return Status(201, {"id": note.pk, "line": note.line, "item": note.item, "stage": note.stage,
                        "codes": note.codes, "places": note.places, "note": note.note})  # fmt: skip


@router.post("/jobs/{job_id}/booklet", response={200: PaperworkOut, **PROBLEM})
def job_booklet(request: HttpRequest, job_id: UUID, payload: BookletIn) -> dict[str, Any]:
    user, job = _job(request, job_id, "paperwork.print")
    services.booklet_record(actor=user, job=job, method=payload.method,
                            delivered_at=payload.delivered_at)  # fmt: skip
    job.refresh_from_db()
    return _paperwork(job)


@router.post("/jobs/{job_id}/paper-signoffs", response={200: PaperworkOut, **PROBLEM})
def job_paper_signoff(
    request: HttpRequest, job_id: UUID, payload: PaperSignoffIn
) -> dict[str, Any]:
    user, job = _job(request, job_id, "paperwork.print")
    document = Document.objects.filter(job=job, archived_at__isnull=True,
                                       pk=payload.document_id).first()  # fmt: skip
    if document is None:
        raise invalid("document_id", "not_found", "No such document on this job.")
    job = services.signoff_from_paper(actor=user, job=job, name=payload.name, document=document)
    return _paperwork(job)


def _document(request: HttpRequest, document_id: UUID) -> tuple[Any, Document]:
    user = require(request, "paperwork.record")
    document = selectors.signable_document(viewer=user, document_id=document_id)
    if document is None:
        raise NotFound("document")
    return user, document


@router.post("/documents/{document_id}/codes", response={202: dict[str, str], **PROBLEM})
def document_code(
    request: HttpRequest, document_id: UUID, payload: CodeIn
) -> Status[dict[str, str]]:
    user, document = _document(request, document_id)
    sent = signing.signing_code_send(actor=user, document=document, channel=payload.channel)
    return Status(202, {"sent_to": signing.masked(sent.destination),
                        "expires_at": sent.expires_at.isoformat()})  # fmt: skip


@router.post("/documents/{document_id}/signatures", response={201: SignatureOut, **PROBLEM})
def document_sign(
    request: HttpRequest, document_id: UUID, payload: SignatureIn
) -> Status[dict[str, Any]]:
    user, document = _document(request, document_id)
    signature = signing.signature_take(
        actor=user, document=document, ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        signing=signing.Signing(
            version_number=payload.version, signer_name=payload.signer_name,
            consent=payload.consent, code=payload.code, method=payload.method,
            typed_name=payload.typed_name, drawing=payload.drawing, stage=payload.stage,
        ),
    )  # fmt: skip
    return Status(201, signature_out(signature))


@router.get("/signatures/{signature_id}/verification", response={200: VerificationOut, **PROBLEM})
def signature_verification(request: HttpRequest, signature_id: UUID) -> dict[str, Any]:
    user = require(request, "paperwork.verify")
    signature = selectors.signature_get(viewer=user, signature_id=signature_id)
    if signature is None:
        raise NotFound("signature")
    verdict = verify(signature)
    return {"signature_id": signature.pk, "passed": verdict.passed,
            "checks": [c.__dict__ for c in verdict.checks]}  # fmt: skip
