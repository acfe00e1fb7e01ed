"""Estimate pages: list, builder (htmx live price), detail with the lifecycle buttons, the
printable quote, the customer's signed quote link, and the ruleset administration page."""

from __future__ import annotations

import structlog
from django.http import Http404, HttpRequest, HttpResponse

from simplepro.accounts.services import company_get
from simplepro.core.files import StoredFileError, read_verified
from simplepro.estimates.models import Estimate, EstimateVersion
from simplepro.estimates.quote import quote_of, render_pdf

logger = structlog.get_logger(__name__)


def quote_response(estimate: Estimate, version: EstimateVersion) -> HttpResponse:
    """The stored PDF of a sent version (checked against its SHA-256), or a preview of a
    version not sent yet (rendered, not stored)."""
    if version.pdf_sha256:
        try:
            pdf = read_verified(version.pdf_path, version.pdf_sha256)
        except (StoredFileError, FileNotFoundError) as exc:
            # Never hand out a document that is not the one sent; operators are told why.
            logger.error("quote_file_unusable", version=str(version.pk), error=str(exc))
            raise
    else:
        pdf = render_pdf(quote_of(estimate, version, company_get()))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"quote-{estimate.pk}-v{version.number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    if version.pdf_sha256:
        response["X-Content-SHA256"] = version.pdf_sha256
    return response


def quote_public(request: HttpRequest, token: str) -> HttpResponse:
    """The link e-mailed to the customer: no account, one signed version, as it was sent."""
    from simplepro.estimates.services import quote_for_link

    version = quote_for_link(token)
    if version is None:
        raise Http404("This quote link is not valid.")
    return quote_response(version.estimate, version)
