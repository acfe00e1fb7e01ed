"""The move's paperwork: printed deterministically with every item the rules ask for, signed
with evidence, sealed, verified, and tied to the job's sign-offs."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from simplepro.accounts.models import User
from simplepro.core import files
from simplepro.documents.models import DocumentKind
from simplepro.jobs.models import Job
from simplepro.paperwork import signing
from simplepro.paperwork.models import Signature
from simplepro.paperwork.services import condition_note_record, paperwork_print
from simplepro.paperwork.verification import verify
from tests.paperwork.conftest import code_from, one_byte_changed

pytestmark = pytest.mark.django_db


def text_of(data: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)


def stored(version: Any) -> bytes:
    return files.read_verified(version.stored_name, version.sha256)


def test_the_bill_of_lading_carries_every_item_the_regulation_requires(
    personas: dict[str, User], move: dict[str, Any]
) -> None:
    version = paperwork_print(actor=personas["dispatcher"], job=move["job"],
                              kind=DocumentKind.BILL_OF_LADING)  # fmt: skip
    text = " ".join(text_of(stored(version)).split())
    for number in range(1, 15):
        assert f"({number})" in text, number
    for fact in (
        "Acme Moving LLC",
        "USDOT 1234567",
        "Dana Mover",
        "12 Elm St",
        "9 Oak Ave",
        "Truck 7 (plate MA 7TRK)",
        "Released rates valuation statement",
        "+16175550100",
    ):
        assert fact in text, fact  # fmt: skip


def test_printing_is_deterministic_and_a_change_is_a_new_version(
    personas: dict[str, User], move: dict[str, Any]
) -> None:
    office = personas["dispatcher"]
    first = paperwork_print(actor=office, job=move["job"], kind=DocumentKind.INVENTORY)
    again = paperwork_print(actor=office, job=move["job"], kind=DocumentKind.INVENTORY)
    assert again.pk == first.pk and first.sha256 == files.sha256(stored(first))
    condition_note_record(actor=personas["crew_lead"], job=move["job"], line=0, stage="pickup",
                          codes=["sc", "D"], places=["4"], note="Left arm worn")  # fmt: skip
    changed = paperwork_print(actor=office, job=move["job"], kind=DocumentKind.INVENTORY)
    assert changed.number == 2 and changed.sha256 != first.sha256
    text = text_of(stored(changed))
    assert "SC, D at 4 front" in text and "Left arm worn" in text and "No exceptions" in text


def test_an_unknown_exception_code_is_refused(
    personas: dict[str, User], move: dict[str, Any]
) -> None:
    from simplepro.core.problems import ProblemError

    with pytest.raises(ProblemError) as refused:
        condition_note_record(actor=personas["crew_lead"], job=move["job"], line=0,
                              stage="pickup", codes=["XX"], places=[])  # fmt: skip
    assert refused.value.status == 422 and "XX" in refused.value.explanation


def sign(document: Any, version: int, mailoutbox: list[Any], actor: User, **given: Any) -> Any:
    signing.signing_code_send(actor=actor, document=document, channel="email")
    fields = {"version_number": version, "signer_name": "Dana Mover", "consent": True,
              "code": code_from(mailoutbox), "method": "typed", "typed_name": "dana mover",
              "stage": "pickup", **given}  # fmt: skip
    return signing.signature_take(actor=actor, document=document, ip="203.0.113.9",
                                  user_agent="PhoneBrowser/1.0", signing=signing.Signing(**fields))  # fmt: skip


def test_the_customer_signs_the_bill_of_lading_and_the_seal_verifies(
    personas: dict[str, User], move: dict[str, Any], mailoutbox: list[Any]
) -> None:
    crew = personas["crew_lead"]
    version = paperwork_print(actor=personas["dispatcher"], job=move["job"],
                              kind=DocumentKind.BILL_OF_LADING)  # fmt: skip
    signature = sign(version.document, 1, mailoutbox, crew)
    assert isinstance(signature, Signature) and signature.signed_sha256 == version.sha256
    sealed = stored(signature.sealed_version)
    evidence = " ".join(text_of(sealed).split())
    for fact in (
        "Dana Mover",
        "d***@example.com",
        "203.0.113.9",
        "PhoneBrowser/1.0",
        "ESIGN disclosure version",
        version.sha256,
        "on the device of",
    ):
        assert fact in evidence, fact  # fmt: skip
    verdict = verify(signature)
    assert verdict.passed, verdict.checks
    job = Job.objects.get(pk=move["job"].pk)
    assert job.signoffs["bill_of_lading_signed"]["signature"] == str(signature.pk)
    broken = verify(signature, one_byte_changed(sealed))
    assert not broken.passed
    assert {c.name for c in broken.checks if not c.passed} >= {"File matches the record"}


def test_a_booklet_time_without_an_offset_or_in_the_future_is_refused(
    personas: dict[str, User], move: dict[str, Any]
) -> None:
    import datetime as dt

    from simplepro.core.problems import ProblemError
    from simplepro.paperwork.services import booklet_record

    naive = dt.datetime(2027, 1, 1, 9, 0)  # noqa: DTZ001 - the mistake under test
    for moment in (naive, dt.datetime(2099, 1, 1, tzinfo=dt.UTC)):
        with pytest.raises(ProblemError) as refused:
            booklet_record(actor=personas["dispatcher"], job=move["job"], method="email",
                           delivered_at=moment)  # fmt: skip
        assert refused.value.status == 422
    assert "rights_and_responsibilities_received" not in Job.objects.get(pk=move["job"].pk).signoffs
