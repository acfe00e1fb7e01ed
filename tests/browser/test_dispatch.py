"""The dispatch board in a real browser: drag a job to another truck and see it saved; drag it
onto a truck already booked at that time and see it refused, nothing moved."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.server]


def _api(site: str) -> requests.Session:
    session = requests.Session()
    token = session.post(
        f"{site}/api/auth/login", json={"username": "olivia", "password": PASSWORD}, timeout=30
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _post(api: requests.Session, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(url, json=body, timeout=30)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_drag_a_job_to_another_truck_and_onto_a_conflict(page: Any, site: str) -> None:
    api = _api(site)
    customer = _post(api, f"{site}/api/customers", {"type": "residential", "name": "Board Test"})
    trucks = {
        name: _post(api, f"{site}/api/trucks", {"name": name, "capacity_cuft": 1500, "license_plate": name})
        for name in ("Alpha", "Bravo", "Charlie")
    }  # fmt: skip
    block = {
        "scheduled_start": "2027-09-06T09:00:00-04:00",
        "scheduled_end": "2027-09-06T13:00:00-04:00",
    }
    moving = _post(api, f"{site}/api/jobs", {"customer_id": customer["id"], **block})
    blocking = _post(api, f"{site}/api/jobs", {"customer_id": customer["id"], **block})
    _post(api, f"{site}/api/jobs/{moving['id']}/assignments", {"truck_id": trucks["Alpha"]["id"]})
    _post(api, f"{site}/api/jobs/{blocking['id']}/assignments", {"truck_id": trucks["Bravo"]["id"]})

    sign_in(page, site, "olivia")
    page.get_by_role("link", name="Jobs & dispatch").click()
    page.wait_for_url("**/dispatch/")
    page.goto(f"{site}/dispatch/?date=2027-09-06")
    card = page.locator(f".job-card[data-number='{moving['number']}']").first
    charlie = page.locator(f"td.cell[data-resource='{trucks['Charlie']['id']}']")
    bravo = page.locator(f"td.cell[data-resource='{trucks['Bravo']['id']}']")

    card.drag_to(charlie)
    expect(page.locator("#board-status-message")).to_contain_text(
        f"{moving['number']} now with Charlie"
    )
    page.reload()
    expect(charlie.locator(f".job-card[data-number='{moving['number']}']")).to_have_count(1)

    card = page.locator(f".job-card[data-number='{moving['number']}']").first
    card.drag_to(bravo)
    expect(page.locator("#board-status-message")).to_contain_text("not free")
    page.reload()
    expect(charlie.locator(f".job-card[data-number='{moving['number']}']")).to_have_count(1)
    expect(bravo.locator(".job-card")).to_have_count(1)  # only the job that was there
    job = api.get(f"{site}/api/jobs/{moving['id']}", timeout=30).json()
    assert [a["name"] for a in job["assignments"]] == ["Charlie"]
