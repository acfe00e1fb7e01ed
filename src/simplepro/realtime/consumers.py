"""`/ws/`: one socket per open page or app, carrying the signed-in person's event stream.

Protocol (JSON text frames; docs/realtime.md):

- Authentication: a browser's session cookie (its Origin must be one of ours); an API client's
  access token as the subprotocol `bearer.<token>` (offered beside `simplepro.v1`) or in a
  first frame `{"type": "auth", "token": …}` within AUTH_TIMEOUT_SECONDS. Never in the URL:
  URLs reach access logs.
- The server answers `{"type": "welcome", "user": …, "last_id": N, "heartbeat": s}`. The client
  then sends `{"type": "resume", "after": M}` (M = N for "from now on", or the id of the last
  event it handled) and receives every later event `{"type": "event", "id", "kind", "data",
  "at"}` exactly once, in order; if M is older than the replay window it is told
  `{"type": "reload"}` (and the stream goes on from now).
- `{"type": "heartbeat"}` every REALTIME_HEARTBEAT_SECONDS; `{"type": "ping"}` → `pong`.
- Frames other apps answer (`core.events.FRAME_HANDLERS`): `{"type": "typing", "conversation":
  id}` and `{"type": "presence", "state": "online" | "away"}` (simplepro.messaging.signals).
  What they set off reaches the other people's sockets as `{"type": "signal", "kind", "data"}`:
  passing, never replayed.
- A bad frame gets `{"type": "error", "code", "detail"}` and the socket stays up.
- Revoking the device session (sign-out, deactivation, password change) closes its sockets
  with code 4401; with real time off the socket is closed with 4503. Clients do not reconnect
  after either.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from simplepro.accounts.auth import active_session, session_for_token
from simplepro.accounts.middleware import WEB_SESSION_KEY
from simplepro.accounts.models import DeviceSession
from simplepro.core import metrics
from simplepro.core.events import FRAME_HANDLERS, SIGNALS, session_group, user_group
from simplepro.core.problems import ProblemError
from simplepro.realtime.selectors import stream_events, stream_position

logger = logging.getLogger(__name__)
PROTOCOL = "simplepro.v1"
TOKEN_PROTOCOL_PREFIX = "bearer."  # noqa: S105  (a prefix, not a secret)
AUTH_TIMEOUT_SECONDS = 10
MAX_FRAME_BYTES = 16 * 1024
# Client frames per socket: a burst of FRAME_BURST, refilled at FRAMES_PER_SECOND.
FRAME_BURST = 30
FRAMES_PER_SECOND = 5.0
# More missed events than this and the client is told to reload instead of replaying.
MAX_REPLAY = 1000
# Every this many heartbeats the device session is checked again (in case the layer lost
# the revocation message).
SESSION_RECHECK_BEATS = 2

CLOSE_UNAUTHENTICATED = 4401
CLOSE_REALTIME_OFF = 4503


class FrameError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def origin_allowed(origin: str) -> bool:
    """A browser's Origin must name this site: a host in ALLOWED_HOSTS or a trusted origin."""
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    domain, _ = split_domain_port(urlsplit(origin).netloc)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class StreamConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    user_id: Any = None
    session_id: Any = None
    position: int | None = None

    async def connect(self) -> None:
        origin = self._header("origin")
        if origin and not origin_allowed(origin):
            metrics.REALTIME_FRAMES_REFUSED.labels("origin").inc()
            await self.close()  # before accept: the handshake is refused (403)
            return
        offered = self.scope.get("subprotocols") or []
        await self.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
        metrics.REALTIME_CONNECTIONS.inc()
        self._counted = True
        self._tasks: list[asyncio.Task[None]] = []
        self._allowance = float(FRAME_BURST)
        self._refilled = time.monotonic()
        if not settings.REALTIME_ENABLED:
            await self._send({"type": "error", "code": "realtime_off",
                              "detail": "Real-time updates are off on this server; reload pages to see changes."})  # fmt: skip
            await self.close(code=CLOSE_REALTIME_OFF)
            return
        token = next((p[len(TOKEN_PROTOCOL_PREFIX) :] for p in offered
                      if p.startswith(TOKEN_PROTOCOL_PREFIX)), None)  # fmt: skip
        if token is not None:
            await self._authenticate(await database_sync_to_async(session_for_token)(token))
        elif origin and (session := await self._web_session()) is not None:
            await self._authenticate(session)
        else:
            self._tasks.append(asyncio.create_task(self._auth_deadline()))

    async def disconnect(self, code: int) -> None:
        for task in getattr(self, "_tasks", []):
            task.cancel()
        if getattr(self, "_counted", False):
            metrics.REALTIME_CONNECTIONS.dec()
            self._counted = False
        if self.user_id is not None:
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)
            await self.channel_layer.group_discard(
                session_group(self.session_id), self.channel_name
            )

    # --- client frames ------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = self._parse(text_data, bytes_data)
            await self._handle(frame)
        except FrameError as error:
            metrics.REALTIME_FRAMES_REFUSED.labels(error.code).inc()
            await self._send({"type": "error", "code": error.code, "detail": error.detail})

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        self._spend_allowance()
        if text_data is None:
            raise FrameError("malformed", "Frames are JSON text, not binary.")
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            raise FrameError("too_large", f"A frame is at most {MAX_FRAME_BYTES} bytes.")
        try:
            frame = json.loads(text_data)
        except ValueError:
            raise FrameError("malformed", "The frame is not valid JSON.") from None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise FrameError("malformed", 'A frame is a JSON object with a "type".')
        return frame

    def _spend_allowance(self) -> None:
        now = time.monotonic()
        self._allowance = min(
            FRAME_BURST, self._allowance + (now - self._refilled) * FRAMES_PER_SECOND
        )
        self._refilled = now
        if self._allowance < 1:
            raise FrameError("rate_limited", "Too many frames: slow down.")
        self._allowance -= 1

    async def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "auth":
            if self.user_id is not None:
                raise FrameError("already_authenticated", "This socket is already signed in.")
            token = frame.get("token")
            if not isinstance(token, str) or not token:
                raise FrameError("malformed", '"token" must be an access token.')
            await self._authenticate(await database_sync_to_async(session_for_token)(token))
        elif self.user_id is None:
            raise FrameError("unauthenticated", 'Send {"type": "auth", "token": …} first.')
        elif kind == "resume":
            after = frame.get("after")
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                raise FrameError("malformed", '"after" must be an event id (an integer ≥ 0).')
            await self._resume(after)
        elif kind in FRAME_HANDLERS:
            await self._pass_on(kind, frame)
        else:
            raise FrameError("unknown_type", f"Unknown frame type {kind!r}.")

    async def _pass_on(self, kind: str, frame: dict[str, Any]) -> None:
        """A frame another app answers (typing…): its signal goes to the other people's
        sockets at once, not through the outbox (it means nothing a minute later)."""
        try:
            signal = await database_sync_to_async(FRAME_HANDLERS[kind])(self.user_id, frame)
        except ProblemError as problem:
            raise FrameError("not_found" if problem.status == 404 else "refused",
                             problem.explanation) from None  # fmt: skip
        except Exception:  # a bug in a handler: the socket stays up, the error is logged
            logger.exception("realtime_frame_failed", extra={"frame_type": kind})
            raise FrameError("server_error", "That frame could not be handled.") from None
        if signal is None or self.channel_layer is None:
            return
        assert signal.kind in SIGNALS, signal.kind
        message = {"type": "stream.signal", "kind": signal.kind, "data": signal.data}
        await asyncio.gather(*(
            self.channel_layer.group_send(user_group(user_id), message)
            for user_id in signal.audience if str(user_id) != str(self.user_id)
        ))  # fmt: skip

    async def stream_signal(self, message: dict[str, Any]) -> None:
        if self.position is not None:  # only sockets that are streaming
            await self._send({"type": "signal", "kind": message["kind"], "data": message["data"]})

    # --- authentication -----------------------------------------------------------------

    async def _web_session(self) -> DeviceSession | None:
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or session is None:
            return None
        user_id = await database_sync_to_async(lambda: user.pk)()
        device_id = await database_sync_to_async(lambda: session.get(WEB_SESSION_KEY))()
        if user_id is None or device_id is None:
            return None
        found: DeviceSession | None = await database_sync_to_async(active_session)(
            session_id=device_id, user_id=user_id
        )
        return found

    async def _authenticate(self, session: DeviceSession | None) -> None:
        if session is None:
            await self._send({"type": "error", "code": "unauthenticated",
                              "detail": "Sign in again: the token or session is not valid."})  # fmt: skip
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = session.user_id
        self.session_id = session.pk
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.channel_layer.group_add(session_group(self.session_id), self.channel_name)
        last_id, _ = await database_sync_to_async(stream_position)(user_id=self.user_id)
        await self._send({"type": "welcome", "user": str(self.user_id), "last_id": last_id,
                          "heartbeat": settings.REALTIME_HEARTBEAT_SECONDS})  # fmt: skip
        self._tasks.append(asyncio.create_task(self._heartbeat()))

    async def _auth_deadline(self) -> None:
        await asyncio.sleep(AUTH_TIMEOUT_SECONDS)
        if self.user_id is None:
            await self._authenticate(None)

    async def _heartbeat(self) -> None:
        beats = 0
        while True:
            await asyncio.sleep(settings.REALTIME_HEARTBEAT_SECONDS)
            beats += 1
            if beats % SESSION_RECHECK_BEATS == 0:
                still = await database_sync_to_async(active_session)(
                    session_id=self.session_id, user_id=self.user_id
                )
                if still is None:
                    await self._signed_out()
                    return
            await self._send({"type": "heartbeat"})

    async def _signed_out(self) -> None:
        await self._send({"type": "closing", "reason": "signed_out"})
        await self.close(code=CLOSE_UNAUTHENTICATED)

    # --- the stream ---------------------------------------------------------------------

    async def _resume(self, after: int) -> None:
        last_id, pruned_through = await database_sync_to_async(stream_position)(
            user_id=self.user_id
        )
        if after > last_id or after < pruned_through or last_id - after > MAX_REPLAY:
            self.position = last_id
            await self._send({"type": "reload", "last_id": last_id})
            return
        self.position = after
        await self._catch_up(upto=last_id)

    async def _catch_up(self, *, upto: int) -> None:
        assert self.position is not None
        frames = await database_sync_to_async(stream_events)(
            user_id=self.user_id, after=self.position, upto=upto
        )
        for frame in frames:
            await self._send(frame)
            self.position = frame["id"]

    async def stream_event(self, message: dict[str, Any]) -> None:
        """An event from the channel layer. Live events may arrive out of order or not at all
        (two instances racing, a layer hiccup): whatever is missing before this one is read
        back from the outbox, and anything already delivered is dropped."""
        if self.position is None or message["id"] <= self.position:
            return
        if message["id"] == self.position + 1:
            self.position = message["id"]
            await self._send({"type": "event", "id": message["id"], "kind": message["kind"],
                              "data": message["data"], "at": message["at"]})  # fmt: skip
        else:
            await self._catch_up(upto=message["id"])

    async def session_revoked(self, message: dict[str, Any]) -> None:
        await self._signed_out()

    # --- helpers ------------------------------------------------------------------------

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))

    def _header(self, name: str) -> str:
        wanted = name.encode()
        for key, value in self.scope.get("headers", []):
            if key == wanted:
                return str(value.decode("latin-1"))
        return ""
