"""The company's settings are read once per request (core.context.memoized), and never
carried from one request to the next."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from simplepro.accounts.services import company_get, company_update
from simplepro.core.context import memoized, request_memo


def test_a_page_reads_the_company_once(personas: Any, web_as: Any) -> None:
    page = web_as(personas["sales"])
    with CaptureQueriesContext(connection) as queries:
        assert page.get("/sales/my-day/").status_code == 200
    assert sum('FROM "accounts_company"' in q["sql"] for q in queries.captured_queries) == 1


def test_a_change_is_seen_by_the_next_request_and_by_the_rest_of_its_own(
    personas: Any, api_as: Any
) -> None:
    api = api_as(personas["admin"])
    assert api.get("/api/company").json()["currency"] == "USD"
    company_update(actor=personas["admin"], currency="EUR")
    assert api.get("/api/company").json()["currency"] == "EUR"
    changed = api.patch_json("/api/company", {"currency": "CAD"})
    assert changed.status_code == 200 and changed.json()["currency"] == "CAD"
    with request_memo():
        assert company_get().currency == "CAD"
        company_update(actor=personas["admin"], currency="GBP")
        assert company_get().currency == "GBP"


def test_outside_a_request_nothing_is_kept() -> None:
    loads: list[int] = []
    assert memoized("k", lambda: loads.append(1) or 1) == memoized(
        "k", lambda: loads.append(1) or 1
    )
    assert len(loads) == 2
    with request_memo():
        memoized("k", lambda: loads.append(1) or 1)
        memoized("k", lambda: loads.append(1) or 1)
    assert len(loads) == 3
