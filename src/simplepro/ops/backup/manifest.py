"""The manifest: what a backup holds, authenticated with a MAC so that an edited manifest (a
changed checksum, row count or version) fails verification.

The MAC key is derived from SIMPLEPRO_SECRET_KEY (its fallbacks are tried too, so backups made
before a key rotation still verify). Secrets are recorded only as fingerprints (HMAC), so a
restore can refuse a mismatch, naming the secret, without the manifest revealing any.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

FORMAT = 1
_MAC_LABEL = b"simplepro.backup.manifest.v1"
_FINGERPRINT_KEY = b"simplepro.backup.secret-fingerprint.v1"


class ManifestError(Exception):
    """The manifest cannot be trusted."""


def _canonical(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _mac(manifest: dict[str, Any], secret_key: str) -> str:
    key = hmac.new(secret_key.encode(), _MAC_LABEL, hashlib.sha256).digest()
    return "hmac-sha256:" + hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()


def sign(manifest: dict[str, Any]) -> dict[str, Any]:
    return {**manifest, "mac": _mac(manifest, settings.SECRET_KEY)}


def check(manifest: dict[str, Any]) -> None:
    """Raise ManifestError unless the MAC matches under the secret key or a fallback."""
    supplied = str(manifest.get("mac", ""))
    for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        if hmac.compare_digest(supplied, _mac(manifest, key)):
            return
    raise ManifestError(
        "the manifest's MAC does not match: it was edited, or it was made with another "
        "SIMPLEPRO_SECRET_KEY (put the old key in SIMPLEPRO_SECRET_KEY_FALLBACKS)"
    )


def fingerprint(value: str) -> str:
    return hmac.new(_FINGERPRINT_KEY, value.encode(), hashlib.sha256).hexdigest()[:32]


def secret_fingerprints() -> dict[str, str]:
    """The secrets the data needs to be usable: signed links and sessions (secret key) and API
    tokens (JWT keys)."""
    jwt = json.dumps(sorted(k["secret"] for k in settings.JWT_KEYS))
    return {
        "SIMPLEPRO_SECRET_KEY": fingerprint(settings.SECRET_KEY),
        "SIMPLEPRO_JWT_KEYS": fingerprint(jwt),
    }


def load(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"the manifest is not UTF-8 text (damaged at byte {exc.start})"
        ) from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"the manifest is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ManifestError(f"not a SimplePro backup manifest of format {FORMAT}")
    return manifest
