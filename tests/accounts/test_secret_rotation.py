"""Rotating the secret key and the JWT signing keys signs no one out (docs/operations/secrets.md).
During a rolling restart some instances have the new settings and some the old, so each
procedure is checked from both sides."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.management import call_command
from django.core.management.base import CommandError

from simplepro.estimates.services import QUOTE_LINK_SALT

OLD = "o" * 24 + "ld-secret-key-0123456789abcdef"
NEW = "n" * 24 + "ew-secret-key-0123456789abcdef"


def test_sessions_and_signed_links_survive_a_secret_key_rotation(
    personas: Any, web_as: Any, settings: Any
) -> None:
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    browser = web_as(personas["sales"])
    dormant = web_as(personas["dispatcher"])  # signed in before, back only after the rotation
    link = signing.dumps("quote-version-id", salt=QUOTE_LINK_SALT)
    reset = default_token_generator.make_token(personas["sales"])
    assert browser.get("/customers/").status_code == 200
    assert dormant.get("/customers/").status_code == 200

    # Step 1 (every instance): the new key is accepted but does not sign yet.
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, [NEW]
    assert browser.get("/customers/").status_code == 200
    # Step 2: the new key signs; the old one is only accepted.
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    assert browser.get("/customers/").status_code == 200, "still signed in"
    assert signing.loads(link, salt=QUOTE_LINK_SALT) == "quote-version-id"
    assert default_token_generator.check_token(personas["sales"], reset)
    newcomer = web_as(personas["admin"])  # a session made under the new key …
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, [NEW]
    assert newcomer.get("/customers/").status_code == 200  # … works on a step-1 instance

    # Without the fallback the old key's signatures are refused: the test can fail. (A browser
    # that came back during the rotation was re-signed with the new key; a dormant one not.)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, []
    assert browser.get("/customers/").status_code == 200
    assert dormant.get("/customers/").status_code == 302
    with pytest.raises(signing.BadSignature):
        signing.loads(link, salt=QUOTE_LINK_SALT)


def test_a_key_added_second_verifies_tokens_it_did_not_sign_yet(
    personas: Any, api_as: Any, settings: Any
) -> None:
    """Step 1 of a JWT rotation puts the new key second (verify only) everywhere; only then
    step 2 puts it first. An instance still at step 1 accepts tokens a step-2 instance signed."""
    old_key = settings.JWT_KEYS[0]
    new_key = {"kid": "2027-01", "secret": "k" * 48}
    settings.JWT_KEYS = [new_key, old_key]  # a step-2 instance signs with the new key
    client = api_as(personas["sales"])
    assert jwt.get_unverified_header(client.token)["kid"] == "2027-01"
    settings.JWT_KEYS = [old_key, new_key]  # a step-1 instance
    assert client.get("/api/auth/me").status_code == 200
    settings.JWT_KEYS = [old_key]  # an instance that skipped step 1 would log the user out
    assert client.get("/api/auth/me").status_code == 401


def test_check_deploy_judges_fallback_keys_like_the_key(settings: Any) -> None:
    settings.SECRET_KEY_FALLBACKS = ["short"]
    with pytest.raises(CommandError) as refused:
        call_command("check", deploy=True, fail_level="ERROR")
    assert "SIMPLEPRO_SECRET_KEY_FALLBACKS[0]" in str(refused.value)


def test_fallbacks_must_be_a_list_of_keys(tmp_path: Any) -> None:
    from tests.server import cli_env, run_cli

    env = cli_env(tmp_path, SIMPLEPRO_SECRET_KEY_FALLBACKS='"one-key"')
    done = run_cli("check-deploy", env=env)
    assert done.returncode != 0
    assert "SIMPLEPRO_SECRET_KEY_FALLBACKS must be a JSON list of keys" in done.stderr
