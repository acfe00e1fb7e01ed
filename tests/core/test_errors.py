"""The API's error contract: problem+json for every 4xx/5xx, never internals."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(personas: Any, api_as: Any) -> Any:
    return api_as(personas["admin"])


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.content.decode()
    return dict(body)


def test_malformed_json_is_400(api: Any) -> None:
    response = api.post("/api/customers", "{not json", content_type="application/json")
    assert "not valid JSON" in _is_problem(response, 400)["detail"]


def test_unknown_field_is_422_naming_it(api: Any) -> None:
    response = api.post_json(
        "/api/customers", {"type": "residential", "name": "A", "colour": "red"}
    )
    errors = _is_problem(response, 422)["errors"]
    assert errors == [
        {"field": "colour", "code": "extra_forbidden", "message": "Extra inputs are not permitted"}
    ]


def test_nested_field_paths(api: Any) -> None:
    response = api.post_json(
        "/api/customers", {"type": "residential", "name": "A", "addresses": [{"line1": "x"}]}
    )
    assert [e["field"] for e in _is_problem(response, 422)["errors"]] == ["addresses[0].city"]


def test_oversized_json_is_413(api: Any, settings: Any) -> None:
    settings.MAX_JSON_BODY_BYTES = 1000
    response = api.post_json("/api/customers", {"type": "residential", "name": "A" * 2000})
    _is_problem(response, 413)


def test_unknown_api_route_is_json_404(api: Any) -> None:
    _is_problem(api.get("/api/no-such-thing"), 404)


def test_wrong_method_is_json_405(api: Any) -> None:
    _is_problem(api.put("/api/customers"), 405)


def test_missing_token_is_401_with_challenge(anonymous_api: Any) -> None:
    response = anonymous_api.get("/api/customers")
    _is_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_forged_token_is_401(db: None) -> None:
    from tests.conftest import ApiClient

    response = ApiClient(token="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl").get(
        "/api/customers"
    )
    _is_problem(response, 401)


def test_bad_uuid_in_path_is_422(api: Any) -> None:
    _is_problem(api.get("/api/customers/not-a-uuid"), 422)


def test_unhandled_crash_is_problem_500_without_internals(api: Any, monkeypatch: Any) -> None:
    # The one place a fault is injected on purpose: nothing else here can make a view crash.
    from simplepro.customers import selectors

    def explode(**_: Any) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(selectors, "customer_list", explode)
    body = _is_problem(api.get("/api/customers"), 500)
    assert "secret internal detail" not in str(body)


def test_request_id_is_echoed_or_generated(api: Any) -> None:
    assert api.get("/api/auth/me", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    generated = api.get("/api/auth/me", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert len(generated) == 32 and " " not in generated


def test_every_response_names_the_build_that_answered(api: Any, client: Any) -> None:
    from simplepro import __version__

    assert api.get("/api/auth/me")["X-SimplePro-Version"] == __version__
    assert client.get("/api/health")["X-SimplePro-Version"] == __version__
    assert client.get("/no-such-page/")["X-SimplePro-Version"] == __version__


def test_request_id_is_in_the_json_log_line(api: Any, caplog: Any) -> None:
    import json
    import logging

    api.get(
        "/api/auth/me", HTTP_X_REQUEST_ID="trace-me-42", HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )
    formatter = logging.getLogger().handlers[0].formatter
    lines = [
        json.loads(formatter.format(r)) for r in caplog.records if r.name == "simplepro.access"
    ]
    access = [line for line in lines if line.get("request_id") == "trace-me-42"]
    assert len(access) == 1
    line = access[0]
    assert (line["event"], line["status"], line["path"]) == ("request", 200, "/api/auth/me")
    assert line["user_id"] == str(api.user.pk)
    assert {"timestamp", "level", "duration_ms", "method"} <= line.keys()
    assert api.token not in json.dumps(lines)


def test_security_headers(api: Any) -> None:
    response = api.get("/api/auth/me")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def test_hsts_in_production_settings(api: Any, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = False
    response = api.get("/api/auth/me", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cors_only_for_allowed_origins(api: Any, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.movers.example"]
    allowed = api.get("/api/auth/me", HTTP_ORIGIN="https://app.movers.example")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.movers.example"
    denied = api.get("/api/auth/me", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in denied


def test_multipart_without_boundary_is_400(api: Any) -> None:
    # Found by Schemathesis: Django's parser raised and the API answered 500.
    response = api.post("/api/customers/import", b"--x\r\n", content_type="multipart/form-data")
    _is_problem(response, 400)


def test_null_in_a_patch_is_422_not_500(api: Any, personas: Any) -> None:
    # Found by Schemathesis: {"is_active": null} reached the database as NULL.
    response = api.patch_json(f"/api/users/{personas['sales'].pk}", {"is_active": None})
    assert _is_problem(response, 422)["errors"][0]["field"] == "is_active"


def test_oversized_upload_is_413_before_reading(api: Any, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MAX_UPLOAD_BYTES = 500
    upload = SimpleUploadedFile("c.csv", b"type,name\n" + b"residential,x\n" * 100, "text/csv")
    _is_problem(api.post("/api/customers/import", {"file": upload}), 413)


def test_login_redirect_stays_on_this_site(personas: Any) -> None:
    from django.test import Client

    from tests.conftest import PASSWORD

    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = Client().post(
            f"/login/?next={target}", {"username": "sales", "password": PASSWORD}
        )
        assert response["Location"] == "/", target
    inside = Client().post("/login/?next=/customers/", {"username": "sales", "password": PASSWORD})
    assert inside["Location"] == "/customers/"


def test_absurd_page_numbers_are_clamped_not_500(api: Any) -> None:
    # Found by Schemathesis: page=1.2e26 could not be rendered as JSON.
    response = api.get("/api/users", {"page": "123858990857840922644709376", "page_size": "-5"})
    assert response.status_code == 200
    assert (response.json()["page"], response.json()["page_size"]) == (1_000_000, 1)
