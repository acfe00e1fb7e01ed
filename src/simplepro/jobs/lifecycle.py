"""The job status state machine. Anything not listed here is refused with 409 and the
allowed next states."""

from __future__ import annotations

from simplepro.jobs.models import JobStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.CONFIRMED, S.ON_HOLD, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.EN_ROUTE, S.SCHEDULED, S.ON_HOLD, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.IN_PROGRESS, S.CONFIRMED, S.ON_HOLD, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.ON_HOLD: frozenset({S.SCHEDULED, S.CONFIRMED, S.CANCELLED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
# A reason is required to cancel a job or to put it on hold.
NEEDS_REASON = frozenset({S.CANCELLED, S.ON_HOLD})
# What a crew lead may do on a job they lead from the field; the office does the rest.
FIELD_STATUSES = frozenset({S.EN_ROUTE, S.IN_PROGRESS, S.COMPLETED})


def allowed_next(status: str) -> list[str]:
    return sorted(TRANSITIONS.get(status, frozenset()))
