"""The optional challenge on the public lead form (off unless configured).

Providers of the "siteverify" kind (Cloudflare Turnstile, hCaptcha) take the token the
browser widget produced, the secret and the sender's address, and answer
`{"success": true|false}`. SIMPLEPRO_LEAD_CHALLENGE names the provider; its secret comes
from SIMPLEPRO_LEAD_CHALLENGE_SECRET(_FILE). A provider that cannot be reached refuses the
lead with 503 (the visitor may retry) rather than letting every bot through.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

logger = logging.getLogger(__name__)

VERIFY_URLS = {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "hcaptcha": "https://api.hcaptcha.com/siteverify",
}


class ChallengeUnavailable(Exception):
    """The provider did not answer; nothing can be said about the token."""


def enabled() -> bool:
    return bool(settings.LEAD_CHALLENGE)


def verify(token: str, ip: str) -> bool:
    """Whether the provider accepts `token`. Only called when a provider is configured."""
    if not token:
        return False
    url = settings.LEAD_CHALLENGE_URL or VERIFY_URLS[settings.LEAD_CHALLENGE]
    body = urllib.parse.urlencode(
        {"secret": settings.LEAD_CHALLENGE_SECRET, "response": token, "remoteip": ip}
    ).encode()
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - https from settings
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            answer = json.loads(response.read(65536))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("lead_challenge_unavailable", extra={"error": str(exc)})
        raise ChallengeUnavailable from None
    return bool(isinstance(answer, dict) and answer.get("success") is True)
