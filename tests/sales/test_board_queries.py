"""The board's and My day's reads (core.queries): the same rows as one query per column,
on SQLite (a query per part) and PostgreSQL (one UNION ALL) alike, whatever the scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.core.queries import first_rows_of_each
from simplepro.customers.models import Customer
from simplepro.sales import selectors
from simplepro.sales.models import OPEN_STATUSES, Activity, Opportunity, OpportunityStatus
from simplepro.sales.selectors import CARD_FIELDS, OpportunityFilters, my_day

STATUSES = OpportunityStatus.values


def _pipeline(customer: Customer, personas: dict[str, User]) -> None:
    """Opportunities in every status, for two salespeople, some changed at the same moment
    (the tie-break on created_at must hold as in the per-column query)."""
    now, same = timezone.now(), timezone.now() - dt.timedelta(hours=1)
    made = []
    for i in range(60):
        status = STATUSES[i % len(STATUSES)]
        made.append(Opportunity(
            customer=customer, status=status, estimated_value=Decimal(100 + i),
            salesperson=personas["sales"] if i % 3 else personas["sales2"],
            closed_at=None if status in OPEN_STATUSES else now - dt.timedelta(days=i % 40),
        ))  # fmt: skip
    Opportunity.objects.bulk_create(made)
    for i, o in enumerate(made):
        when = same if i % 4 == 0 else now - dt.timedelta(minutes=i)
        Opportunity.objects.filter(pk=o.pk).update(updated_at=when)


def _by_column(viewer: User, limit: int) -> dict[str, list[dict[str, Any]]]:
    since = timezone.now() - dt.timedelta(days=30)
    shown = selectors.opportunity_list(viewer=viewer, filters=OpportunityFilters()).filter(
        Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=since)
    )
    return {s: list(shown.filter(status=s).values(*CARD_FIELDS)[:limit]) for s in STATUSES}


def test_first_rows_of_each_are_the_rows_of_a_query_per_key(
    customer: Customer, personas: dict[str, User]
) -> None:
    _pipeline(customer, personas)
    for viewer in (personas["manager"], personas["sales"], personas["crew_member"]):
        rows = selectors.opportunity_list(viewer=viewer, filters=OpportunityFilters())
        found = first_rows_of_each(rows.values(*CARD_FIELDS), "status", dict.fromkeys(STATUSES, 4))
        expected = {s: list(rows.filter(status=s).values(*CARD_FIELDS)[:4]) for s in STATUSES}
        for status in STATUSES:
            mine = [r for r in found if r["status"] == status]
            key = lambda r: (r["updated_at"], str(r["id"]))  # noqa: E731
            assert sorted(mine, key=key) == sorted(expected[status], key=key), status
            # The ORM's own types, on every database (SQLite hands back text).
            assert all(isinstance(r["estimated_value"], Decimal) for r in mine)
            assert all(isinstance(r["updated_at"], dt.datetime) for r in mine)


def test_the_board_shows_each_columns_newest_cards_in_order(
    customer: Customer, personas: dict[str, User], monkeypatch: Any
) -> None:
    _pipeline(customer, personas)
    monkeypatch.setattr(selectors, "BOARD_LIMIT", 3)
    monkeypatch.setattr(selectors, "BOARD_CLOSED_LIMIT", 3)
    for viewer in (personas["manager"], personas["sales"]):
        expected = _by_column(viewer, 3)
        board = selectors.board(viewer=viewer, filters=OpportunityFilters())
        for column in board:
            assert [c["id"] for c in column["cards"]] == [
                r["id"] for r in expected[column["status"]]
            ], column["status"]


def test_the_board_and_my_day_are_a_fixed_number_of_queries(
    customer: Customer, personas: dict[str, User]
) -> None:
    _pipeline(customer, personas)
    for i in range(30):
        Activity.objects.create(
            opportunity=Opportunity.objects.first(), kind="call", subject=f"Call {i}",
            assignee=personas["sales"], due_at=timezone.now() + dt.timedelta(hours=i * 7 - 60),
        )  # fmt: skip
    compound = connection.features.supports_slicing_ordering_in_compound
    with CaptureQueriesContext(connection) as queries:
        selectors.board(viewer=personas["manager"], filters=OpportunityFilters())
    # The sums (one UNION ALL), then the cards: one query, or one a column on SQLite.
    assert len(queries) == (2 if compound else 1 + len(STATUSES))
    with CaptureQueriesContext(connection) as queries:
        day = my_day(viewer=personas["sales"])
    # The company's time zone, the three lists, their counts.
    assert len(queries) == (3 if compound else 5)
    # Due 60, 53, ... 4 hours ago: nine overdue, oldest first.
    assert day["overdue_count"] == 9
    assert [a["subject"] for a in day["overdue"]] == [f"Call {i}" for i in range(9)]
    assert day["due_today"] + day["upcoming"] and day["due_today_count"] + day["upcoming_count"]
