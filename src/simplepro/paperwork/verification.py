"""Is a signed document what was signed? Each check is reported on its own, so a failure says
which link broke: the file, the seal, the certificate, or the tie to the signed version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from simplepro.core import files
from simplepro.jobs.selectors import visible_jobs
from simplepro.paperwork.models import Signature
from simplepro.paperwork.seal import check_seal


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    signature: Signature
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)


def _read(name: str) -> bytes | None:
    try:
        with files.store().open(name) as handle:
            return bytes(handle.read())
    except (OSError, files.StoredFileError):
        return None


def verify(signature: Signature, copy: bytes | None = None) -> Verdict:
    """Check the stored sealed file, or `copy` (a file someone was given) against the record."""
    sealed, signed = signature.sealed_version, signature.signed_version
    data = copy if copy is not None else _read(sealed.stored_name)
    checks: list[Check] = []
    if data is None:
        return Verdict(signature, [Check("File", False, "the sealed file cannot be read")])
    digest = files.sha256(data)
    checks.append(Check(
        "File matches the record", digest == signature.sealed_sha256 == sealed.sha256,
        f"SHA-256 {digest}" + ("" if digest == sealed.sha256 else
                               f"; the record says {sealed.sha256}"),
    ))  # fmt: skip
    seal = check_seal(data, {signature.seal_certificate_sha256})
    checks.append(Check("Seal intact", seal.intact,
                        seal.problem or ("every sealed byte is unchanged" if seal.intact
                                         else "the file was changed after it was sealed")))  # fmt: skip
    checks.append(Check("Seal covers the whole file", seal.whole_file,
                        "nothing was added after sealing" if seal.whole_file
                        else "content was added after the seal"))  # fmt: skip
    checks.append(Check("Sealed with the company's certificate", seal.trusted,
                        f"certificate SHA-256 {seal.certificate_sha256 or 'none'}"))  # fmt: skip
    tied = seal.named_sha256 == signature.signed_sha256 == signed.sha256
    checks.append(Check("Seal names the version signed", tied,
                        f"version {signed.number}, SHA-256 {signed.sha256}" if tied else
                        f"the seal names {seal.named_sha256 or 'nothing'}; version "
                        f"{signed.number} is {signed.sha256}"))  # fmt: skip
    original = _read(signed.stored_name)
    unchanged = original is not None and files.sha256(original) == signed.sha256
    checks.append(Check("Signed version's file unchanged", unchanged,
                        "matches its SHA-256" if unchanged else "missing or changed"))  # fmt: skip
    return Verdict(signature, checks)


def signatures_for(identifier: UUID) -> list[Signature]:
    """The signature with this id, or every signature on the document with this id."""
    related = Signature.objects.select_related(
        "signed_version", "sealed_version", "document", "document__job"
    )
    found = list(related.filter(pk=identifier))
    return found or list(related.filter(document_id=identifier).order_by("signed_at"))


def lookup_copy(viewer: Any, data: bytes) -> Signature | None:
    """The signature a copy belongs to: by its own hash when it is an untouched original,
    else by the signed version's hash its seal names (so a changed copy is shown failing)."""
    signatures = Signature.objects.select_related(
        "document", "document__job", "signed_version", "sealed_version", "collected_by"
    ).filter(document__job__in=visible_jobs(viewer=viewer))
    found = signatures.filter(sealed_sha256=files.sha256(data)).first()
    if found is not None:
        return found
    named = check_seal(data, set()).named_sha256
    return signatures.filter(signed_sha256=named).first() if named else None
