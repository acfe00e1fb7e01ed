"""Messages in real browsers on a real server: a dispatcher writes to a colleague, who sees
"… is typing" and then the message appear without reloading, and the writer then sees
"Seen by"; readable at a phone's width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_live import _live

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_two_people_talk_live(browser: Any, site: str) -> None:
    pages = []
    for username, width in (("dina", 1280), ("olivia", 375)):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, site, username)
        pages.append(page)
    dina, olivia = pages
    dina.goto(f"{site}/messages/")
    dina.locator("select[name='user_id']").select_option(label="olivia (Super administrator)")
    dina.get_by_role("button", name="Open").click()
    thread = dina.url
    _live(dina)
    olivia.goto(thread)
    _live(olivia)

    dina.locator("#compose-body").fill("Can you call the Garcias about Friday?")
    expect(olivia.locator("#typing")).to_contain_text("is typing", timeout=5_000)
    dina.get_by_role("button", name="Send").click()
    expect(olivia.locator("#message-list")).to_contain_text("call the Garcias", timeout=5_000)
    # Olivia's page fetched the thread again, which marks it read: Dina sees it was seen
    expect(dina.locator("#thread")).to_contain_text("Seen by", timeout=5_000)
    # at 375 px the message and the reply box fit the screen
    assert olivia.evaluate("document.documentElement.scrollWidth") <= 375
    for page in pages:
        page.context.close()
