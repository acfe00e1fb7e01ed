from __future__ import annotations

import stat
from pathlib import Path

import pytest

from simplepro.core.env import ConfigurationError, env_bool, env_secret, generated_secret


def test_secret_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("SIMPLEPRO_SECRET_KEY_FILE", str(secret_file))
    monkeypatch.delenv("SIMPLEPRO_SECRET_KEY", raising=False)
    assert env_secret("SIMPLEPRO_SECRET_KEY") == "from-a-file"


def test_secret_set_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMPLEPRO_SECRET_KEY", "a")
    monkeypatch.setenv("SIMPLEPRO_SECRET_KEY_FILE", str(tmp_path / "x"))
    with pytest.raises(ConfigurationError, match="keep one"):
        env_secret("SIMPLEPRO_SECRET_KEY")


def test_unreadable_secret_file_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIMPLEPRO_SECRET_KEY", raising=False)
    monkeypatch.setenv("SIMPLEPRO_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="SIMPLEPRO_SECRET_KEY_FILE"):
        env_secret("SIMPLEPRO_SECRET_KEY")


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    first = generated_secret(tmp_path / "secrets", "jwt_key")
    assert len(first) >= 48
    assert generated_secret(tmp_path / "secrets", "jwt_key") == first
    mode = stat.S_IMODE((tmp_path / "secrets" / "jwt_key").stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700


def test_bad_boolean_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMPLEPRO_DEBUG", "maybe")
    with pytest.raises(ConfigurationError, match="SIMPLEPRO_DEBUG"):
        env_bool("SIMPLEPRO_DEBUG")
