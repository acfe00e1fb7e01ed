"""The paperwork in the browser: the job's paperwork page (print, note conditions, record the
booklet, a paper original's scan), the signing page the crew hands to the customer, and the
verification pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from simplepro.accounts.permissions import has_permission
from simplepro.accounts.policies import SIGNED_DOCUMENT_SIGNOFFS
from simplepro.core.clientip import client_ip
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin
from simplepro.documents.models import Document
from simplepro.jobs.models import Job
from simplepro.paperwork import selectors, services, signing
from simplepro.paperwork.consent import CONSENT_TEXT
from simplepro.paperwork.facts import CONDITION_CODES, CONDITION_PLACES
from simplepro.paperwork.models import BookletMethod, IdentityChannel, SigningCode, Stage
from simplepro.paperwork.verification import lookup_copy, verify

MAX_COPY_BYTES = 50 * 1024 * 1024


def _job(request: HttpRequest, job_id: UUID) -> Job:
    job = selectors.job_for_paperwork(viewer=request.user, job_id=job_id)
    if job is None:
        raise Http404("No such job.")
    return job


def _back(job: Job) -> HttpResponse:
    return redirect(reverse("job-paperwork", args=[job.pk]))


def _told(request: HttpRequest, job: Job, done: Any) -> HttpResponse:
    """Run `done` (a service call returning the message to show); a refusal is shown instead."""
    try:
        messages.success(request, done())
    except ProblemError as problem:
        messages.error(request, problem.explanation)
    return _back(job)


class JobPaperworkView(PermissionRequiredMixin, View):
    permission = "paperwork.verify"

    def get(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        job = _job(request, job_id)
        papers = selectors.paperwork_of(job)
        open_signoffs = [n for n in job.missing_signoffs if n in SIGNED_DOCUMENT_SIGNOFFS]
        scans = Document.objects.filter(job=job, archived_at__isnull=True,
                                        kind__in=SIGNED_DOCUMENT_SIGNOFFS.values())  # fmt: skip
        return render(request, "paperwork/job.html", {
            "job": job, "papers": papers,
            "can_print": has_permission(request.user, "paperwork.print"),
            "can_record": has_permission(request.user, "paperwork.record"),
            "booklet_needed": selectors.booklet_needed(job),
            "booklets": selectors.booklets_of(job), "booklet_methods": BookletMethod.choices,
            "notes": selectors.condition_notes_of(job), "stages": Stage.choices,
            "codes": CONDITION_CODES.items(), "places": CONDITION_PLACES.items(),
            "lines": [{"index": i, "label": str(line.get("name") or line.get("key"))}
                      for i, line in enumerate(job.inventory or [])],
            "paper_signoffs": [{"name": n, "kind": SIGNED_DOCUMENT_SIGNOFFS[n],
                                "scans": [d for d in scans if d.kind == SIGNED_DOCUMENT_SIGNOFFS[n]]}
                               for n in open_signoffs],
        })  # fmt: skip


class PaperworkPrintView(PermissionRequiredMixin, View):
    permission = "paperwork.print"

    def post(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        job = _job(request, job_id)

        def printed() -> str:
            version = services.paperwork_print(actor=request.user, job=job,
                                               kind=request.POST.get("kind", ""))  # fmt: skip
            return f"{version.document.title}: version {version.number} is current."

        return _told(request, job, printed)


class ConditionNoteView(PermissionRequiredMixin, View):
    permission = "paperwork.record"

    def post(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        job = _job(request, job_id)

        def noted() -> str:
            try:
                line = int(request.POST.get("line", ""))
            except ValueError:
                raise ProblemError(422, "Choose the inventory item.") from None
            note = services.condition_note_record(
                actor=request.user, job=job, line=line, stage=request.POST.get("stage", ""),
                codes=request.POST.getlist("codes"), places=request.POST.getlist("places"),
                note=request.POST.get("note", ""),
            )  # fmt: skip
            return f"Noted for {note.item}. Print the inventory again to include it."

        return _told(request, job, noted)


class BookletView(PermissionRequiredMixin, View):
    permission = "paperwork.print"

    def post(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        job = _job(request, job_id)

        def recorded() -> str:
            delivery = services.booklet_record(actor=request.user, job=job,
                                               method=request.POST.get("method", ""))  # fmt: skip
            return f"Recorded: the booklet was given {delivery.get_method_display().lower()}."

        return _told(request, job, recorded)


class PaperSignoffView(PermissionRequiredMixin, View):
    permission = "paperwork.print"

    def post(self, request: HttpRequest, job_id: UUID) -> HttpResponse:
        job = _job(request, job_id)
        chosen = _uuid(request.POST.get("document_id", ""))
        document = (
            Document.objects.filter(job=job, archived_at__isnull=True, pk=chosen).first()
            if chosen
            else None
        )

        def signed_off() -> str:
            if document is None:
                raise ProblemError(422, "Choose the scan of the signed paper original.")
            name = request.POST.get("name", "")
            services.signoff_from_paper(actor=request.user, job=job, name=name, document=document)
            return f"“{name.replace('_', ' ').capitalize()}” is satisfied by {document.title}."

        return _told(request, job, signed_off)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def _signable_document(request: HttpRequest, document_id: UUID) -> Document:
    document = selectors.signable_document(viewer=request.user, document_id=document_id)
    if document is None:
        raise Http404("No such document.")
    return document


class SignView(PermissionRequiredMixin, View):
    """The page the crew hands to the customer: what is signed, the ESIGN disclosure, the
    code sent to the customer, and the pad. With JavaScript it posts in the background, so a
    lost connection is said on the page and the drawing stays for another try."""

    permission = "paperwork.record"

    def _context(self, request: HttpRequest, document: Document) -> dict[str, Any]:
        latest = document.versions.order_by("-number").first()
        live = (
            SigningCode.objects.filter(document=document, used_at__isnull=True,
                                       expires_at__gt=timezone.now())
            .order_by("-created_at").first()
        )  # fmt: skip
        reachable = signing.destinations(document.customer)
        return {
            "document": document, "version": latest, "consent": CONSENT_TEXT,
            "channels": [(c, IdentityChannel(c).label, signing.masked(to))
                         for c, to in reachable.items()],
            "code_sent": live and signing.masked(live.destination),
            "signed": document.signatures.exists(), "stages": Stage.choices,
            "back": reverse("job-paperwork", args=[document.job_id]),
        }  # fmt: skip

    def get(self, request: HttpRequest, document_id: UUID) -> HttpResponse:
        document = _signable_document(request, document_id)
        return render(request, "paperwork/sign.html", self._context(request, document))

    def post(self, request: HttpRequest, document_id: UUID) -> HttpResponse:
        document = _signable_document(request, document_id)
        wants_json = "application/json" in request.headers.get("Accept", "")
        try:
            if request.POST.get("action") == "code":
                sent = signing.signing_code_send(actor=request.user, document=document,
                                                 channel=request.POST.get("channel", ""))  # fmt: skip
                done = f"A code was sent to {signing.masked(sent.destination)}."
            else:
                signature = signing.signature_take(
                    actor=request.user, document=document, signing=_signing(request),
                    ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""),
                )  # fmt: skip
                done = f"Signed by {signature.signer_name}; sealed as version " \
                       f"{signature.sealed_version.number}."  # fmt: skip
        except ProblemError as problem:
            if wants_json:
                return JsonResponse({"error": problem.explanation, **problem.extra},
                                    status=problem.status)  # fmt: skip
            context = self._context(request, document) | {"error": problem.explanation}
            return render(request, "paperwork/sign.html", context, status=problem.status)
        if wants_json:
            return JsonResponse({"message": done, "next": request.path})
        messages.success(request, done)
        return redirect(request.path)


def _signing(request: HttpRequest) -> signing.Signing:
    try:
        number = int(request.POST.get("version", ""))
    except ValueError:
        raise ProblemError(
            422, "The page does not say which version you read; reload it."
        ) from None
    return signing.Signing(
        version_number=number, signer_name=request.POST.get("signer_name", ""),
        consent=request.POST.get("consent") == "1", code=request.POST.get("code", ""),
        method=request.POST.get("method", ""), typed_name=request.POST.get("typed_name", ""),
        drawing=request.POST.get("drawing", ""), stage=request.POST.get("stage", ""),
    )  # fmt: skip


class SignatureVerifyView(PermissionRequiredMixin, View):
    """One signature's checks on the stored file, or on a copy uploaded here."""

    permission = "paperwork.verify"

    def get(self, request: HttpRequest, signature_id: UUID) -> HttpResponse:
        signature = selectors.signature_get(viewer=request.user, signature_id=signature_id)
        if signature is None:
            raise Http404("No such signature.")
        return render(request, "paperwork/verify.html",
                      {"signature": signature, "verdict": verify(signature)})  # fmt: skip

    def post(self, request: HttpRequest, signature_id: UUID) -> HttpResponse:
        signature = selectors.signature_get(viewer=request.user, signature_id=signature_id)
        if signature is None:
            raise Http404("No such signature.")
        copy = request.FILES.get("file")
        if copy is None or (copy.size or 0) > MAX_COPY_BYTES:
            return render(request, "paperwork/verify.html", {
                "signature": signature, "verdict": verify(signature),
                "error": "Choose the PDF to check (up to 50 MB)."}, status=422)  # fmt: skip
        return render(request, "paperwork/verify.html", {
            "signature": signature, "verdict": verify(signature, copy.read()),
            "copy_name": copy.name})  # fmt: skip


class VerifyCopyView(PermissionRequiredMixin, View):
    """Any copy someone was given: which signed document it is, and whether it is intact."""

    permission = "paperwork.verify"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "paperwork/verify_copy.html", {})

    def post(self, request: HttpRequest) -> HttpResponse:
        copy = request.FILES.get("file")
        if copy is None or (copy.size or 0) > MAX_COPY_BYTES:
            return render(request, "paperwork/verify_copy.html",
                          {"error": "Choose the PDF to check (up to 50 MB)."}, status=422)  # fmt: skip
        data = copy.read()
        signature = lookup_copy(request.user, data)
        if signature is None:
            return render(request, "paperwork/verify_copy.html", {
                "error": "No signed document of ours matches this file or names it in its "
                         "seal: it is not one of our signed originals.",
                "copy_name": copy.name}, status=404)  # fmt: skip
        return render(request, "paperwork/verify.html", {
            "signature": signature, "verdict": verify(signature, data), "copy_name": copy.name})  # fmt: skip
