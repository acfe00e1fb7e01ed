"""A local HTTP server playing Twilio's Messages API, for the real `twilio` client library.

Twilio cannot be reached from here, so the tests point the library at this server
(SIMPLEPRO_TWILIO_API_URL) and it answers as Twilio's REST API does: HTTP basic auth with the
account SID and auth token, form-encoded requests, JSON message resources, 4xx errors with
Twilio's error codes, list pages filtered by To and DateSent>. What it received is kept for the
test to check. `mode` plays a provider that refuses, is down, or accepts a message and then
fails to answer (the case deduplication exists for).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import override_settings
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SENDER = "+15005550006"


@dataclass
class FakeTwilio:
    url: str = ""
    mode: str = "ok"  # ok | refuse | down | accept_then_fail
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0

    def sign(self, url: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send, computed by the library itself."""
        return str(RequestValidator(AUTH_TOKEN).compute_signature(url, params))


def _handler(state: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorised(self) -> bool:
            expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            if self.headers.get("Authorization") == f"Basic {expected}":
                return True
            self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return False

        def do_POST(self) -> None:
            state.requests += 1
            if not self._authorised():
                return
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if state.mode == "down":
                self._reply(503, {"code": 20503, "message": "Service unavailable", "status": 503})
                return
            if state.mode == "refuse":
                self._reply(400, {"code": 21211, "message": f"The 'To' number {form.get('To')} "
                                  "is not a valid phone number.", "status": 400})  # fmt: skip
                return
            message = {
                "sid": "SM" + uuid.uuid4().hex,
                "account_sid": ACCOUNT_SID,
                "to": form.get("To"),
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form.get("Body"),
                "status": "queued",
                "direction": "outbound-api",
                "status_callback": form.get("StatusCallback"),
                "date_sent": None,
            }
            state.messages.append(message)
            if state.mode == "accept_then_fail":  # accepted, but the answer never arrives
                self._reply(502, {"code": 20500, "message": "Bad gateway", "status": 502})
                return
            self._reply(201, message)

        def do_GET(self) -> None:
            state.requests += 1
            if not self._authorised():
                return
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            found = [m for m in state.messages if m["to"] == query.get("To", m["to"])]
            self._reply(200, {"messages": found, "next_page_uri": None, "page": 0,
                              "page_size": 50, "uri": self.path})  # fmt: skip

    return Handler


@contextmanager
def twilio_server() -> Iterator[FakeTwilio]:
    """The fake API on a free local port (for another process: see `environment`)."""
    state = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def environment(state: FakeTwilio) -> dict[str, str]:
    """SimplePro's Twilio settings pointing at the fake, for a `simplepro` process."""
    return {"SIMPLEPRO_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "SIMPLEPRO_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "SIMPLEPRO_TWILIO_FROM": SENDER, "SIMPLEPRO_TWILIO_API_URL": state.url}  # fmt: skip


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    """The fake API, with this process's Twilio settings pointing at it."""
    with twilio_server() as state, override_settings(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_FROM=SENDER,
        TWILIO_API_URL=state.url,
    ):  # fmt: skip
        yield state
