"""Typed readers for environment variables: the only place the code reads os.environ.

Every variable read here must be documented in docs/configuration.md; a test scans the
source for the names passed to these helpers and fails on an undocumented one.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any


class ConfigurationError(Exception):
    """A variable holds a value we cannot use; the message names the variable and the fix."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean: use true or false")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Comma-separated list; empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_json(name: str, default: Any = None) -> Any:
    raw = env_secret(name)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{name} is not valid JSON: {exc.msg} at {exc.pos}") from None


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets).

    Setting both is ambiguous and refused, so an operator never wonders which one is live.
    """
    direct = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if direct and path:
        raise ConfigurationError(f"both {name} and {name}_FILE are set: keep one")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE={path} cannot be read: {exc.strerror}") from None
    return (direct or "").strip()


def generated_secret(
    secrets_dir: Path, name: str, nbytes: int = 48, make: Callable[[], str] | None = None
) -> str:
    """Read, or on first use create, a random secret kept in `secrets_dir` with mode 0600
    (`make` for one that is not random text: a key pair's private half).

    Only the embedded mode calls this; production never generates a secret.
    """
    secrets_dir.mkdir(parents=True, exist_ok=True)
    secrets_dir.chmod(0o700)
    path = secrets_dir / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = make() if make else secrets.token_urlsafe(nbytes)
    # Write a private temporary file, then link it into place: linking fails if another
    # worker got there first, so every process ends up reading the same complete secret.
    temporary = secrets_dir / f".{name}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    try:
        os.link(temporary, path)
    except FileExistsError:
        value = path.read_text(encoding="utf-8").strip()
    finally:
        temporary.unlink()
    return value
