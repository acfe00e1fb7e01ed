"""The company's document seal: a private key and its certificate, kept together as one PEM
(the key first, then the certificate and any chain), like any other secret.

Embedded mode generates a self-signed one on first run (`new_seal_pem`); production supplies
its own (`SIMPLEPRO_DOCUMENT_SEAL_FILE`), from its own certificate authority or one that
signers' PDF readers already trust. Rotating it leaves old seals verifiable: each signature
records the SHA-256 of the certificate that sealed it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

SEAL_YEARS = 10


class SealUnusable(ValueError):
    """The configured seal cannot sign: not a key and a matching certificate, or expired."""


@dataclass(frozen=True)
class Seal:
    key_der: bytes  # PKCS#8
    certificate_der: bytes
    chain_der: tuple[bytes, ...]
    subject: str
    not_after: dt.datetime

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.certificate_der).hexdigest()


def new_seal_pem(common_name: str = "SimplePro document seal") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SimplePro (self-signed, embedded)"),
    ])  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * SEAL_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_cert_sign=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    return (key_pem + certificate.public_bytes(serialization.Encoding.PEM)).decode()


def load_seal(pem: str, *, now: dt.datetime | None = None) -> Seal:
    """The seal in `pem`, checked: one unencrypted private key, a certificate for that key
    first among the certificates, currently valid. SealUnusable says what is wrong."""
    data = pem.encode()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SealUnusable(f"no unencrypted private key in the seal PEM ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SealUnusable("the seal's key must be an EC or RSA key")
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise SealUnusable("no certificate in the seal PEM") from None
    own = certificates[0]
    same = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if own.public_key().public_bytes(*same) != key.public_key().public_bytes(*same):
        raise SealUnusable("the first certificate in the seal PEM is not for its key")
    moment = now or dt.datetime.now(dt.UTC)
    if not own.not_valid_before_utc <= moment <= own.not_valid_after_utc:
        raise SealUnusable(f"the seal's certificate is not valid now (until "
                           f"{own.not_valid_after_utc:%Y-%m-%d})")  # fmt: skip
    der = serialization.Encoding.DER
    return Seal(
        key_der=key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
        certificate_der=own.public_bytes(der),
        chain_der=tuple(c.public_bytes(der) for c in certificates[1:]),
        subject=own.subject.rfc4514_string(),
        not_after=own.not_valid_after_utc,
    )  # fmt: skip
