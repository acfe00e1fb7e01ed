"""Production-readiness checks (`simplepro check-deploy`, and production start-up).

Each finding has a stable id and says how to fix it. They are Django deploy checks, so
`simplepro check-deploy` and `django-admin check --deploy` report the same thing.
"""

from __future__ import annotations

import shutil
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

MIN_SECRET_BYTES = 32
# What `simplepro backup`, `dr-drill` and `restore-customer` run against PostgreSQL.
POSTGRESQL_CLIENT = ("pg_dump", "pg_restore", "psql")
# Values seen in examples and in the original system's repository: never acceptable.
PLACEHOLDERS = frozenset(
    {
        "change-me",
        "changeme",
        "change_me",
        "replace-me",
        "secret",
        "password",
        "your-secret-key",
        "your-super-secret-jwt-key-change-in-production",
        "your-super-secret-refresh-key-change-in-production",
        "simplepro_dev_2024",
        "simplepro_redis_2024",
        "simplepro_minio_2024",
        "admin123!",
        "test123!",
        "minioadmin",
    }
)
PLACEHOLDER_FRAGMENTS = (
    "change-me",
    "changeme",
    "change-in-production",
    "django-insecure",
    "example",
)


def is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered in PLACEHOLDERS or any(f in lowered for f in PLACEHOLDER_FRAGMENTS)


def _secret_findings(name: str, value: str, ids: tuple[str, str, str]) -> list[CheckMessage]:
    missing, short, placeholder = ids
    if not value:
        return [
            Error(
                f"{name} is not set.",
                hint=f"Set {name} (or {name}_FILE pointing at a "
                "secret file) to at least 32 random bytes, e.g. `openssl rand -base64 48`.",
                id=missing,
            )
        ]
    if is_placeholder(value):
        return [
            Error(
                f"{name} is a known placeholder value.",
                hint="Generate a random value "
                "with `openssl rand -base64 48`; never reuse an example.",
                id=placeholder,
            )
        ]
    if len(value.encode()) < MIN_SECRET_BYTES:
        return [
            Error(
                f"{name} is shorter than {MIN_SECRET_BYTES} bytes.",
                hint="Use `openssl rand -base64 48`.",
                id=short,
            )
        ]
    return []


def _vapid_key_usable(pem: str) -> bool:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        return False
    return isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"


def _seal_findings() -> list[CheckMessage]:
    from simplepro.core.seal_keys import SealUnusable, load_seal

    if not settings.DOCUMENT_SEAL:
        if not settings.PRODUCTION:
            return []
        return [Warning(
            "E-signing is off: no document seal is configured, so customers and crews cannot "
            "sign the paperwork on a device (paper originals and their scans still work).",
            hint="Set SIMPLEPRO_DOCUMENT_SEAL_FILE to a PEM with the company's key and "
            "certificate (deploy/compose/make-secrets.sh makes one; docs/signatures.md).",
            id="simplepro.W007",
        )]  # fmt: skip
    try:
        seal = load_seal(settings.DOCUMENT_SEAL)
    except SealUnusable as exc:
        return [Error(f"The document seal cannot sign: {exc}.",
                      hint="Supply one PEM: the unencrypted private key, then its certificate "
                      "(docs/signatures.md).", id="simplepro.E024")]  # fmt: skip
    days_left = (seal.not_after - timezone.now()).days
    if days_left < 30:
        return [Warning(f"The document seal's certificate expires in {days_left} days.",
                        hint="Issue a new one and replace SIMPLEPRO_DOCUMENT_SEAL_FILE; old "
                        "seals stay verifiable (docs/signatures.md).", id="simplepro.W008")]  # fmt: skip
    return []


@register("simplepro", deploy=True)
def check_deployment(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    findings: list[CheckMessage] = []
    if not settings.PRODUCTION:
        findings.append(
            Error(
                "SIMPLEPRO_ENV is not 'production': secrets are generated locally and the "
                "database is the embedded SQLite file.",
                hint="Set SIMPLEPRO_ENV=production with the variables in "
                "deploy/env/production.env.example.",
                id="simplepro.E016",
            )
        )
    if settings.DEBUG:
        findings.append(
            Error(
                "DEBUG is on: errors would show internals to visitors.",
                hint="Unset SIMPLEPRO_DEBUG.",
                id="simplepro.E001",
            )
        )
    try:
        secret_key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        secret_key = ""
    findings += _secret_findings(
        "SIMPLEPRO_SECRET_KEY",
        secret_key,
        ("simplepro.E002", "simplepro.E003", "simplepro.E004"),
    )
    for number, fallback in enumerate(settings.SECRET_KEY_FALLBACKS):
        findings += _secret_findings(
            f"SIMPLEPRO_SECRET_KEY_FALLBACKS[{number}]",
            fallback,
            ("simplepro.E002", "simplepro.E003", "simplepro.E004"),
        )
    if not settings.JWT_KEYS:
        findings.append(
            Error(
                "SIMPLEPRO_JWT_KEYS is not set: API tokens cannot be signed.",
                hint='Set SIMPLEPRO_JWT_KEYS (or _FILE) to [{"kid": "2026-01", "secret": "<48 random '
                'bytes>"}].',
                id="simplepro.E005",
            )
        )
    kids = [k["kid"] for k in settings.JWT_KEYS]
    if len(kids) != len(set(kids)):
        findings.append(
            Error(
                "SIMPLEPRO_JWT_KEYS has two keys with the same kid.",
                hint="Give every key its own kid.",
                id="simplepro.E015",
            )
        )
    for key in settings.JWT_KEYS:
        findings += _secret_findings(
            f"SIMPLEPRO_JWT_KEYS[kid={key['kid']}].secret",
            key["secret"],
            ("simplepro.E005", "simplepro.E006", "simplepro.E007"),
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        findings.append(
            Error(
                "The database is SQLite.",
                hint="Set DATABASE_URL=postgresql://user:password@host:5432/simplepro.",
                id="simplepro.E008",
            )
        )
    if not settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
        findings.append(
            Error(
                "SIMPLEPRO_ALLOWED_HOSTS is empty or '*'.",
                hint="List the host names the site is served on, e.g. moves.example.com.",
                id="simplepro.E009",
            )
        )
    if not settings.CSRF_TRUSTED_ORIGINS:
        findings.append(
            Error(
                "SIMPLEPRO_CSRF_TRUSTED_ORIGINS is empty: browser forms behind TLS will be refused.",
                hint="Set it to the public origin(s), e.g. https://moves.example.com.",
                id="simplepro.E010",
            )
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        findings.append(
            Error(
                "Session and CSRF cookies are sent over plain HTTP.",
                hint="Unset SIMPLEPRO_SECURE_COOKIES (it defaults to true in production).",
                id="simplepro.E011",
            )
        )
    if settings.SECURE_HSTS_SECONDS < 86400:
        findings.append(
            Error(
                "HSTS is off or shorter than a day.",
                hint="Unset SIMPLEPRO_HSTS_SECONDS (default one year) or set it to >= 86400.",
                id="simplepro.E012",
            )
        )
    if settings.PRODUCTION and not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_IPS):
        findings.append(
            Warning(
                "/metrics has neither a bearer token nor an allow-list, so it refuses everyone.",
                hint="Set SIMPLEPRO_METRICS_TOKEN_FILE or SIMPLEPRO_METRICS_ALLOWED_IPS.",
                id="simplepro.W001",
            )
        )
    if settings.PRODUCTION and not settings.REDIS_URL:
        findings.append(
            Warning(
                "REDIS_URL is not set: rate limits and cache use the database, and real-time "
                "events cannot cross instances.",
                hint="Set REDIS_URL=redis://host:6379/0 for more than one instance.",
                id="simplepro.W002",
            )
        )
    if settings.PRODUCTION and not settings.BACKUP_RECIPIENTS:
        findings.append(
            Warning(
                "SIMPLEPRO_BACKUP_RECIPIENTS is not set: the nightly backup will fail.",
                hint="Generate an age key pair off this host (age-keygen) and set "
                "SIMPLEPRO_BACKUP_RECIPIENTS to its public key (age1…).",
                id="simplepro.W003",
            )
        )
    if settings.PRODUCTION and not settings.BACKUP_S3_BUCKET:
        findings.append(
            Warning(
                "SIMPLEPRO_BACKUP_S3_BUCKET is not set: the backups stay on this host and are "
                "lost with it.",
                hint="Give the backups an S3 bucket and credentials of their own "
                "(docs/runbooks/backup-and-restore.md).",
                id="simplepro.W004",
            )
        )
    twilio = {
        "SIMPLEPRO_TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
        "SIMPLEPRO_TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "SIMPLEPRO_TWILIO_FROM": settings.TWILIO_FROM,
    }
    unset = [name for name, value in twilio.items() if not value]
    if 0 < len(unset) < len(twilio):
        findings.append(
            Error(
                f"SMS is half configured: {', '.join(unset)} not set, so SMS is off.",
                hint="Set all three Twilio settings (docs/operations/sms.md), or none.",
                id="simplepro.E019",
            )
        )
    elif settings.PRODUCTION and unset:
        # Information, not a warning: a company may choose to send no texts.
        findings.append(
            Info(
                "SMS is off: no Twilio account is configured, so no one gets SMS notifications "
                "or customer texts.",
                hint="Set SIMPLEPRO_TWILIO_ACCOUNT_SID, SIMPLEPRO_TWILIO_AUTH_TOKEN_FILE and "
                "SIMPLEPRO_TWILIO_FROM (docs/operations/sms.md).",
                id="simplepro.I001",
            )
        )
    if settings.LEAD_CHALLENGE and not (
        settings.LEAD_CHALLENGE_SECRET and settings.LEAD_CHALLENGE_SITE_KEY
    ):
        # Every web lead would be refused (503: the challenge cannot be checked).
        findings.append(
            Error(
                f"SIMPLEPRO_LEAD_CHALLENGE={settings.LEAD_CHALLENGE} needs both "
                "SIMPLEPRO_LEAD_CHALLENGE_SITE_KEY and SIMPLEPRO_LEAD_CHALLENGE_SECRET: "
                "without them no lead from the website can get through.",
                hint="Set both from the provider's dashboard, or unset SIMPLEPRO_LEAD_CHALLENGE "
                "(docs/sales-web-form.md).",
                id="simplepro.E021",
            )
        )
    if settings.VAPID_PRIVATE_KEY and not _vapid_key_usable(settings.VAPID_PRIVATE_KEY):
        findings.append(
            Error(
                "SIMPLEPRO_VAPID_PRIVATE_KEY is not a PEM P-256 private key: push cannot work.",
                hint="Generate one: openssl ecparam -name prime256v1 -genkey -noout | "
                "openssl pkcs8 -topk8 -nocrypt (docs/operations/push.md).",
                id="simplepro.E020",
            )
        )
    elif settings.PRODUCTION and not settings.VAPID_PRIVATE_KEY:
        findings.append(
            Info(
                "Push is off: no VAPID key is configured, so no push messages reach browsers "
                "or phones.",
                hint="Generate a P-256 key (docs/operations/push.md) and set "
                "SIMPLEPRO_VAPID_PRIVATE_KEY_FILE.",
                id="simplepro.I002",
            )
        )
    missing = [program for program in POSTGRESQL_CLIENT if shutil.which(program) is None]
    if "postgresql" in settings.DATABASES["default"]["ENGINE"] and missing:
        findings.append(
            Warning(
                f"{', '.join(missing)} not found on PATH: backups, restores and the recovery "
                "drill of a PostgreSQL database will fail.",
                hint="Install PostgreSQL's client of the server's major version or newer "
                "(Debian: postgresql-client-15; the image carries it).",
                id="simplepro.W005",
            )
        )
    if bool(settings.BACKUP_S3_ACCESS_KEY_ID) != bool(settings.BACKUP_S3_SECRET_ACCESS_KEY):
        findings.append(
            Error(
                "Set both SIMPLEPRO_BACKUP_S3_ACCESS_KEY_ID and "
                "SIMPLEPRO_BACKUP_S3_SECRET_ACCESS_KEY, or neither.",
                hint="Neither means the instance's own role or the usual AWS_* variables.",
                id="simplepro.E017",
            )
        )
    if bool(settings.FILES_S3_ACCESS_KEY_ID) != bool(settings.FILES_S3_SECRET_ACCESS_KEY):
        findings.append(
            Error(
                "Set both SIMPLEPRO_FILES_S3_ACCESS_KEY_ID and "
                "SIMPLEPRO_FILES_S3_SECRET_ACCESS_KEY, or neither.",
                hint="Neither means the instance's own role or the usual AWS_* variables.",
                id="simplepro.E022",
            )
        )
    if settings.FILES_S3_BUCKET and settings.FILES_S3_BUCKET == settings.BACKUP_S3_BUCKET:
        findings.append(
            Error(
                f"The files and the backups share the bucket {settings.FILES_S3_BUCKET!r}: "
                "whoever can delete the files can delete their backups too.",
                hint="Give the backups a bucket and credentials of their own (docs/storage.md).",
                id="simplepro.E023",
            )
        )
    if settings.PRODUCTION and not settings.FILES_S3_BUCKET:
        findings.append(
            Warning(
                f"Stored files (quotes, documents, photos, signed PDFs) are kept on this host's "
                f"disk in {settings.PRIVATE_FILES_ROOT}: a second web instance needs the same "
                "volume, and a lost disk loses them until a restore.",
                hint="Set SIMPLEPRO_FILES_S3_BUCKET and its credentials (docs/storage.md); a "
                "single instance on one host may keep the folder.",
                id="simplepro.W006",
            )
        )
    findings.extend(_seal_findings())
    if settings.BACKUP_LOCAL_KEEP in (1,) or settings.BACKUP_LOCAL_KEEP < 0:
        findings.append(
            Error(
                "SIMPLEPRO_BACKUP_LOCAL_KEEP must be 0 (all) or at least 2.",
                hint="The shrinking-backup alarm compares the two newest local backups.",
                id="simplepro.E018",
            )
        )
    return findings
