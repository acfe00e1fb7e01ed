"""Documents in the browser: the panel on the customer, estimate and job pages (list, upload,
share, archive), downloads, and the public page a share link opens."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_protect

from simplepro.accounts.permissions import has_permission
from simplepro.core.clientip import client_ip
from simplepro.core.problems import ProblemError
from simplepro.core.ratelimit import check_tiers, parse_tiers
from simplepro.core.views import PermissionRequiredMixin
from simplepro.documents import selectors, services
from simplepro.documents.delivery import version_response
from simplepro.documents.models import Document, DocumentKind


def _back(request: HttpRequest, document: Document | None = None) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    if not target and document is not None:
        target = reverse("customer-detail", args=[document.customer_id])
    return redirect(target or "/")


def _uuid(value: str) -> UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _visible(request: HttpRequest, document_id: UUID) -> Document:
    document = selectors.document_get(viewer=request.user, document_id=document_id)  # type: ignore[arg-type]
    if document is None:
        raise Http404("No such document.")
    return document


class DocumentListView(PermissionRequiredMixin, View):
    """Every document the viewer may see, newest first, by kind, with where it belongs."""

    permission = "documents.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        documents = selectors.with_versions(
            selectors.visible_documents(viewer=request.user)  # type: ignore[arg-type]
        ).order_by("-created_at", "id")
        kind = request.GET.get("kind", "")
        if kind in DocumentKind.values:
            documents = documents.filter(kind=kind)
        page = Paginator(documents, 25).get_page(request.GET.get("page"))
        return render(request, "documents/list.html", {
            "page": page, "kinds": DocumentKind.choices, "kind": kind,
            "sees_customers": has_permission(request.user, "customers.view")})  # fmt: skip


class DocumentUploadView(PermissionRequiredMixin, View):
    permission = "documents.upload"

    def post(self, request: HttpRequest) -> HttpResponse:
        upload = request.FILES.get("file") or request.FILES.get("photo")
        try:
            if upload is None:
                raise ProblemError(422, "Choose a file or take a photo first.")
            line = request.POST.get("inventory_line", "")
            document = services.document_upload(
                actor=request.user,
                upload=upload,
                kind=request.POST.get("kind", ""),
                title=request.POST.get("title", ""),
                photo_stage=request.POST.get("photo_stage", ""),
                inventory_line=int(line) if line.isdigit() else None,
                **selectors.attachment_for(
                    request.user,
                    _uuid(request.POST.get("customer_id", "")),
                    _uuid(request.POST.get("estimate_id", "")),
                    _uuid(request.POST.get("job_id", "")),
                ),
            )
            messages.success(request, f"Uploaded “{document.title}”.")
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        return _back(request)


class DocumentVersionView(PermissionRequiredMixin, View):
    permission = "documents.upload"

    def post(self, request: HttpRequest, document_id: UUID) -> HttpResponse:
        document = _visible(request, document_id)
        try:
            upload = request.FILES.get("file")
            if upload is None:
                raise ProblemError(422, "Choose the new file first.")
            version = services.document_version_add(
                actor=request.user, document=document, upload=upload
            )
            messages.success(request, f"“{document.title}” is now version {version.number}.")
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        return _back(request, document)


class DocumentDownloadView(PermissionRequiredMixin, View):
    permission = "documents.view"

    def get(self, request: HttpRequest, document_id: UUID, number: int) -> HttpResponseBase:
        document = _visible(request, document_id)
        version = selectors.version_of(document, number)
        if version is None:
            raise Http404("No such version.")
        inline = request.GET.get("view") == "1"
        response = version_response(request, version, inline=inline)
        services.document_downloaded(
            actor=request.user, version=version, via="web", ip=client_ip(request)
        )
        return response


class DocumentShareView(PermissionRequiredMixin, View):
    permission = "documents.share"

    def post(self, request: HttpRequest, document_id: UUID) -> HttpResponse:
        document = _visible(request, document_id)
        try:
            days = int(request.POST.get("days") or services.DEFAULT_SHARE_DAYS)
            link, token = services.share_link_create(
                actor=request.user, document=document, days=days,
                password=request.POST.get("password", ""),
            )  # fmt: skip
            url = f"{settings.PUBLIC_URL}{reverse('document-share', args=[token])}"
            messages.success(
                request,
                f"Share link for “{document.title}” (until {link.expires_at:%Y-%m-%d}): {url} — "
                "copy it now, it is not shown again.",
            )
        except ValueError:
            messages.error(request, "Days must be a whole number.")
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        return _back(request, document)


class DocumentShareRevokeView(PermissionRequiredMixin, View):
    permission = "documents.share"

    def post(self, request: HttpRequest, document_id: UUID, link_id: UUID) -> HttpResponse:
        document = _visible(request, document_id)
        link = selectors.live_share_links(document).filter(pk=link_id).first()
        if link is None:
            raise Http404("No such link.")
        services.share_link_revoke(actor=request.user, link=link)
        messages.success(request, "The link was withdrawn: it no longer opens.")
        return _back(request, document)


class DocumentArchiveView(PermissionRequiredMixin, View):
    permission = "documents.archive"

    def post(self, request: HttpRequest, document_id: UUID) -> HttpResponse:
        document = _visible(request, document_id)
        services.document_archive(actor=request.user, document=document)
        messages.success(request, f"“{document.title}” was archived; its links no longer open.")
        return _back(request, document)


@csrf_protect
def share_public(request: HttpRequest, token: str) -> HttpResponseBase:
    """What a share link opens: the file's name and size, a password if it has one, and the
    download. Every attempt (right or wrong) counts against the caller's address."""
    decision = check_tiers(f"share:{client_ip(request)}", parse_tiers(settings.SHARE_RATE_LIMITS))
    if not decision.allowed:
        response = render(request, "documents/share.html", {"error": "Too many tries from "
                          "here. Wait a few minutes and try again."}, status=429)  # fmt: skip
        response["Retry-After"] = str(decision.reset)
        return response
    password = request.POST.get("password") if request.method == "POST" else None
    context: dict[str, Any] = {"token": token}
    try:
        link = services.share_link_open(token, password)
    except ProblemError as problem:
        if problem.status != 401:
            return render(request, "documents/share.html", {"error": problem.detail},
                          status=problem.status)  # fmt: skip
        context |= {"needs_password": True, "error": problem.detail if password else ""}
        return render(request, "documents/share.html", context,
                      status=401 if password else 200)  # fmt: skip
    if request.method == "POST":
        download = version_response(request, link.version)
        services.document_downloaded(
            actor=None, version=link.version, via="share", ip=client_ip(request), link=link
        )
        return download
    context |= {"link": link, "version": link.version, "needs_password": bool(link.password_hash)}
    return render(request, "documents/share.html", context)
