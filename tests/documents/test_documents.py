"""Documents: upload from the office and the crew's phone, type sniffed from the content, size
limited, photos stripped of their location, versions kept, downloads streamed, checked and
audited, scope enforced, share links that expire, take a password, are rate-limited and stop
at once when withdrawn."""

from __future__ import annotations

import datetime
import hashlib
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from simplepro.accounts.models import User
from simplepro.audit.models import AuditRecord
from simplepro.customers.services import customer_create
from simplepro.documents.models import Document, DocumentVersion, ShareLink
from simplepro.jobs.models import CrewMember
from simplepro.jobs.services import assignment_create, job_create

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg(with_location: bool = True) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if with_location:
        exif[0x8825] = {1: "N", 2: (42.0, 21.0, 30.0), 3: "W", 4: (71.0, 3.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


@pytest.fixture
def setup(personas: dict[str, User]) -> dict[str, Any]:
    owner = personas["super_admin"]
    customer = customer_create(actor=owner, data={
        "type": "residential", "name": "Dana Mover", "emails": ["dana@example.com"],
        "assigned_salesperson_id": personas["sales"].pk})  # fmt: skip
    start = datetime.datetime(2027, 3, 2, 13, 0, tzinfo=datetime.UTC)
    job = job_create(actor=owner, customer=customer, data={
        "scheduled_start": start, "scheduled_end": start + datetime.timedelta(hours=6),
        "inventory": [{"key": "piano_upright", "name": "Upright piano", "quantity": 1}]})  # fmt: skip
    lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
    CrewMember.objects.create(name="Other Person", user=personas["crew_member"])
    assignment_create(actor=owner, job=job, crew_member=lead, role="lead")
    return {"customer": customer, "job": job}


def upload(client: Any, data: bytes, name: str, **fields: Any) -> Any:
    return client.post("/api/documents", {"file": SimpleUploadedFile(name, data), **fields})


def test_the_office_uploads_and_downloads_a_pdf_checked_and_audited(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any]
) -> None:
    client = api_as(personas["sales"])
    response = upload(client, PDF, "order.pdf", kind="contract",
                      customer_id=str(setup["customer"].pk), title="Signed order")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Signed order" and body["kind_label"] == "Contract"
    version = body["versions"][0]
    assert version["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert version["content_type"] == "application/pdf" and version["size"] == len(PDF)
    download = client.get(version["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    audit = AuditRecord.objects.filter(action="document.download", entity_id=body["id"]).get()
    assert audit.actor == personas["sales"] and audit.changes["download"]["after"]["via"] == "api"
    assert AuditRecord.objects.filter(action="document.upload", entity_id=body["id"]).exists()


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "x.svg",
            415,
            "type_refused",
        ),
        (b"MZ\x90\x00" + b"\x00" * 100, "invoice.pdf", 415, "type_refused"),  # a program named .pdf
        (b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, "photo.jpg", 422, "unreadable"),
        (b"", "empty.pdf", 422, "empty"),
    ],
)
def test_a_refused_file_is_a_clear_error_and_nothing_is_stored(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any],
    data: bytes, name: str, status: int, code: str,
) -> None:  # fmt: skip
    response = upload(api_as(personas["sales"]), data, name, kind="other",
                      customer_id=str(setup["customer"].pk))  # fmt: skip
    assert response.status_code == status, response.content
    assert response.json()["errors"][0]["code"] == code
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()


def test_a_file_over_the_limit_is_refused(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any], settings: Any
) -> None:
    settings.MAX_UPLOAD_BYTES = 1000
    response = upload(api_as(personas["sales"]), PDF + b"x" * 2000, "big.pdf", kind="other",
                      customer_id=str(setup["customer"].pk))  # fmt: skip
    assert response.status_code == 413
    assert "the limit is 1000 bytes" in response.json()["detail"]
    assert not Document.objects.exists()


def test_the_crew_photographs_an_inventory_item_and_its_location_is_removed(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any]
) -> None:
    client = api_as(personas["crew_lead"])
    original = jpeg(with_location=True)
    response = upload(client, original, "IMG_0001.jpg", kind="photo", photo_stage="damage",
                      job_id=str(setup["job"].pk), inventory_line="0")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["inventory_item"] == "Upright piano" and body["photo_stage"] == "damage"
    assert body["customer_id"] == str(setup["customer"].pk)
    version = body["versions"][0]
    assert version["location_removed"] is True
    stored = b"".join(client.get(version["download_url"]).streaming_content)
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif().get_ifd(0x8825), "no GPS left"
    assert image.getexif()[0x010F] == "PhoneMaker", "the rest of the metadata is kept"
    assert (
        version["sha256"]
        == hashlib.sha256(stored).hexdigest()
        != hashlib.sha256(original).hexdigest()
    )


def test_a_photo_without_a_location_is_stored_byte_for_byte(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any]
) -> None:
    original = jpeg(with_location=False)
    response = upload(api_as(personas["crew_lead"]), original, "p.jpg", kind="photo",
                      job_id=str(setup["job"].pk))  # fmt: skip
    assert response.json()["versions"][0]["sha256"] == hashlib.sha256(original).hexdigest()


def test_crew_reach_only_the_jobs_they_are_on(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any]
) -> None:
    office = api_as(personas["sales"])
    on_customer = upload(office, PDF, "a.pdf", kind="other", customer_id=str(setup["customer"].pk))
    on_job = upload(office, PDF, "b.pdf", kind="bill_of_lading", job_id=str(setup["job"].pk))
    lead, other = api_as(personas["crew_lead"]), api_as(personas["crew_member"])
    assert [d["id"] for d in lead.get("/api/documents").json()["items"]] == [on_job.json()["id"]]
    assert lead.get(f"/api/documents/{on_customer.json()['id']}").status_code == 404
    assert other.get("/api/documents").json()["items"] == []
    assert other.get(f"/api/documents/{on_job.json()['id']}/download").status_code == 404
    refused = upload(other, PDF, "c.pdf", kind="photo", job_id=str(setup["job"].pk))
    assert refused.status_code == 404 and Document.objects.count() == 2
    assert api_as(personas["sales2"]).get("/api/documents").json()["items"] == []


def test_a_new_version_keeps_the_old_one(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any]
) -> None:
    client = api_as(personas["sales"])
    first = upload(client, PDF, "v1.pdf", kind="contract", customer_id=str(setup["customer"].pk))
    document_id = first.json()["id"]
    second = PDF.replace(b"1 0 obj", b"2 0 obj")
    response = client.post(f"/api/documents/{document_id}/versions",
                           {"file": SimpleUploadedFile("v2.pdf", second)})  # fmt: skip
    assert response.status_code == 201
    versions = response.json()["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    old = client.get(f"/api/documents/{document_id}/download?version=1")
    assert b"".join(old.streaming_content) == PDF
    new = client.get(f"/api/documents/{document_id}/download")
    assert b"".join(new.streaming_content) == second


def test_a_damaged_file_is_never_served(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any], settings: Any
) -> None:
    from pathlib import Path

    client = api_as(personas["sales"])
    body = upload(client, PDF, "a.pdf", kind="other", customer_id=str(setup["customer"].pk)).json()
    stored = DocumentVersion.objects.get()
    path = Path(settings.STORAGES["private"]["OPTIONS"]["location"]) / stored.stored_name
    path.write_bytes(PDF.replace(b"obj", b"OBJ"))  # same size, other bytes
    response = client.get(body["versions"][0]["download_url"])
    with pytest.raises(Exception, match="SHA-256"):
        b"".join(response.streaming_content)
    path.write_bytes(PDF[:-3])
    assert client.get(body["versions"][0]["download_url"]).status_code == 503


def test_share_links_expire_take_a_password_and_stop_when_withdrawn(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any], client: Any
) -> None:
    office = api_as(personas["sales"])
    document = upload(office, PDF, "inventory.pdf", kind="inventory",
                      customer_id=str(setup["customer"].pk)).json()  # fmt: skip
    made = office.post_json(f"/api/documents/{document['id']}/share-links",
                            {"days": 3, "password": "movingday"})  # fmt: skip
    assert made.status_code == 201, made.content
    url = made.json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    path = "/" + path
    page = client.get(path)
    assert page.status_code == 200 and b"Password" in page.content
    assert client.post(path, {"password": "wrong-one"}).status_code == 401
    good = client.post(path, {"password": "movingday"})
    assert good.status_code == 200 and b"".join(good.streaming_content) == PDF
    link = ShareLink.objects.get()
    assert link.access_count == 1
    assert AuditRecord.objects.filter(action="document.download", actor=None).count() == 1
    revoked = office.post(f"/api/documents/{document['id']}/share-links/{link.pk}/revoke")
    assert revoked.status_code == 200
    assert client.post(path, {"password": "movingday"}).status_code == 404
    ShareLink.objects.update(
        revoked_at=None, expires_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    assert client.post(path, {"password": "movingday"}).status_code == 410
    assert client.get("/s/not-a-token/").status_code == 404


def test_guessing_share_links_is_rate_limited(client: Any, settings: Any, db: None) -> None:
    settings.SHARE_RATE_LIMITS = "3/60"
    answers = [client.get(f"/s/guess-{n}/").status_code for n in range(5)]
    assert answers == [404, 404, 404, 429, 429]


def test_the_panel_on_the_job_page_uploads_a_photo_from_the_phone(
    personas: dict[str, User], web_as: Any, setup: dict[str, Any]
) -> None:
    browser = web_as(personas["crew_lead"])
    job = setup["job"]
    page = browser.get(f"/jobs/{job.pk}/")
    assert b'capture="environment"' in page.content and b"Upright piano" in page.content
    response = browser.post("/documents/upload/", {
        "photo": SimpleUploadedFile("IMG.jpg", jpeg()), "kind": "photo", "photo_stage": "before",
        "job_id": str(job.pk), "inventory_line": "0", "next": f"/jobs/{job.pk}/"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    page = browser.get(f"/jobs/{job.pk}/")
    assert b"Uploaded" in page.content and b"IMG.jpg" in page.content
    document = Document.objects.get()
    assert document.job == job and document.created_by == personas["crew_lead"]
    download = browser.get(f"/documents/{document.pk}/v1/")
    assert download.status_code == 200


def test_the_documents_page_lists_what_the_viewer_may_see(
    personas: dict[str, User], web_as: Any, api_as: Any, setup: dict[str, Any]
) -> None:
    office = api_as(personas["sales"])
    upload(office, PDF, "a.pdf", kind="contract", customer_id=str(setup["customer"].pk),
           title="Signed order Dana")  # fmt: skip
    upload(office, PDF, "b.pdf", kind="bill_of_lading", job_id=str(setup["job"].pk),
           title="BOL pickup Dana")  # fmt: skip
    page = web_as(personas["sales"]).get("/documents/")
    assert b"Signed order Dana" in page.content and b"BOL pickup Dana" in page.content
    assert b"Dana Mover" in page.content
    crew_page = web_as(personas["crew_lead"]).get("/documents/")
    assert b"BOL pickup Dana" in crew_page.content and b"Signed order Dana" not in crew_page.content
    assert b"/customers/" not in crew_page.content, "no link to a page the crew cannot open"
    assert b'href="/documents/"' in crew_page.content, "in the sidebar"


def test_a_bucket_out_of_reach_is_a_503_and_nothing_is_written(
    personas: dict[str, User], api_as: Any, setup: dict[str, Any], settings: Any
) -> None:
    """Nothing listens on the endpoint: boto3's real client fails to connect."""
    from tests.server import free_port

    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "gone", "location": "files", "access_key": "k",
                    "secret_key": "s", "endpoint_url": f"http://127.0.0.1:{free_port()}",
                    "region_name": "us-east-1", "addressing_style": "path"}}}  # fmt: skip
    response = upload(api_as(personas["sales"]), PDF, "a.pdf", kind="other",
                      customer_id=str(setup["customer"].pk))  # fmt: skip
    assert response.status_code == 503
    assert "nothing was saved" in response.json()["detail"]
    assert not Document.objects.exists()
