"""Signing, and every way it can go wrong: a stale or signed version, no consent, a wrong,
used or expired code, a blank pad, a seal moved to another version, no seal configured; the
pages the crew and the office use; `simplepro documents verify`."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image, ImageDraw

from simplepro.accounts.models import User
from simplepro.audit.models import AuditRecord
from simplepro.core import files
from simplepro.core.problems import ProblemError
from simplepro.documents.models import DocumentKind, DocumentVersion
from simplepro.jobs.models import Job
from simplepro.paperwork import signing
from simplepro.paperwork.models import Signature, SigningCode
from simplepro.paperwork.services import paperwork_print
from simplepro.paperwork.verification import verify
from tests.paperwork.conftest import code_from, one_byte_changed

pytestmark = pytest.mark.django_db


def drawn_png(blank: bool = False) -> str:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(40, 150), (200, 40), (380, 160), (560, 50)], fill="black",
                                   width=4)  # fmt: skip
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def printed(personas: dict[str, User], move: dict[str, Any], kind: str = "bill_of_lading") -> Any:
    return paperwork_print(actor=personas["dispatcher"], job=move["job"], kind=kind).document


def take(document: Any, actor: User, **given: Any) -> Signature:
    fields = {"version_number": 1, "signer_name": "Dana Mover", "consent": True, "code": "",
              "method": "typed", "typed_name": "Dana Mover", **given}  # fmt: skip
    return signing.signature_take(actor=actor, document=document, ip="198.51.100.7",
                                  user_agent="Test", signing=signing.Signing(**fields))  # fmt: skip


def refused(call: Any) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        call()
    return caught.value


def test_every_bad_signing_is_refused_and_nothing_is_written(
    personas: dict[str, User], move: dict[str, Any], mailoutbox: list[Any]
) -> None:
    crew = personas["crew_lead"]
    document = printed(personas, move)
    signing.signing_code_send(actor=crew, document=document, channel="email")
    code = code_from(mailoutbox)
    assert code not in str(list(AuditRecord.objects.values_list("changes", flat=True)))
    assert refused(lambda: take(document, crew, code=code, consent=False)).status == 422
    assert refused(lambda: take(document, crew, code=code, typed_name="Someone Else")).status == 422
    blank = refused(
        lambda: take(document, crew, code=code, method="drawn", drawing=drawn_png(True))
    )
    assert blank.status == 422 and "empty" in blank.explanation
    stale = refused(lambda: take(document, crew, code=code, version_number=7))
    assert stale.status == 409 and stale.extra["current_version"] == 1
    wrong = "000000" if code != "000000" else "111111"
    assert refused(lambda: take(document, crew, code=wrong)).status == 422
    assert SigningCode.objects.get().attempts == 1  # the wrong try is counted, not rolled back
    assert Signature.objects.count() == 0 and DocumentVersion.objects.count() == 1
    signature = take(document, crew, code=code, method="drawn", drawing=drawn_png())
    assert signature.method == "drawn" and signature.drawing_sha256
    again = refused(lambda: take(document, crew, code=code, version_number=2))
    assert again.status == 409  # signed already: a second tap never makes a second signature
    assert Signature.objects.count() == 1


def test_codes_expire_are_used_once_and_wrong_ones_run_out(
    personas: dict[str, User], move: dict[str, Any], mailoutbox: list[Any]
) -> None:
    crew = personas["crew_lead"]
    document = printed(personas, move)
    signing.signing_code_send(actor=crew, document=document, channel="email")
    code = code_from(mailoutbox)
    SigningCode.objects.update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert "expired" in refused(lambda: take(document, crew, code=code)).explanation
    signing.signing_code_send(actor=crew, document=document, channel="email")
    fresh = code_from(mailoutbox)
    wrong = "000000" if fresh != "000000" else "111111"
    for _ in range(signing.CODE_ATTEMPTS):
        refused(lambda: take(document, crew, code=wrong))
    assert refused(lambda: take(document, crew, code=fresh)).status == 429
    for _ in range(signing.CODES_PER_HOUR - 2):
        signing.signing_code_send(actor=crew, document=document, channel="email")
    assert refused(lambda: signing.signing_code_send(actor=crew, document=document,
                                                     channel="email")).status == 429  # fmt: skip
    texting = refused(
        lambda: signing.signing_code_send(actor=crew, document=document, channel="sms")
    )
    assert texting.status == 422 and "Texting is off" in texting.explanation


def test_a_seal_moved_to_another_version_fails_verification(
    personas: dict[str, User], move: dict[str, Any], mailoutbox: list[Any]
) -> None:
    crew = personas["crew_lead"]
    bill = printed(personas, move)
    signing.signing_code_send(actor=crew, document=bill, channel="email")
    signature = take(bill, crew, code=code_from(mailoutbox))
    other = printed(personas, move, kind=DocumentKind.INVENTORY).versions.get()
    Signature.objects.filter(pk=signature.pk).update(signed_version=other)  # what an edit would do
    moved = verify(Signature.objects.get(pk=signature.pk))
    assert not moved.passed
    assert [c.name for c in moved.checks if not c.passed] == ["Seal names the version signed"]


def test_without_a_seal_signing_is_off_with_a_503(
    personas: dict[str, User], move: dict[str, Any], settings: Any, mailoutbox: list[Any]
) -> None:
    document = printed(personas, move)
    signing.signing_code_send(actor=personas["crew_lead"], document=document, channel="email")
    settings.DOCUMENT_SEAL = ""
    off = refused(lambda: take(document, personas["crew_lead"], code=code_from(mailoutbox)))
    assert off.status == 503 and "no document seal" in off.explanation
    assert SigningCode.objects.get().used_at is None  # the customer's code is still good


def test_the_crew_collects_a_signature_on_the_pages_and_the_office_verifies_it(
    personas: dict[str, User], web_as: Any, move: dict[str, Any], mailoutbox: list[Any],
    tmp_path: Any, capsys: Any,
) -> None:  # fmt: skip
    job = move["job"]
    office, crew = web_as(personas["dispatcher"]), web_as(personas["crew_lead"])
    page = office.get(f"/jobs/{job.pk}/paperwork/")
    assert page.status_code == 200 and b"Bill of lading" in page.content
    assert b"Not printed yet" in page.content and b"Order for service" in page.content
    assert (
        office.post(f"/jobs/{job.pk}/paperwork/print/", {"kind": "bill_of_lading"}).status_code
        == 302
    )
    assert office.post(f"/jobs/{job.pk}/paperwork/booklet/", {"method": "paper"}).status_code == 302
    bill = Job.objects.get(pk=job.pk).documents.get(kind="bill_of_lading")
    sign_page = crew.get(f"/paperwork/{bill.pk}/sign/")
    assert sign_page.status_code == 200 and b"Consent to electronic records" in sign_page.content
    assert b"d***@example.com" in sign_page.content
    sent = crew.post(f"/paperwork/{bill.pk}/sign/", {"action": "code", "channel": "email"},
                     HTTP_ACCEPT="application/json")  # fmt: skip
    assert sent.status_code == 200 and "d***@example.com" in sent.json()["message"]
    signed = crew.post(f"/paperwork/{bill.pk}/sign/", {
        "action": "sign", "version": "1", "consent": "1", "code": code_from(mailoutbox),
        "signer_name": "Dana Mover", "method": "typed", "typed_name": "Dana Mover",
        "stage": "pickup"}, HTTP_USER_AGENT="CrewPhone/2")  # fmt: skip
    assert signed.status_code == 302
    job.refresh_from_db()
    assert "bill_of_lading_signed" in job.signoffs
    assert "rights_and_responsibilities_received" in job.signoffs
    signature = Signature.objects.get()
    assert signature.user_agent == "CrewPhone/2" and signature.collected_by == personas["crew_lead"]
    check = office.get(f"/paperwork/signatures/{signature.pk}/")
    assert (
        check.status_code == 200
        and b"Verified" in check.content
        and b"Not verified" not in check.content
    )
    sealed = files.read_verified(signature.sealed_version.stored_name, signature.sealed_sha256)
    tampered = one_byte_changed(sealed)
    copy = office.post("/paperwork/verify/", {"file": SimpleUploadedFile("copy.pdf", tampered)})
    assert copy.status_code == 200 and b"Not verified" in copy.content
    original = office.post("/paperwork/verify/", {"file": SimpleUploadedFile("o.pdf", sealed)})
    assert b"Not verified" not in original.content and b"Verified" in original.content
    stranger = office.post("/paperwork/verify/", {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")})
    assert stranger.status_code == 404
    # The command line: the stored file passes, a copy with one byte changed fails.
    call_command("documents", "verify", str(bill.pk))
    assert "VERIFIED" in capsys.readouterr().out
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(tampered)
    with pytest.raises(SystemExit) as failed:
        call_command("documents", "verify", str(bill.pk), "--file", str(bad))
    assert failed.value.code == 1 and "NOT VERIFIED" in capsys.readouterr().out
    # Crew outside the job reach none of it.
    outsider = web_as(personas["crew_member"])
    assert outsider.get(f"/jobs/{job.pk}/paperwork/").status_code == 404
    assert outsider.get(f"/paperwork/{bill.pk}/sign/").status_code == 404
    assert outsider.get(f"/paperwork/signatures/{signature.pk}/").status_code == 404
