"""Taking a signature: the one-time code that proves who signs, then the signature itself.

The order of checks in `signature_take` is the order a mistake is most likely: the wrong
version, no consent, a wrong or used code, then the drawing. Everything happens under a lock on
the document, so two taps on "Sign" make one signature and the second is told it is signed.
No network, no signature: the code must reach the customer's phone or e-mail, so a phone
without signal says so and keeps the drawing on its screen (docs/signatures.md).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import secrets
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from PIL import Image, UnidentifiedImageError

from simplepro.accounts.policies import SIGNED_DOCUMENT_SIGNOFFS
from simplepro.accounts.services import company_get
from simplepro.audit.services import audit_record
from simplepro.core import files
from simplepro.core.problems import Conflict, ProblemError, invalid
from simplepro.documents.models import Document, DocumentVersion
from simplepro.documents.services import document_pdf_add
from simplepro.jobs.services import job_signoff
from simplepro.notifications.sms import opted_out, sms_provider
from simplepro.paperwork import seal as sealing
from simplepro.paperwork.consent import CONSENT_SHA256, CONSENT_VERSION
from simplepro.paperwork.models import (
    IdentityChannel,
    Signature,
    SignatureMethod,
    SigningCode,
    Stage,
)

logger = structlog.get_logger(__name__)

CODE_MINUTES = 10
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 5
DRAWING_MAX_BYTES = 300_000


def _code_hash(code_id: Any, code: str) -> str:
    # Keyed: six digits are a million guesses, so a stolen table must not be enough.
    return salted_hmac("simplepro.paperwork.signing-code", f"{code_id}:{code}").hexdigest()


def masked(destination: str) -> str:
    if "@" in destination:
        user, _, domain = destination.partition("@")
        return f"{user[:1]}***@{domain}"
    return f"***{destination[-4:]}"


def destinations(customer: Any) -> dict[str, str]:
    """Where a code can go: the first e-mail on file; the first phone, when SMS is on."""
    found = {}
    if customer.emails:
        found[IdentityChannel.EMAIL.value] = customer.emails[0]
    if customer.phones and sms_provider() is not None and not opted_out(customer.phones[0]):
        found[IdentityChannel.SMS.value] = customer.phones[0]
    return found


def signing_code_send(*, actor: Any, document: Document, channel: str) -> SigningCode:
    """Send a one-time code to the customer's e-mail or phone on file. The code is never
    logged, stored or shown to whoever holds the device; only the customer receives it."""
    if channel not in IdentityChannel.values:
        raise invalid("channel", "invalid", f"Choose one of: {', '.join(IdentityChannel.values)}.")
    destination = destinations(document.customer).get(channel)
    if destination is None:
        raise invalid("channel", "unreachable", "No e-mail address on file for the customer."
                      if channel == "email" else "Texting is off or no phone is on file.")  # fmt: skip
    since = timezone.now() - dt.timedelta(hours=1)
    if (
        SigningCode.objects.filter(document=document, created_at__gte=since).count()
        >= CODES_PER_HOUR
    ):
        raise ProblemError(429, "Too many codes for this document in the last hour; wait a while.")
    code = f"{secrets.randbelow(10**6):06d}"
    company = company_get().name
    text = (f"{code} is your code to sign “{document.title}” with {company}. It expires in "
            f"{CODE_MINUTES} minutes. If you are not signing anything, ignore this.")  # fmt: skip
    with transaction.atomic(durable=True):
        sent = SigningCode(
            document=document, channel=channel, destination=destination, sent_by=actor,
            expires_at=timezone.now() + dt.timedelta(minutes=CODE_MINUTES),
        )  # fmt: skip
        sent.code_hash = _code_hash(sent.pk, code)
        sent.save()
        try:
            if channel == IdentityChannel.EMAIL:
                EmailMessage(subject=f"Your signing code from {company}", body=text,
                             to=[destination]).send()  # fmt: skip
            else:
                provider = sms_provider()
                assert provider is not None  # destinations() offers SMS only when it is on
                provider.send(to=destination, body=text, status_url="")
        except Exception as exc:  # noqa: BLE001 - any provider failure: tell, keep nothing
            logger.warning("signing_code_not_sent", channel=channel, error=type(exc).__name__)
            raise ProblemError(502, f"The code could not be sent by {channel}; try again or "
                                    "use the other way.") from None  # fmt: skip
        audit_record(
            actor=actor, action="signing.code_sent", entity_type="document",
            entity_id=document.pk, changes={"code": {"before": None, "after": {
                "channel": channel, "to": masked(destination)}}},
        )  # fmt: skip
    return sent


def _code_use(document: Document, code: str) -> SigningCode | None:
    """The newest live code of `document`, used up if `code` is it; None (and one more wrong
    try counted) if not. Expired, used up or tried too often: a 4xx saying to send another."""
    live = (
        SigningCode.objects.select_for_update()
        .filter(document=document, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )
    if live is None:
        raise invalid("code", "expired", "The code has expired or was used; send a new one.")
    if live.attempts >= CODE_ATTEMPTS:
        raise ProblemError(429, "Too many wrong codes; send a new one.")
    if not constant_time_compare(live.code_hash, _code_hash(live.pk, code.strip())):
        SigningCode.objects.filter(pk=live.pk).update(attempts=live.attempts + 1)
        return None
    live.used_at = timezone.now()
    live.save(update_fields=["used_at"])
    return live


def _drawing(data_url: str) -> bytes:
    """The drawn signature: a PNG from the canvas, within size, not blank."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise invalid("drawing", "not_png", "The drawing must be a PNG from the signing pad.")
    try:
        png = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise invalid("drawing", "not_png", "The drawing could not be read.") from None
    if len(png) > DRAWING_MAX_BYTES:
        raise invalid("drawing", "too_big", "The drawing is too large.")
    try:
        opened = Image.open(io.BytesIO(png))
        if opened.format != "PNG":
            raise invalid("drawing", "not_png", "The drawing must be a PNG.")
        image = opened.convert("LA")
    except (UnidentifiedImageError, OSError):
        raise invalid("drawing", "not_png", "The drawing could not be read.") from None
    lum, alpha = image.split()
    dark = lum.point(lambda v: 255 if v < 160 else 0)
    seen = alpha.point(lambda v: 255 if v > 0 else 0)
    inked = Image.composite(dark, Image.new("L", image.size, 0), seen).histogram()[255]
    if inked < 30:
        raise invalid("drawing", "blank", "The signing pad is empty: sign in the box.")
    return png


@dataclass(frozen=True)
class Signing:
    """What the signer gave, as the page or the API received it."""

    version_number: int
    signer_name: str
    consent: bool
    code: str
    method: str
    typed_name: str = ""
    drawing: str = ""
    stage: str = ""


def _checked(signing: Signing) -> tuple[str, bytes | None]:
    name = " ".join(signing.signer_name.split())
    if not 2 <= len(name) <= 200:
        raise invalid("signer_name", "required", "Write the signer's full name.")
    if not signing.consent:
        raise invalid("consent", "required",
                      "The signer must accept electronic records and signatures first.")  # fmt: skip
    if signing.stage and signing.stage not in Stage.values:
        raise invalid("stage", "invalid", f"Choose one of: {', '.join(Stage.values)}.")
    if signing.method == SignatureMethod.TYPED:
        if " ".join(signing.typed_name.split()).casefold() != name.casefold():
            raise invalid("typed_name", "mismatch", "Type the signer's full name exactly.")
        return name, None
    if signing.method == SignatureMethod.DRAWN:
        return name, _drawing(signing.drawing)
    raise invalid("method", "invalid", "Sign by drawing or by typing the name.")


def _signable(document: Document, number: int) -> DocumentVersion:
    """The version the signer saw, if it is still the one to sign: the newest, a PDF, and not
    signed yet. Anything else is a 409 naming the version to sign instead."""
    if document.archived_at is not None:
        raise Conflict("The document is archived; it cannot be signed.")
    latest = document.versions.order_by("-number").first()
    if latest is None or latest.content_type != "application/pdf":
        raise Conflict("Only a PDF document can be signed.")
    if Signature.objects.filter(sealed_version=latest).exists():
        raise ProblemError(409, "The document is signed already.",
                           extra={"signed_version": latest.number})  # fmt: skip
    if number != latest.number:
        raise ProblemError(
            409,
            f"Version {number} is no longer the one to sign: version {latest.number} is. "
            "Read it before signing.",
            extra={"current_version": latest.number},
        )
    return latest


def _seal() -> Any:
    try:
        return sealing.current_seal()
    except sealing.SealingOff as exc:
        raise ProblemError(503, str(exc)) from None


def _identity(code: SigningCode) -> str:
    used = timezone.localtime(code.used_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    how = "e-mail" if code.channel == IdentityChannel.EMAIL else "text message"
    return (
        f"one-time code sent by {how} to {masked(code.destination)} (on file), typed back at {used}"
    )


def signature_take(
    *, actor: Any, document: Document, signing: Signing, ip: str, user_agent: str
) -> Signature:
    """Check, seal and record one signature on the document's newest version. The sealed
    PDF becomes the next version; the job's sign-off for the kind follows."""
    name, drawing = _checked(signing)
    seal = _seal()
    with transaction.atomic(durable=True):
        locked = (
            Document.objects.select_for_update(of=("self",))
            .select_related("job")
            .get(pk=document.pk)
        )
        signed = _signable(locked, signing.version_number)
        code = _code_use(locked, signing.code)
        if code is not None:
            signature = _sign(actor=actor, document=locked, version=signed, code=code,
                              name=name, drawing=drawing, signing=signing, seal=seal, ip=ip,
                              user_agent=user_agent[:500])  # fmt: skip
    if code is None:  # raised after the block, so the wrong try is counted, not rolled back
        raise invalid("code", "wrong", "That code is not right; check the message and retype it.")
    return signature


def _sign(
    *, actor: Any, document: Document, version: DocumentVersion, code: SigningCode, name: str,
    drawing: bytes | None, signing: Signing, seal: Any, ip: str, user_agent: str,
) -> Signature:  # fmt: skip
    original = files.read_verified(version.stored_name, version.sha256)
    now = timezone.now()
    company = company_get()
    collector = getattr(actor, "display_name", "") if getattr(actor, "pk", None) else ""
    evidence = sealing.Evidence(
        document=document.title, job_number=document.job.number if document.job else "-",
        version=version.number, signed_sha256=version.sha256, signer=name,
        method="drawn" if drawing else "typed", drawing_png=drawing, identity=_identity(code),
        consent=f"ESIGN disclosure version {CONSENT_VERSION} (SHA-256 {CONSENT_SHA256}) shown "
                "and accepted before signing",
        signed_at=now, time_zone=company.time_zone, ip_address=ip, user_agent=user_agent,
        collected_by=collector, stage=Stage(signing.stage).label if signing.stage else "",
        reference=f"{settings.PUBLIC_URL}/paperwork/verify/ · document {document.pk}",
    )  # fmt: skip
    sealed = sealing.sealed_pdf(original, evidence, seal)
    base = version.original_name.removesuffix(".pdf")
    sealed_version = document_pdf_add(
        actor=actor, data=sealed, file_name=f"{base} (signed).pdf", document=document,
        action="document.signed",
    )  # fmt: skip
    signature = Signature.objects.create(
        document=document, signed_version=version, signed_sha256=version.sha256,
        sealed_version=sealed_version, sealed_sha256=sealed_version.sha256,
        seal_certificate_sha256=seal.fingerprint, signer_name=name,
        method=SignatureMethod.DRAWN if drawing else SignatureMethod.TYPED,
        drawing_sha256=files.sha256(drawing) if drawing else "", stage=signing.stage,
        consent_version=CONSENT_VERSION, consent_sha256=CONSENT_SHA256, consented_at=now,
        identity_channel=code.channel, identity_destination=code.destination, signing_code=code,
        ip_address=ip, user_agent=user_agent,
        collected_by=actor if getattr(actor, "pk", None) else None, signed_at=now,
    )  # fmt: skip
    audit_record(
        actor=actor, action="document.signature", entity_type="document", entity_id=document.pk,
        changes={"signature": {"before": None, "after": {
            "signer": name, "version": version.number, "sha256": version.sha256,
            "sealed_version": sealed_version.number, "identity": masked(code.destination)}}},
        ip_address=ip,
    )  # fmt: skip
    _sign_off(actor, document, signature)
    return signature


def _sign_off(actor: Any, document: Document, signature: Signature) -> None:
    job = document.job
    if job is None:
        return
    for name, kind in SIGNED_DOCUMENT_SIGNOFFS.items():
        if kind == document.kind and name in job.required_signoffs and name not in job.signoffs:
            job_signoff(actor=actor, job=job, name=name, evidence={
                "document": str(document.pk), "signature": str(signature.pk),
                "version": signature.sealed_version.number, "sha256": signature.sealed_sha256})  # fmt: skip
