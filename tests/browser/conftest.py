"""Browser fixtures: a real `simplepro serve` with two users, and headless Chromium."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import requires
from tests.server import cli_env, run_cli, running_server

# Debian's chromium here; the Chrome that hosted CI runners carry elsewhere.
CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
PASSWORD = "Browser-Test-Pass-1"
# The environment of each running site (by its address), for tests that also run the CLI
# on it (`simplepro shell` to let time pass for a scheduled task).
SITE_ENV: dict[str, dict[str, str]] = {}
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    requires("chromium", CHROMIUM is not None)
    data = tmp_path_factory.mktemp("browser")
    env = cli_env(data, SIMPLEPRO_RATE_LIMITS="100000/1")
    with running_server(env) as base:
        for username, role in (("olivia", "super_admin"), ("sam", "sales"), ("dina", "dispatcher")):
            result = run_cli(
                "createuser",
                "--username",
                username,
                "--email",
                f"{username}@movers.example",
                "--role",
                role,
                "--password-stdin",
                env=env,
                stdin=PASSWORD + "\n",
            )
            assert result.returncode == 0, result.stderr
        SITE_ENV[base] = env
        yield base


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def record_page(kind: str) -> re.Pattern[str]:
    """The URL of one record's page, e.g. `/customers/<uuid>/`. A glob such as
    `**/customers/*/` would also match `/customers/new/`, which the browser is still on while
    the form is being saved, and wait for nothing."""
    return re.compile(rf"/{kind}/[0-9a-f-]{{36}}/$")


def sign_in(page: Any, site: str, username: str, password: str = PASSWORD) -> None:
    """Submit the login form and wait for the page it leads to (the dashboard, or the form
    again with its error): a test that reads the page straight after the click would
    otherwise race the navigation and find no document body."""
    page.goto(f"{site}/login/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
