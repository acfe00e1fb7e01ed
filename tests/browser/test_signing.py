"""The crew collects the customer's signature on the bill of lading on a phone-sized screen, in
Chromium against a real server: the code arrives by e-mail (a real SMTP server, aiosmtpd), the
customer draws their signature, the network drops (nothing is signed, the page says so and the
drawing stays), it comes back, the signature is taken, and `simplepro documents verify` passes
on the sealed file and fails on a copy with one byte changed."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, PASSWORD, sign_in
from tests.conftest import requires
from tests.paperwork.conftest import one_byte_changed
from tests.server import cli_env, free_port, run_cli, running_server

SEED = """
import datetime as dt
from simplepro.accounts.models import User
from simplepro.customers.services import customer_create
from simplepro.jobs.models import CrewMember, Truck
from simplepro.jobs.services import assignment_create, job_create
owner = User.objects.get(username="olivia")
lead = User.objects.get(username="lee")
customer = customer_create(actor=owner, data={"type": "residential", "name": "Dana Mover",
                           "emails": ["dana@example.com"], "phones": []})
start = dt.datetime(2027, 3, 2, 13, 0, tzinfo=dt.UTC)
job = job_create(actor=owner, customer=customer, data={
    "scheduled_start": start, "scheduled_end": start + dt.timedelta(hours=6),
    "pickup_address": {"line1": "12 Elm St", "city": "Boston"},
    "delivery_address": {"line1": "9 Oak Ave", "city": "Cambridge"},
    "inventory": [{"key": "sofa", "name": "Sofa", "quantity": 1}]})
assignment_create(actor=owner, job=job, crew_member=CrewMember.objects.create(name="Lee Lead",
                  user=lead), role="lead")
assignment_create(actor=owner, job=job, truck=Truck.objects.create(name="Truck 7",
                  capacity_cuft=1600, license_plate="MA 7TRK"))
print("JOB", job.pk)
"""
SIGNATURES = """
from simplepro.paperwork.models import Signature
print("SIGNATURES", Signature.objects.count())
for s in Signature.objects.all():
    print("SIGNED", s.document_id, s.sealed_version.stored_name)
"""


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def signing_site(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str], Inbox]]:
    requires("chromium", CHROMIUM is not None)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = cli_env(tmp_path_factory.mktemp("signing"), SIMPLEPRO_RATE_LIMITS="100000/1",
                  SIMPLEPRO_SMTP_HOST="127.0.0.1", SIMPLEPRO_SMTP_PORT=str(smtp.port),
                  SIMPLEPRO_SMTP_STARTTLS="false")  # fmt: skip
    try:
        with running_server(env) as base:
            for username, role in (("olivia", "super_admin"), ("lee", "crew_lead")):
                made = run_cli("createuser", "--username", username, "--email",
                               f"{username}@movers.example", "--role", role, "--password-stdin",
                               env=env, stdin=PASSWORD + "\n")  # fmt: skip
                assert made.returncode == 0, made.stderr
            yield base, env, inbox
    finally:
        smtp.stop()


def _shell(env: dict[str, str], code: str) -> str:
    done = run_cli("shell", "-c", code, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _code(inbox: Inbox) -> str:
    deadline = time.monotonic() + 10
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    body = inbox.messages[-1].get_payload(decode=True).decode()  # type: ignore[union-attr]
    return re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]


def test_the_crew_takes_the_bill_of_lading_signature_on_a_phone_even_through_a_dropped_network(
    signing_site: tuple[str, dict[str, str], Inbox], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    site, env, inbox = signing_site
    job_id = re.search(r"JOB (\S+)", _shell(env, SEED)).group(1)  # type: ignore[union-attr]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        phone = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=False)
        page = phone.new_page()
        page.set_default_timeout(15_000)
        started = time.monotonic()
        sign_in(page, site, "lee")
        page.goto(f"{site}/jobs/{job_id}/")
        page.get_by_role("link", name="Paperwork").first.click()
        page.get_by_role("button", name="Print Bill of lading").click()
        expect(page.get_by_text("version 1 is current")).to_be_visible()
        page.get_by_role("link", name="Sign Bill of lading").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scroll"
        page.get_by_role("button", name="Send a code to d***@example.com").click()
        expect(page.locator("#code-status")).to_contain_text("A code was sent to d***@example.com")
        page.get_by_label("I have read this and consent").check()
        page.get_by_label("Code from the message").fill(_code(inbox))
        page.get_by_label("Draw it").check()
        page.locator("#signature-pad").scroll_into_view_if_needed()
        pad = page.locator("#signature-pad").bounding_box()  # in the viewport, once scrolled to
        assert pad is not None
        page.mouse.move(pad["x"] + 20, pad["y"] + pad["height"] * 0.7)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(
                pad["x"] + 20 + step * 25, pad["y"] + pad["height"] * (0.3 + 0.4 * (step % 2))
            )
        page.mouse.up()
        # The basement: no signal. Nothing is signed, the page says so, the drawing stays.
        phone.set_offline(True)
        page.get_by_role("button", name="Sign Bill of lading").click()
        expect(page.locator("#sign-status")).to_contain_text(
            "Not signed: this phone has no connection"
        )
        assert "SIGNATURES 0" in _shell(env, SIGNATURES)
        inked = page.evaluate("""() => { const c = document.getElementById('signature-pad');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
        assert inked > 100, "the drawing is still on the pad"
        # Signal again: the same tap signs.
        phone.set_offline(False)
        page.get_by_role("button", name="Sign Bill of lading").click()
        expect(page.get_by_text("This document is signed")).to_be_visible()
        elapsed = time.monotonic() - started
        page.get_by_role("link", name="See the signature").click()
        expect(page.get_by_text("Signed by")).to_be_visible()
        expect(page.get_by_text("Satisfies “Bill of lading signed” ✓")).to_be_visible()
        browser.close()
    # The figure the issue asks for, in the test log (pytest -s or -rA shows it).
    print(f"\nSIGNING FLOW (375 px, print → code → draw → offline → sign): {elapsed:.1f} s")  # noqa: T201
    found = _shell(env, SIGNATURES)
    assert "SIGNATURES 1" in found
    document_id, stored = re.search(r"SIGNED (\S+) (\S+)", found).groups()  # type: ignore[union-attr]
    verified = run_cli("documents", "verify", document_id, env=env)
    assert verified.returncode == 0 and "VERIFIED" in verified.stdout, verified.stdout
    sealed = (Path(env["SIMPLEPRO_DATA_DIR"]) / "files" / stored).read_bytes()
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(one_byte_changed(sealed))
    refused = run_cli("documents", "verify", document_id, "--file", str(copy), env=env)
    assert refused.returncode == 1 and "NOT VERIFIED" in refused.stdout
