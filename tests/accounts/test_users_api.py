from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from simplepro.accounts.models import DeviceSession, User
from simplepro.audit.models import AuditRecord
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_invites_a_user_who_sets_a_password_by_link(
    personas: Any, api_as: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = api_as(personas["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post_json(
            "/api/users",
            {"username": "newbie", "email": "newbie@movers.example", "role": "dispatcher"},
        )
    assert response.status_code == 201
    user = User.objects.get(username="newbie")
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    link = re.search(r"http://\S+", mailoutbox[0].body)
    assert link is not None
    path = link.group(0).split("127.0.0.1:8000", 1)[1]
    browser = Client()
    form_page = browser.get(path, follow=True)
    assert form_page.status_code == 200 and b"Set your password" in form_page.content
    done = browser.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"new_password1": "Fresh-Start-2026!", "new_password2": "Fresh-Start-2026!"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Fresh-Start-2026!")
    assert AuditRecord.objects.filter(entity_id=str(user.pk), action="password_reset").exists()


def test_create_user_with_password_validates_strength(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    response = admin.post_json(
        "/api/users",
        {
            "username": "weak",
            "email": "weak@movers.example",
            "role": "sales",
            "password": "password",
        },
    )
    assert response.status_code == 422
    assert not User.objects.filter(username="weak").exists()


def test_duplicate_username_is_409(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    response = admin.post_json(
        "/api/users", {"username": "SALES", "email": "x@movers.example", "role": "sales"}
    )
    assert response.status_code == 409


def test_role_change_is_audited(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    target = personas["crew_member"]
    response = admin.patch_json(f"/api/users/{target.pk}", {"role": "crew_lead"})
    assert response.status_code == 200 and response.json()["role"] == "crew_lead"
    record = AuditRecord.objects.get(action="role_change", entity_id=str(target.pk))
    assert record.changes["role"] == {"before": "crew_member", "after": "crew_lead"}
    assert record.actor == personas["admin"]


def test_admin_cannot_touch_or_create_super_admins(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    owner = personas["super_admin"]
    assert admin.patch_json(f"/api/users/{owner.pk}", {"is_active": False}).status_code == 403
    assert (
        admin.patch_json(f"/api/users/{personas['sales'].pk}", {"role": "super_admin"}).status_code
        == 403
    )
    created = admin.post_json(
        "/api/users", {"username": "boss2", "email": "b@movers.example", "role": "super_admin"}
    )
    assert created.status_code == 403
    owner.refresh_from_db()
    assert owner.is_active and not User.objects.filter(username="boss2").exists()


def test_nobody_deactivates_or_demotes_themselves(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    me = personas["admin"]
    assert admin.patch_json(f"/api/users/{me.pk}", {"is_active": False}).status_code == 403
    assert admin.patch_json(f"/api/users/{me.pk}", {"role": "sales"}).status_code == 403
    me.refresh_from_db()
    assert me.is_active and me.role == "admin"


def test_admin_sends_reset_link(
    personas: Any, api_as: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = api_as(personas["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/api/users/{personas['sales'].pk}/password-reset")
    assert response.status_code == 202
    assert mailoutbox[0].to == ["sales@movers.example"]
    assert "/password-reset/" in mailoutbox[0].body


def test_completed_reset_signs_out_every_session(personas: Any, api_as: Any) -> None:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = personas["sales"]
    api = api_as(user)
    user.refresh_from_db()  # the login above changed last_login, which reset tokens include
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    browser = Client()
    page = browser.get(f"/password-reset/{uid}/{token}/", follow=True)
    browser.post(
        page.redirect_chain[-1][0],
        {"new_password1": "Brand-New-Pass-88", "new_password2": "Brand-New-Pass-88"},
    )
    assert api.get("/api/auth/me").status_code == 401
    assert not DeviceSession.objects.active().filter(user=user).exists()


def test_users_list_filters(personas: Any, api_as: Any) -> None:
    manager = api_as(personas["manager"])
    page = manager.get("/api/users", {"role": "sales"}).json()
    assert sorted(u["username"] for u in page["items"]) == ["sales", "sales2"]
    assert "password" not in page["items"][0]


def test_company_read_and_update(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    response = admin.patch_json(
        "/api/company",
        {
            "name": "Bay Movers",
            "usdot_number": "1234567",
            "mc_number": "MC-1",
            "time_zone": "America/Chicago",
            "phone_region": "gb",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["name"], body["time_zone"], body["phone_region"]) == (
        "Bay Movers",
        "America/Chicago",
        "GB",
    )
    assert api_as(personas["crew_member"]).get("/api/company").json()["name"] == "Bay Movers"
    record = AuditRecord.objects.get(entity_type="company")
    assert record.changes["name"]["after"] == "Bay Movers"


def test_company_rejects_bad_time_zone_and_region(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    assert (
        admin.patch_json("/api/company", {"time_zone": "Mars/Olympus"}).json()["errors"][0]["field"]
        == "time_zone"
    )
    assert admin.patch_json("/api/company", {"phone_region": "ZZ"}).status_code == 422


def test_company_phone_region_governs_customer_phones(personas: Any, api_as: Any) -> None:
    admin = api_as(personas["admin"])
    admin.patch_json("/api/company", {"phone_region": "GB"})
    customer = admin.post_json(
        "/api/customers", {"type": "residential", "name": "Brit", "phones": ["020 7946 0958"]}
    )
    assert customer.json()["phones"] == ["+442079460958"]


def test_company_logo_upload(personas: Any, api_as: Any, settings: Any, tmp_path: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    admin = api_as(personas["admin"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    ok = admin.post("/api/company/logo", {"logo": SimpleUploadedFile("logo.png", png, "image/png")})
    assert ok.status_code == 200 and ok.json()["logo_url"].startswith("/media/company/")
    bad = admin.post(
        "/api/company/logo", {"logo": SimpleUploadedFile("x.png", b"<svg/>", "image/png")}
    )
    assert bad.status_code == 422


def test_login_with_password_after_create(personas: Any, api_as: Any, anonymous_api: Any) -> None:
    admin = api_as(personas["admin"])
    admin.post_json(
        "/api/users",
        {
            "username": "crewx",
            "email": "crewx@movers.example",
            "role": "crew_member",
            "password": "Strong-Enough-123",
        },
    )
    response = anonymous_api.post_json(
        "/api/auth/login", {"username": "crewx", "password": "Strong-Enough-123"}
    )
    assert response.status_code == 200
    assert PASSWORD != "Strong-Enough-123"
