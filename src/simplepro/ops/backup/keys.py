"""Who can read a backup (age recipients) and who can open one (the age identity).

Backups are encrypted to SIMPLEPRO_BACKUP_RECIPIENTS (age public keys). The identity
(SIMPLEPRO_BACKUP_IDENTITY_FILE) is only needed to restore, fully verify or drill: keep it off
this host. The embedded default generates one into <data>/secrets/ the first time.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from pyrage import x25519

from simplepro.core.env import ConfigurationError

EMBEDDED_IDENTITY = "backup-identity.txt"


def _embedded_identity_path() -> Path:
    return settings.SECRETS_DIR / EMBEDDED_IDENTITY


def ensure_embedded_identity() -> Path | None:
    """In the embedded mode without configured recipients, the identity in the data folder,
    generated on first use (mode 0600); None otherwise."""
    if settings.PRODUCTION or settings.BACKUP_RECIPIENTS or settings.BACKUP_IDENTITY_FILE:
        return None
    path = _embedded_identity_path()
    if not path.exists():
        settings.SECRETS_DIR.mkdir(parents=True, exist_ok=True)
        identity = x25519.Identity.generate()
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"# public key: {identity.to_public()}\n{identity}\n")
        try:
            os.link(temporary, path)
        finally:
            temporary.unlink()
    return path


def identity_file() -> Path | None:
    if settings.BACKUP_IDENTITY_FILE:
        return Path(settings.BACKUP_IDENTITY_FILE)
    return ensure_embedded_identity()


def identities() -> list[x25519.Identity]:
    """The identities that can open backups; [] when none is configured on this host."""
    path = identity_file()
    if path is None:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigurationError(
            f"SIMPLEPRO_BACKUP_IDENTITY_FILE={path} cannot be read: {exc.strerror}"
        ) from None
    keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-")]
    if not keys:
        raise ConfigurationError(f"{path} holds no age identity (AGE-SECRET-KEY-…)")
    return [x25519.Identity.from_str(key) for key in keys]


def recipients() -> list[x25519.Recipient]:
    """Whom backups are encrypted to; refuses to back up to nobody."""
    configured = settings.BACKUP_RECIPIENTS
    if not configured:
        found = identities()
        if not found:
            raise ConfigurationError(
                "No backup recipients: set SIMPLEPRO_BACKUP_RECIPIENTS to one or more age "
                "public keys (age1…), e.g. from `age-keygen` kept off this host."
            )
        return [identity.to_public() for identity in found]
    try:
        return [x25519.Recipient.from_str(key) for key in configured]
    except Exception:
        raise ConfigurationError(
            "SIMPLEPRO_BACKUP_RECIPIENTS must be age public keys (age1…), comma-separated"
        ) from None
