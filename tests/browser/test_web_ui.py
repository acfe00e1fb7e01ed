"""The web UI in headless Chromium (Debian's build, driven by Playwright) against a real
`simplepro serve`: what a person at the moving company actually clicks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import record_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_wrong_password_shows_an_error(page: Any, site: str) -> None:
    sign_in(page, site, "olivia", "not-the-password")
    assert page.get_by_role("alert").inner_text().strip() == "Invalid username or password."
    assert page.url.endswith("/login/")


def test_customer_lifecycle(page: Any, site: str) -> None:
    sign_in(page, site, "olivia")
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name="New customer").click()

    # A bad phone number is refused, next to the field, and the typed values stay.
    page.get_by_label("Name").first.fill("Rosa Delgado")
    page.get_by_label("Phones").fill("12")
    page.get_by_role("button", name="Save").click()
    assert "not a valid phone number" in page.locator(".field.has-error").inner_text()
    assert page.get_by_label("Name").first.input_value() == "Rosa Delgado"

    page.get_by_label("Phones").fill("(617) 555-0142")
    page.get_by_label("Emails").fill("rosa@movers.example")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(record_page("customers"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Rosa Delgado")
    phone_link = page.get_by_role("link", name="+1 617-555-0142")  # shown as people dial it
    assert phone_link.get_attribute("href") == "tel:+16175550142"  # stored as E.164

    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_placeholder("Name, e-mail or phone").fill("555-0142")
    page.wait_for_function("document.querySelectorAll('table.customers tbody tr a').length === 1")
    page.get_by_role("link", name="Rosa Delgado").click()

    page.get_by_role("button", name="Archive").click()
    assert page.locator("h1 .badge").inner_text() == "archived"
    assert "archive" in page.locator("table.audit").inner_text()


def test_sales_sees_no_admin_entries(page: Any, site: str) -> None:
    sign_in(page, site, "sam")
    nav = page.get_by_role("navigation", name="Main").inner_text()
    assert "Customers" in nav
    for admin_entry in ("Users", "Company", "Audit log"):
        assert admin_entry not in nav
    response = page.goto(f"{site}/users/")
    assert response.status == 403


def test_usable_on_a_phone_screen(browser: Any, site: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    sign_in(page, site, "olivia")
    page.goto(f"{site}/customers/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert not page.get_by_role("navigation", name="Main").is_visible()
    page.get_by_role("button", name="Menu").click()
    assert page.get_by_role("navigation", name="Main").is_visible()
    context.close()


def test_theme_follows_the_system_and_can_be_switched(browser: Any, site: str) -> None:
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    sign_in(page, site, "olivia")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 27)"
    page.get_by_role("button", name="Switch light or dark theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    page.reload()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"
    context.close()


def test_keyboard_reaches_the_login_form(page: Any, site: str) -> None:
    page.goto(f"{site}/login/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.name")
    assert focused in {"username", "password"}


UNLABELLED = """
() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
  .filter(el => {
    const name = (el.labels && el.labels.length ? el.labels[0].innerText : '')
      || el.getAttribute('aria-label') || el.getAttribute('placeholder') || el.innerText || el.title;
    return !name || !name.trim();
  })
  .map(el => el.outerHTML.slice(0, 120))
"""


def test_every_control_has_an_accessible_name_and_is_reachable_by_keyboard(
    page: Any, site: str
) -> None:
    sign_in(page, site, "olivia")
    for path in (
        "/", "/customers/", "/customers/new/", "/users/", "/company/", "/account/",
        "/estimates/", "/estimates/new/", "/pricing/", "/dispatch/", "/my-jobs/",
        "/dispatch/time-off/", "/company/checklists/",
    ):  # fmt: skip
        page.goto(f"{site}{path}")
        assert page.evaluate(UNLABELLED) == [], path
    # The skip link is the first stop and jumps to the main content.
    page.goto(f"{site}/customers/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
