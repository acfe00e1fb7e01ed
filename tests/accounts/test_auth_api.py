from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from simplepro.accounts.models import DeviceSession
from simplepro.audit.models import AuditRecord
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db


def login(client: Any, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(
        "/api/auth/login",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
        **extra,
    )


def test_login_returns_the_token_contract(personas: Any, anonymous_api: Any) -> None:
    response = login(anonymous_api, "sales")
    assert response.status_code == 200
    body = response.json()
    assert body.keys() == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    header = jwt.get_unverified_header(body["access_token"])
    assert header["kid"] == "embedded-1" or header["kid"]
    me = ApiClient(token=body["access_token"]).get("/api/auth/me").json()
    assert me["username"] == "sales" and me["role"] == "sales"


def test_login_by_email_case_insensitive(personas: Any, anonymous_api: Any) -> None:
    assert login(anonymous_api, "SALES@movers.example").status_code == 200


def test_bad_credentials_get_one_generic_401(personas: Any, anonymous_api: Any) -> None:
    wrong_password = login(anonymous_api, "sales", "nope")
    unknown_user = login(anonymous_api, "ghost", "nope")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json()["detail"] == unknown_user.json()["detail"]
    assert AuditRecord.objects.filter(action="login_failed").count() == 2


def test_inactive_user_cannot_log_in(personas: Any, anonymous_api: Any) -> None:
    user = personas["sales"]
    user.is_active = False
    user.save()
    assert login(anonymous_api, "sales").status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_session(personas: Any, anonymous_api: Any) -> None:
    first = login(anonymous_api, "sales").json()
    refreshed = anonymous_api.post_json(
        "/api/auth/refresh", {"refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert ApiClient(token=second["access_token"]).get("/api/auth/me").status_code == 200
    # The old refresh token again: theft. The whole session dies, new tokens included.
    reused = anonymous_api.post_json("/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert ApiClient(token=second["access_token"]).get("/api/auth/me").status_code == 401
    assert (
        anonymous_api.post_json(
            "/api/auth/refresh", {"refresh_token": second["refresh_token"]}
        ).status_code
        == 401
    )
    assert DeviceSession.objects.get().revoked_reason == "refresh token reused"


def test_refresh_with_unknown_token_is_401(anonymous_api: Any, db: None) -> None:
    assert (
        anonymous_api.post_json("/api/auth/refresh", {"refresh_token": "nope"}).status_code == 401
    )


def test_logout_stops_the_access_token_at_once(personas: Any, api_as: Any) -> None:
    api = api_as(personas["sales"])
    assert api.post("/api/auth/logout").status_code == 204
    assert api.get("/api/auth/me").status_code == 401
    assert (
        api.post_json("/api/auth/refresh", {"refresh_token": api.refresh_token}).status_code == 401
    )


def test_sessions_list_and_end_one(personas: Any, api_as: Any) -> None:
    phone = api_as(personas["sales"])
    laptop = api_as(personas["sales"])
    sessions = laptop.get("/api/auth/sessions").json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions if s["id"] == str(laptop.session_id)] == [True]
    assert laptop.delete(f"/api/auth/sessions/{phone.session_id}").status_code == 204
    assert phone.get("/api/auth/me").status_code == 401
    assert laptop.get("/api/auth/me").status_code == 200


def test_cannot_end_someone_elses_session(personas: Any, api_as: Any) -> None:
    victim = api_as(personas["sales2"])
    attacker = api_as(personas["sales"])
    assert attacker.delete(f"/api/auth/sessions/{victim.session_id}").status_code == 404
    assert victim.get("/api/auth/me").status_code == 200


def test_new_first_jwt_key_rotates_signing_without_logging_out(
    personas: Any, api_as: Any, settings: Any
) -> None:
    old = api_as(personas["sales"])
    settings.JWT_KEYS = [{"kid": "2027-01", "secret": "n" * 48}, *settings.JWT_KEYS]
    assert old.get("/api/auth/me").status_code == 200
    new = api_as(personas["sales"])
    assert jwt.get_unverified_header(new.token)["kid"] == "2027-01"
    settings.JWT_KEYS = settings.JWT_KEYS[:1]  # the old key retired: its tokens stop working
    assert old.get("/api/auth/me").status_code == 401
    assert new.get("/api/auth/me").status_code == 200


def test_expired_access_token_is_401(personas: Any, api_as: Any, settings: Any) -> None:
    settings.ACCESS_TOKEN_TTL_SECONDS = -10
    assert api_as(personas["sales"]).get("/api/auth/me").status_code == 401


def test_deactivation_revokes_every_session_at_once(personas: Any, api_as: Any) -> None:
    target = api_as(personas["sales"])
    admin = api_as(personas["admin"])
    response = admin.patch_json(f"/api/users/{personas['sales'].pk}", {"is_active": False})
    assert response.status_code == 200
    assert target.get("/api/auth/me").status_code == 401
    assert not DeviceSession.objects.active().filter(user=personas["sales"]).exists()
    assert AuditRecord.objects.filter(
        action="deactivate", entity_id=str(personas["sales"].pk)
    ).exists()


def test_change_own_password_signs_out_other_sessions(personas: Any, api_as: Any) -> None:
    here = api_as(personas["sales"])
    elsewhere = api_as(personas["sales"])
    weak = here.post_json(
        "/api/auth/password", {"current_password": PASSWORD, "new_password": "123"}
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "new_password"
    wrong = here.post_json(
        "/api/auth/password", {"current_password": "x", "new_password": "Another-Long-Pass-7"}
    )
    assert wrong.status_code == 422
    ok = here.post_json(
        "/api/auth/password", {"current_password": PASSWORD, "new_password": "Another-Long-Pass-7"}
    )
    assert ok.status_code == 204
    assert here.get("/api/auth/me").status_code == 200
    assert elsewhere.get("/api/auth/me").status_code == 401
    assert login(ApiClient(), "sales", "Another-Long-Pass-7").status_code == 200


def test_password_reset_request_never_reveals_accounts(
    personas: Any, anonymous_api: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = anonymous_api.post_json(
            "/api/auth/password-reset", {"email": "sales@movers.example"}
        )
        unknown = anonymous_api.post_json(
            "/api/auth/password-reset", {"email": "nobody@movers.example"}
        )
    assert known.status_code == unknown.status_code == 202
    assert [m.to for m in mailoutbox] == [["sales@movers.example"]]
