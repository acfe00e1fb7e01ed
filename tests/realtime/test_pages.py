"""Pages open the live socket only where real time is on, and mark what they refresh."""

from __future__ import annotations

from typing import Any

import pytest

from simplepro.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_pages_load_the_live_client_only_with_real_time_on(
    make_user: Any, web_as: Any, settings: Any
) -> None:
    user = make_user(Role.DISPATCHER)
    browser = web_as(user)
    page = browser.get("/dispatch/").content.decode()
    assert f'<meta name="simplepro-stream" content="{user.pk}">' in page
    assert "simplepro/live" in page and 'data-live-refresh="job."' in page
    settings.REALTIME_ENABLED = False
    page = browser.get("/dispatch/").content.decode()
    assert "simplepro-stream" not in page and "simplepro/live" not in page


def test_signed_out_pages_do_not_open_a_socket(client: Any) -> None:
    assert "simplepro-stream" not in client.get("/login/").content.decode()
