"""A stored version as an HTTP response: streamed, checked against its SHA-256 as it goes, and
served so that a browser never runs it (attachment, nosniff, a sandboxing CSP)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator

import structlog
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header

from simplepro.core import files, metrics
from simplepro.core.problems import ProblemError
from simplepro.documents.models import DocumentVersion

logger = structlog.get_logger(__name__)


def _counted(chunks: Iterator[bytes], version: DocumentVersion) -> Iterator[bytes]:
    try:
        for chunk in chunks:
            metrics.DOCUMENT_BYTES.labels(direction="download").inc(len(chunk))
            yield chunk
    except files.StoredFileError:
        # The response is already under way: cutting it short is all that is left to do.
        metrics.DOCUMENT_FILE_FAILURES.labels(reason="mismatch").inc()
        logger.error("document_file_mismatch", version=str(version.pk))
        raise


async def _in_threads(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Each chunk read in a worker thread: under ASGI Django would otherwise read a synchronous
    iterator to its end into memory before sending a byte (a 100 MB file: +100 MB)."""

    def advance() -> bytes | None:
        return next(chunks, None)

    while (chunk := await sync_to_async(advance, thread_sensitive=False)()) is not None:
        yield chunk


def version_response(
    request: HttpRequest, version: DocumentVersion, *, inline: bool = False
) -> StreamingHttpResponse:
    """The file, or a 503 before any byte is sent when it is missing or has the wrong size."""
    try:
        size = files.store().size(version.stored_name)
    except FileNotFoundError:
        size = -1
    except files.StoreUnavailable as exc:
        logger.error("document_store_unavailable", version=str(version.pk), error=str(exc))
        raise ProblemError(503, "The file store cannot be reached just now; try again.") from None
    if size != version.size:
        reason = "missing" if size < 0 else "mismatch"
        metrics.DOCUMENT_FILE_FAILURES.labels(reason=reason).inc()
        logger.error("document_file_unusable", version=str(version.pk), reason=reason)
        raise ProblemError(
            503,
            "The stored file cannot be served (it is missing or damaged); the operators have "
            "been alerted (docs/runbooks/quote-file-mismatch.md).",
        )
    chunks = _counted(files.stream_verified(version.stored_name, version.sha256), version)
    content = _in_threads(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=version.content_type)
    response["Content-Length"] = str(version.size)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=not inline, filename=version.original_name) or ""
    )
    digest = base64.b64encode(bytes.fromhex(version.sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530: the client can check it too
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
