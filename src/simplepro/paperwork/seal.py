"""A signed document's file: the document as it was signed, an evidence page, and a PAdES seal
made with the company's certificate over all of it; and the check of such a file.

The seal covers every byte of the file, so changing one breaks it. Its reason names the SHA-256
of the version that was signed, so a seal cannot be passed off as another version's: the
verification compares that hash with the signature's record and with the signed file itself.
"""

from __future__ import annotations

import hashlib
import io
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from simplepro.core.pdf import latin1, letter_pdf
from simplepro.core.seal_keys import Seal, SealUnusable, load_seal

FIELD = "SimpleProSeal"
SIGNED_HASH = re.compile(r"SHA-256 ([0-9a-f]{64})")


class SealingOff(RuntimeError):
    """No usable seal is configured (production without SIMPLEPRO_DOCUMENT_SEAL)."""


def current_seal() -> Seal:
    if not settings.DOCUMENT_SEAL:
        raise SealingOff("E-signing is off: no document seal is configured.")
    try:
        return load_seal(settings.DOCUMENT_SEAL)
    except SealUnusable as exc:
        raise SealingOff(f"E-signing is off: {exc}.") from None


@dataclass(frozen=True)
class Evidence:
    """What the evidence page says; every field comes from the signature's record."""

    document: str
    job_number: str
    version: int
    signed_sha256: str
    signer: str
    method: str
    drawing_png: bytes | None
    identity: str
    consent: str
    signed_at: Any
    time_zone: str
    ip_address: str
    user_agent: str
    collected_by: str
    stage: str
    reference: str


def evidence_page(evidence: Evidence, seal: Seal) -> bytes:
    pdf = letter_pdf(created_at=evidence.signed_at, title="Signature evidence", author="SimplePro")
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(width, 8, "Evidence of electronic signature", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    local = evidence.signed_at.astimezone(zoneinfo.ZoneInfo(evidence.time_zone))
    rows = [
        ("Document", f"{evidence.document} (job {evidence.job_number}), version {evidence.version}"),
        ("Signed file", f"SHA-256 {evidence.signed_sha256}"),
        ("Signer", evidence.signer),
        ("Identity checked by", evidence.identity),
        ("Consent", evidence.consent),
        ("Signed at", f"{evidence.signed_at:%Y-%m-%d %H:%M:%S} UTC ({local:%Y-%m-%d %H:%M} "
                      f"{evidence.time_zone})"),
        ("From", f"IP {evidence.ip_address}; {evidence.user_agent or 'no user agent'}"),
        ("Taken", (evidence.stage + "; " if evidence.stage else "") + (
            f"on the device of {evidence.collected_by}" if evidence.collected_by
            else "on the signer's own device")),
        ("Sealed with", f"{seal.subject}; certificate SHA-256 {seal.fingerprint}"),
        ("Reference", evidence.reference),
    ]  # fmt: skip
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(width * 0.25, 5, latin1(label))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(width * 0.75, 5, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(width, 5, latin1(f"Signature ({evidence.method})"), new_x="LMARGIN", new_y="NEXT")
    if evidence.drawing_png:
        pdf.image(io.BytesIO(evidence.drawing_png), w=min(width, 90))
    else:
        pdf.set_font("Times", "I", 22)
        pdf.cell(width, 12, latin1(evidence.signer), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(width, 4, latin1(
        "This file is sealed with the mover's certificate. Changing any byte of it breaks the "
        "seal. The seal names the SHA-256 of the document as it was signed."
    ), new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


def sealed_pdf(signed: bytes, evidence: Evidence, seal: Seal) -> bytes:
    """The signed document's pages, then the evidence page, sealed (PAdES B-B, SHA-256)."""
    # pyHanko and pypdf are imported here, not with the module: they add ~20 MB to every web
    # worker, and only the requests that seal or verify need them.
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(signed)))
    writer.append(PdfReader(io.BytesIO(evidence_page(evidence, seal))))
    merged = io.BytesIO()
    writer.write(merged)
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(seal.certificate_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(seal.key_der),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(der) for der in seal.chain_der]
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=latin1(f"Signed by {evidence.signer}. Signed document SHA-256 "
                      f"{evidence.signed_sha256}"),
        name=latin1(evidence.signer),
    )  # fmt: skip
    out = signers.sign_pdf(IncrementalPdfFileWriter(merged), metadata, signer=signer)
    return bytes(out.getvalue())


@dataclass(frozen=True)
class SealCheck:
    intact: bool
    trusted: bool
    whole_file: bool
    certificate_sha256: str
    named_sha256: str
    problem: str = ""


def check_seal(data: bytes, trusted_fingerprints: set[str]) -> SealCheck:
    """The file's one seal: intact (its bytes are those signed), made by a certificate whose
    SHA-256 is in `trusted_fingerprints`, covering the whole file, naming a signed hash."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        seals = [s for s in reader.embedded_signatures if s.field_name == FIELD]
    except Exception as exc:  # noqa: BLE001 - any file may be uploaded: unreadable is a verdict
        return SealCheck(False, False, False, "", "", f"not a readable PDF ({type(exc).__name__})")
    if len(seals) != 1:
        return SealCheck(False, False, False, "", "", f"{len(seals)} seals found, not one")
    embedded = seals[0]
    certificate = embedded.signer_cert
    fingerprint = hashlib.sha256(certificate.dump()).hexdigest()
    try:
        status = validate_pdf_signature(
            embedded, ValidationContext(trust_roots=[certificate], allow_fetching=False)
        )
    except Exception as exc:  # noqa: BLE001 - a malformed seal is a failed check, not a crash
        return SealCheck(False, False, False, fingerprint, "",
                         f"the seal cannot be read ({type(exc).__name__})")  # fmt: skip
    reason = str(embedded.sig_object.get("/Reason", ""))
    named = SIGNED_HASH.search(reason)
    return SealCheck(
        intact=bool(status.intact and status.valid),
        trusted=fingerprint in trusted_fingerprints,
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        certificate_sha256=fingerprint,
        named_sha256=named.group(1) if named else "",
    )
