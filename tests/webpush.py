"""A local HTTP server playing a browser's push service, for the real `pywebpush` library.

No push service (FCM, Mozilla's, Apple's) can be reached from here. This one does what they
do with a message: checks the VAPID authorisation (an ES256 JWT for the endpoint's origin,
verified with the public key sent beside it) and takes the aes128gcm body, which the test
decrypts with the "browser's" own keys (http_ece), as the browser would. `mode` plays a
service that has forgotten the device (410) or is down (503).
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def keys(self) -> dict[str, str]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": _b64(public), "auth": _b64(self.auth)}


@dataclass
class FakePushService:
    url: str = ""
    mode: str = "ok"  # ok | gone | down
    devices: dict[str, Device] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)

    def device(self) -> Device:
        name = _b64(os.urandom(9))
        made = Device(
            f"{self.url}/push/{name}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
        )
        self.devices[name] = made
        return made


def _handler(state: FakePushService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            device = state.devices.get(self.path.rsplit("/", 1)[-1])
            if device is None or state.mode == "gone":
                self._reply(410)
                return
            if state.mode == "down":
                self._reply(503)
                return
            scheme, _, params = self.headers.get("Authorization", "").partition(" ")
            fields = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), _unb64(fields["k"])
            )
            claims = jwt.decode(fields["t"], key=public, algorithms=["ES256"], audience=state.url)
            assert scheme == "vapid" and claims["sub"].startswith("mailto:")
            clear = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth,
                                     version="aes128gcm")  # fmt: skip
            state.received.append({
                "device": device.endpoint, "payload": json.loads(clear),
                "ttl": self.headers.get("TTL"), "topic": self.headers.get("Topic"),
            })  # fmt: skip
            self._reply(201)

    return Handler


@contextmanager
def fake_push_service() -> Iterator[FakePushService]:
    state = FakePushService()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
