"""Live updates in real browsers on a real server: two dispatchers on the same board, one
drags a job, the other sees it move without reloading; a salesperson's bell counts the
notification that their customer accepted a quote, without reloading."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_dispatch import _api, _post

pytestmark = [pytest.mark.browser, pytest.mark.server]


def _live(page: Any) -> None:
    """Wait until the page's socket has resumed its stream (live.js marks the document)."""
    expect(page.locator("html[data-live='on']")).to_have_count(1)


def test_a_move_on_one_board_shows_on_the_other_without_a_reload(browser: Any, site: str) -> None:
    api = _api(site)
    customer = _post(api, f"{site}/api/customers", {"type": "residential", "name": "Live Board"})
    trucks = {
        name: _post(api, f"{site}/api/trucks", {"name": name, "capacity_cuft": 1500, "license_plate": name})
        for name in ("Delta", "Echo")
    }  # fmt: skip
    job = _post(api, f"{site}/api/jobs", {"customer_id": customer["id"],
                "scheduled_start": "2027-10-04T09:00:00-04:00",
                "scheduled_end": "2027-10-04T13:00:00-04:00"})  # fmt: skip
    _post(api, f"{site}/api/jobs/{job['id']}/assignments", {"truck_id": trucks["Delta"]["id"]})

    pages = []
    for username in ("olivia", "dina"):
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, site, username)
        page.goto(f"{site}/dispatch/?date=2027-10-04")
        _live(page)
        pages.append(page)
    dragging, watching = pages
    card = f".job-card[data-number='{job['number']}']"
    echo = f"td.cell[data-resource='{trucks['Echo']['id']}']"
    expect(watching.locator(f"{echo} {card}")).to_have_count(0)

    dragging.locator(card).first.drag_to(dragging.locator(echo))
    expect(dragging.locator("#board-status-message")).to_contain_text("now with Echo")
    expect(watching.locator(f"{echo} {card}")).to_have_count(1, timeout=5_000)
    for page in pages:
        page.context.close()


def test_the_bell_counts_a_new_notification_without_a_reload(page: Any, site: str) -> None:
    api = _api(site)
    users = api.get(f"{site}/api/users?search=sam", timeout=30).json()["items"]
    sam = next(u for u in users if u["username"] == "sam")
    customer = _post(api, f"{site}/api/customers", {
        "type": "residential", "name": "Bell Test", "emails": ["bell@example.com"],
        "assigned_salesperson_id": sam["id"]})  # fmt: skip
    estimate = _post(api, f"{site}/api/estimates", {
        "customer_id": customer["id"],
        "input": {"service": "local", "move_date": "2027-10-13"}})  # fmt: skip
    assert api.post(f"{site}/api/estimates/{estimate['id']}/send", timeout=30).ok

    sign_in(page, site, "sam")
    page.goto(f"{site}/estimates/{estimate['id']}/")
    _live(page)
    expect(page.locator("#bell-count")).to_be_hidden()
    accepted = api.post(f"{site}/api/estimates/{estimate['id']}/accept", json={}, timeout=30)
    assert accepted.ok, accepted.text
    expect(page.locator("#bell-count")).to_have_text("1")
    # the estimate page itself shows the new status, also without a reload
    expect(page.locator("[data-test='status']")).to_have_text("accepted")
    page.locator("#bell").click()
    expect(page.get_by_text("Bell Test accepted their quote")).to_be_visible()
