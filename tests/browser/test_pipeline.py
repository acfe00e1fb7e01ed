"""The sales pipeline in a real browser: a visitor fills the lead form framed in the
company's own website (another origin), the lead lands on the salesperson's board, and a
drag moves it to "contacted"."""

from __future__ import annotations

import http.server
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def website() -> Iterator[tuple[str, dict[str, str]]]:
    """The moving company's own site: a plain HTTP server on another port serving one page,
    into which the test puts the form's snippet."""
    pages: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the library's name
            body = pages.get("/", "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def test_a_lead_from_the_website_reaches_the_board_and_is_dragged_on(
    page: Any, site: str, website: tuple[str, dict[str, str]]
) -> None:
    origin, pages = website
    admin = requests.Session()
    token = admin.post(f"{site}/api/auth/login", json={"username": "olivia", "password": PASSWORD},
                       timeout=30).json()["access_token"]  # fmt: skip
    admin.headers["Authorization"] = f"Bearer {token}"
    form = admin.post(f"{site}/api/lead-forms", json={"name": "Website",
                                                      "allowed_origins": [origin]}, timeout=30)  # fmt: skip
    assert form.status_code == 201, form.text
    snippet = form.json()["snippet"].replace("http://127.0.0.1:8000", site)
    pages["/"] = f"<!doctype html><title>Bay State Movers</title><h1>Get a quote</h1>{snippet}"

    page.goto(origin + "/")
    frame = page.frame_locator("iframe")
    frame.get_by_label("Name").fill("Robin Browser")
    frame.get_by_label("E-mail").fill("robin@example.com")
    frame.get_by_label("Size of the move").select_option("three_bedrooms")
    frame.get_by_role("button", name="Send").click()
    expect(frame.get_by_text("Thank you")).to_be_visible()

    sign_in(page, site, "sam")  # the only salesperson: the rotation gives it to them
    page.goto(f"{site}/sales/")
    card = page.locator(".stage[data-status='open'] .deal-card", has_text="Robin Browser")
    expect(card).to_be_visible()
    card.drag_to(page.locator(".stage[data-status='contacted']"))
    moved = page.locator(".stage[data-status='contacted'] .deal-card", has_text="Robin Browser")
    expect(moved).to_be_visible()
    page.reload()
    expect(moved).to_be_visible()
    listed = admin.get(f"{site}/api/opportunities?search=robin", timeout=30).json()
    assert [(o["status"], o["salesperson"]["name"]) for o in listed["items"]] == [
        ("contacted", "sam")
    ]
    assert listed["items"][0]["move_size"] == "three_bedrooms"
