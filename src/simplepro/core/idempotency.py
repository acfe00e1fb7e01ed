"""Idempotency-Key for API writes: a client that retries a POST or PATCH after a timeout
gets the first attempt's response instead of creating a second customer.

The key is scoped to the authenticated user. The first request with a key claims it (a unique
row); a concurrent duplicate gets 409 while the first is in flight; the same key with a
different request body gets 422. Final answers (not 5xx, 401, 403 or 429) are kept for 24
hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from simplepro.core.models import IdempotencyRecord
from simplepro.core.problems import problem_response

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
METHODS = {"POST", "PATCH"}
# Answers that depend on who is asking right now, not on the request: never replayed.
NOT_KEPT = {401, 403, 429}


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER, "")
        claims = getattr(request, "jwt_claims", None)
        if not key or request.method not in METHODS or not claims:
            return self.get_response(request)
        if len(key) > 200:
            return problem_response(400, f"{HEADER} is longer than 200 characters.")
        fingerprint = _fingerprint(request)
        user_id = str(claims["sub"])
        now = timezone.now()
        IdempotencyRecord.objects.filter(user_id=user_id, key=key, expires_at__lt=now).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user_id=user_id, key=key, fingerprint=fingerprint, expires_at=now + KEEP_FOR
                )
        except IntegrityError:
            return self._replay(user_id, key, fingerprint)
        response = self.get_response(request)
        status = response.status_code
        if status >= 500 or status in NOT_KEPT or getattr(response, "streaming", False):
            record.delete()  # not a final answer: let the client try again with the same key
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
        )
        return response

    @staticmethod
    def _replay(user_id: str, key: str, fingerprint: str) -> HttpResponse:
        record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if record is None or record.status_code is None:
            return problem_response(
                409, f"A request with this {HEADER} is still being processed; retry shortly."
            )
        if record.fingerprint != fingerprint:
            return problem_response(422, f"This {HEADER} was already used for a different request.")
        response = HttpResponse(
            bytes(record.body), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response
