"""Per-request context (request id, acting user) that logs and audit records pick up, and a
memo of what one request reads many times but never changes itself (the company's settings:
several services read them, each a query, up to five on one page)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_memo_var: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "request_memo", default=None
)


def current_request_id() -> str | None:
    return request_id_var.get()


@contextmanager
def request_memo() -> Iterator[None]:
    """Open a memo for one request (RequestContextMiddleware does, around every request).
    It ends with the request, so nothing read in one request is seen by the next."""
    token = _memo_var.set({})
    try:
        yield
    finally:
        _memo_var.reset(token)


def memoized(key: str, load: Callable[[], T]) -> T:
    """`load()`, once per request under `key`; outside a request (tasks, the shell), every
    time."""
    memo = _memo_var.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]  # type: ignore[no-any-return]


def memo_set(key: str, value: Any) -> None:
    """What a write in this request changed: later reads in it see the new value."""
    memo = _memo_var.get()
    if memo is not None:
        memo[key] = value
