"""RFC 9457 problem details: the one shape of every API error."""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, TypedDict

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(TypedDict):
    field: str
    code: str
    message: str


class ProblemError(Exception):
    """Raised by services and views; rendered as problem+json by the API and middleware."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}
        self.extra = extra or {}

    @property
    def explanation(self) -> str:
        """What a person reads on a page: the fields' own messages where there are any
        ("The request has invalid fields." alone tells them nothing)."""
        return " ".join(error["message"] for error in self.errors) or self.detail


class NotFound(ProblemError):
    def __init__(self, what: str = "resource") -> None:
        super().__init__(404, f"No such {what}.")


class Forbidden(ProblemError):
    def __init__(self, detail: str = "You do not have permission to do this.") -> None:
        super().__init__(403, detail)


class Conflict(ProblemError):
    def __init__(self, detail: str) -> None:
        super().__init__(409, detail)


def invalid(field: str, code: str, message: str) -> ProblemError:
    """A 422 for one field, for rules that schemas cannot express."""
    return ProblemError(
        422,
        "The request has invalid fields.",
        errors=[{"field": field, "code": code, "message": message}],
    )


def problem_response(
    status: int,
    detail: str,
    *,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": list(errors),
    }
    body.update(extra or {})
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def render_problem(exc: ProblemError) -> HttpResponse:
    return problem_response(
        exc.status, exc.detail, errors=exc.errors, headers=exc.headers, extra=exc.extra
    )
