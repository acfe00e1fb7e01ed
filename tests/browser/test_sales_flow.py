"""The whole sales job in a real browser, as issue 13's "done when" reads: a lead typed into
the form framed on the company's website appears in the pipeline; the website-lead rule's
call reaches the right salesperson (an hour later: the test moves the step's due time and
runs the sweep, as the scheduler would); the salesperson ties the move to the partner who
sent it, quotes it; the customer opens the quote (recorded and notified) and accepts; the
job is scheduled and, once moved, the funnel counts every step and the partner sees the
commission pending in their portal."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, SITE_ENV, record_page, sign_in
from tests.browser.test_pipeline import website  # noqa: F401  (the company's own site)
from tests.paperwork.helpers import sign_off_all_api
from tests.server import run_cli

pytestmark = [pytest.mark.browser, pytest.mark.server]

AN_HOUR_LATER = """
import datetime as dt
from django.utils import timezone
from simplepro.sales.automation import due_steps_run
from simplepro.sales.models import RuleStep
RuleStep.objects.filter(status="pending", run__rule__key="website-lead-call").update(
    due_at=timezone.now() - dt.timedelta(minutes=5))
print("DONE", due_steps_run())
"""
QUOTE_LINK = """
from simplepro.estimates.models import EstimateVersion
from simplepro.estimates.services import quote_link
version = EstimateVersion.objects.exclude(pdf_sha256="").get(estimate__customer__name="Casey Web")
print("LINK", quote_link(version).split("/q/", 1)[1])
"""


def _shell(site: str, code: str, tag: str) -> str:
    done = run_cli("shell", "-c", code, env=SITE_ENV[site])
    assert done.returncode == 0, done.stderr[-2000:]
    return next(line for line in done.stdout.splitlines() if line.startswith(tag))[len(tag) + 1 :]


def _api(site: str, username: str) -> requests.Session:
    session = requests.Session()
    token = session.post(f"{site}/api/auth/login",
                         json={"username": username, "password": PASSWORD},
                         timeout=30).json()["access_token"]  # fmt: skip
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def test_from_a_website_lead_to_a_completed_move_and_a_partners_commission(
    browser: Any, page: Any, site: str, website: tuple[str, dict[str, str]],  # noqa: F811
) -> None:  # fmt: skip
    origin, pages = website
    admin = _api(site, "olivia")
    form = admin.post(f"{site}/api/lead-forms", json={
        "name": "Website flow", "allowed_origins": [origin]}, timeout=30)  # fmt: skip
    assert form.status_code == 201, form.text
    pages["/"] = ("<!doctype html><title>Bay State Movers</title>"
                  + form.json()["snippet"].replace("http://127.0.0.1:8000", site))  # fmt: skip
    partner = admin.post(
        f"{site}/api/partners",
        json={"name": "Harbor Realty", "kind": "realtor", "commission_rate": "5"},
        timeout=30,
    ).json()
    assert admin.post(f"{site}/api/partners/{partner['id']}/accounts", json={
        "name": "Rita", "email": "rita@harbor.example", "password": "correct horse battery"},
        timeout=30).status_code == 201  # fmt: skip

    # 1. A visitor on the company's site.
    page.goto(origin + "/")
    frame = page.frame_locator("iframe")
    frame.get_by_label("Name").fill("Casey Web")
    frame.get_by_label("E-mail").fill("casey@example.com")
    frame.get_by_label("Size of the move").select_option("two_bedrooms")
    frame.get_by_role("button", name="Send").click()
    expect(frame.get_by_text("Thank you")).to_be_visible()

    # 2. An hour later the rule's call is sam's (the only salesperson), who is told.
    assert _shell(site, AN_HOUR_LATER, "DONE") == "1"
    sign_in(page, site, "sam")
    page.goto(f"{site}/sales/my-day/")
    expect(page.get_by_text("Call the new website lead")).to_be_visible()
    page.goto(f"{site}/notifications/")
    expect(page.get_by_text("To do: Call the new website lead").first).to_be_visible()

    # 3. sam opens the move, ties it to the realtor who sent Casey, and quotes it.
    page.goto(f"{site}/sales/")
    page.locator(".deal-card", has_text="Casey Web").get_by_role("link").first.click()
    page.wait_for_url(record_page("sales/opportunities"))
    opportunity_url = page.url
    page.get_by_label("Partner").select_option(label="Harbor Realty")
    page.get_by_role("button", name="A partner sent them").click()
    expect(page.locator("#referred-by")).to_contain_text("Harbor Realty")
    expect(page.get_by_text("Call the new website lead").first).to_be_visible()
    page.get_by_role("link", name="New estimate").click()
    page.wait_for_url("**/estimates/new/?customer=*")
    page.get_by_label("Add a room").select_option("two_bedroom")
    page.get_by_role("button", name="Add room").click()
    expect(page.locator("#live [data-test=items]")).not_to_have_text("0")
    page.get_by_label("Estimated hours").fill("4")
    page.get_by_label("Estimated hours").dispatch_event("change")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Save estimate").click()
    page.wait_for_url(record_page("estimates"))
    estimate_url = page.url
    page.get_by_role("button", name="Send to customer").click()
    expect(page.locator("[data-test=status]")).to_have_text("sent")
    page.goto(opportunity_url)
    expect(page.locator(".badge", has_text="Quoted").first).to_be_visible()

    # 4. Casey opens the quote link from the e-mail, and accepts.
    token = _shell(site, QUOTE_LINK, "LINK")
    customer = browser.new_context().new_page()
    customer.goto(f"{site}/q/{token}")
    expect(customer.get_by_role("button", name="Accept this quote")).to_be_visible()
    page.goto(estimate_url)
    expect(page.locator("#engagement")).to_contain_text("opened it 1 time")
    page.goto(f"{site}/notifications/")
    expect(page.get_by_text("Casey Web is looking at their quote").first).to_be_visible()
    customer.get_by_role("button", name="Accept this quote").click()
    expect(customer.locator("#quote-status")).to_contain_text("accepted")

    # 5. The move is won; the dispatcher schedules the job from the estimate.
    page.goto(opportunity_url)
    expect(page.locator(".badge", has_text="Won").first).to_be_visible()
    office = browser.new_context().new_page()
    sign_in(office, site, "dina")
    office.goto(estimate_url)
    office.get_by_label("Start").fill("2027-06-14T08:00")
    office.get_by_role("button", name="Create job").click()
    office.wait_for_url(record_page("jobs"))
    job_id = office.url.rstrip("/").rsplit("/", 1)[1]

    # 6. Moving day (the crew's side is its own test): sign-offs, then to completed.
    dispatcher = _api(site, "dina")
    sign_off_all_api(dispatcher, site, job_id)
    for step in ("confirmed", "en_route", "in_progress", "completed"):
        moved = dispatcher.post(f"{site}/api/jobs/{job_id}/transition", json={"to": step},
                                timeout=30)  # fmt: skip
        assert moved.status_code == 200, moved.text

    # 7. The opportunity has its job; the funnel counts each step once.
    owner = browser.new_context().new_page()
    sign_in(owner, site, "olivia")
    owner.goto(opportunity_url)
    expect(owner.locator("dl.facts")).to_contain_text("Job")
    owner.goto(f"{site}/sales/figures/")
    for stage in (
        "lead",
        "opportunity",
        "quote_sent",
        "quote_accepted",
        "job_created",
        "job_completed",
    ):
        row = owner.locator(f"#funnel tr[data-stage='{stage}'] td").first
        expect(row).to_have_text("1")

    # 8. The realtor signs in to their portal: the commission is pending.
    portal = browser.new_context().new_page()
    portal.goto(f"{site}/partners/portal/")
    portal.get_by_label("E-mail").fill("rita@harbor.example")
    portal.get_by_label("Password").fill("correct horse battery")
    portal.get_by_role("button", name="Sign in").click()
    row = portal.locator("#portal-referrals tr", has_text="Casey Web")
    expect(row).to_contain_text("Moved")
    expect(row).to_contain_text("Pending payment: USD")
    expect(portal.locator("#commission-totals")).not_to_contain_text("pending USD 0.00")
