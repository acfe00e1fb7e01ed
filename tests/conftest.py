"""Shared fixtures: named personas for every role, API clients holding real tokens, and the
`requires` gate that skips (or, with SIMPLEPRO_STRICT_TESTS=1, fails) when a program is absent."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from simplepro.accounts.models import Role, User
from simplepro.accounts.services import auth_login, company_get, user_create

STRICT = os.environ.get("SIMPLEPRO_STRICT_TESTS") == "1"
REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
PASSWORD = "Correct-Horse-Battery-9"


def requires(name: str, available: bool) -> None:
    """Skip with the reason `requires: <name>` when something the test needs is missing.

    Under SIMPLEPRO_STRICT_TESTS=1 (CI) a missing requirement fails instead: CI has to run
    everything, and a silent skip would hide that it did not.
    """
    if available:
        return
    if STRICT:
        pytest.fail(f"requires: {name} (SIMPLEPRO_STRICT_TESTS=1 forbids skipping)")
    pytest.skip(f"requires: {name}")


def fresh_rate_limit_window(margin: float = 10.0) -> None:
    """Rate-limit counters use fixed one-minute windows: a test that began `margin` seconds
    before a window ends would see its counts reset half-way. Wait for the next window."""
    into_window = time.time() % 60
    if into_window > 60 - margin:
        time.sleep(60 - into_window + 0.05)


def requires_program(program: str) -> str:
    path = shutil.which(program)
    requires(program, path is not None)
    assert path is not None
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under SIMPLEPRO_STRICT_TESTS=1: {report.longrepr}"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    # MD5 only in tests: Argon2 is deliberately slow. Rate limits are tested where they
    # matter and lifted elsewhere; each test has its own counter namespace in Redis.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.API_RATE_LIMITS = "100000/1"
    settings.LEAD_RATE_LIMITS = settings.LEAD_FORM_RATE_LIMITS = "100000/1"
    settings.RATE_LIMIT_KEY_PREFIX = f"test:{uuid.uuid4().hex}:"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PRIVATE_FILES_ROOT = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture
def company(db: None) -> Any:
    return company_get()


@pytest.fixture
def make_user(db: None, company: Any) -> Callable[..., User]:
    def make(role: str = Role.SALES, username: str | None = None, **extra: Any) -> User:
        name = username or f"{role.replace('_', '')}{uuid.uuid4().hex[:6]}"
        return user_create(
            actor=None,
            username=name,
            email=f"{name}@movers.example",
            role=role,
            password=PASSWORD,
            **extra,
        )

    return make


@pytest.fixture
def personas(make_user: Callable[..., User]) -> dict[str, User]:
    """One user per role, plus a second salesperson and a second crew member."""
    people = {
        role.value: make_user(role.value, username=role.value.replace("_", "")) for role in Role
    }
    people["sales2"] = make_user(Role.SALES, username="sales2")
    people["crew_member2"] = make_user(Role.CREW_MEMBER, username="crewmember2")
    return people


class ApiClient(Client):
    """A test client that sends a real bearer token obtained through the login service."""

    def __init__(self, user: User | None = None, token: str | None = None) -> None:
        super().__init__()
        self.user = user
        self.token = token
        self.refresh_token = ""
        if user is not None and token is None:
            pair = auth_login(
                username=user.username, password=PASSWORD, ip="127.0.0.1", user_agent="pytest"
            )
            self.token = pair.access_token
            self.refresh_token = pair.refresh_token
            self.session_id = pair.session.pk
        if self.token:
            self.defaults["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"

    def post_json(self, path: str, data: Any, **extra: Any) -> Any:
        return self.post(path, data, content_type="application/json", **extra)

    def put_json(self, path: str, data: Any, **extra: Any) -> Any:
        return self.put(path, data, content_type="application/json", **extra)

    def patch_json(self, path: str, data: Any, **extra: Any) -> Any:
        return self.patch(path, data, content_type="application/json", **extra)


class PartnerApiClient(Client):
    """A partner signed in to their portal as a browser is: the session cookie, and the
    CSRF token the portal's pages set sent back in a header."""

    def __init__(self, email: str, password: str) -> None:
        super().__init__(enforce_csrf_checks=True)
        signed = self.post("/api/partner-portal/login", {"email": email, "password": password},
                           content_type="application/json")  # fmt: skip
        assert signed.status_code == 200, signed.content
        self.get("/partners/portal/")
        self.defaults["HTTP_X_CSRFTOKEN"] = self.cookies[settings.CSRF_COOKIE_NAME].value


@pytest.fixture
def api_as(db: None) -> Callable[[User], ApiClient]:
    return ApiClient


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient()


@pytest.fixture
def web_as(db: None) -> Callable[[User], Client]:
    """A browser-like client signed in through the real login form."""

    def make(user: User) -> Client:
        client = Client()
        response = client.post("/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        return client

    return make


def new_customer(api: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"type": "residential", "name": "Jane Mover", **fields}
    response = api.post_json("/api/customers", body)
    assert response.status_code == 201, response.json()
    return dict(response.json())
