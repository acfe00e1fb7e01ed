"""The /ws/ stream: who may connect and how, resuming without gaps or duplicates, bad frames,
and revoked sessions closing their sockets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from simplepro.accounts.models import Role
from simplepro.accounts.services import session_revoke
from simplepro.core.events import publish_on_commit
from simplepro.core.models import StreamCursor, StreamEvent
from simplepro.realtime import consumers
from simplepro.realtime.services import outbox_prune
from tests.conftest import PASSWORD
from tests.realtime.conftest import in_thread, open_socket, run, token_for

pytestmark = pytest.mark.django_db(transaction=True)


def _ping(user: Any, **data: Any) -> None:
    publish_on_commit("notification.created", [user.pk], {"n": data.get("n", 0)})


def test_a_token_in_the_subprotocol_signs_in_and_events_arrive(make_user: Any) -> None:
    office = make_user(Role.DISPATCHER)
    token, _ = token_for(office)

    async def scenario() -> None:
        socket, welcome = await open_socket(token=token)
        assert welcome["user"] == str(office.pk) and welcome["last_id"] == 0
        await in_thread(_ping)(office, n=1)
        frame = await socket.frame_of("event")
        assert (frame["id"], frame["kind"], frame["data"]) == (1, "notification.created", {"n": 1})
        await socket.close()

    run(scenario())


def test_a_token_in_the_first_frame_signs_in(make_user: Any) -> None:
    token, _ = token_for(make_user(Role.SALES))

    async def scenario() -> None:
        from channels.testing import WebsocketCommunicator

        from simplepro.asgi import application

        communicator = WebsocketCommunicator(application, "/ws/")
        assert (await communicator.connect())[0]
        await communicator.send_json_to({"type": "resume", "after": 0})
        refused = await communicator.receive_json_from()
        assert refused["code"] == "unauthenticated"
        await communicator.send_json_to({"type": "auth", "token": token})
        assert (await communicator.receive_json_from())["type"] == "welcome"
        await communicator.send_json_to({"type": "auth", "token": token})
        assert (await communicator.receive_json_from())["code"] == "already_authenticated"
        await communicator.disconnect()

    run(scenario())


def test_a_token_in_the_url_is_not_accepted(make_user: Any, monkeypatch: Any) -> None:
    """URLs reach access logs, so a token there must not work (and the socket times out)."""
    monkeypatch.setattr(consumers, "AUTH_TIMEOUT_SECONDS", 0.2)
    token, _ = token_for(make_user(Role.SALES))

    async def scenario() -> None:
        from channels.testing import WebsocketCommunicator

        from simplepro.asgi import application

        communicator = WebsocketCommunicator(application, f"/ws/?token={token}")
        assert (await communicator.connect())[0]
        frame = await communicator.receive_json_from(timeout=5)
        assert frame["code"] == "unauthenticated"
        assert (await communicator.receive_output(timeout=5))[
            "code"
        ] == consumers.CLOSE_UNAUTHENTICATED

    run(scenario())


def test_a_bad_token_is_told_and_closed(db: None) -> None:
    async def scenario() -> None:
        from channels.testing import WebsocketCommunicator

        from simplepro.asgi import application

        communicator = WebsocketCommunicator(
            application, "/ws/", subprotocols=["simplepro.v1", "bearer.not-a-token"]
        )
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from())["code"] == "unauthenticated"
        assert (await communicator.receive_output())["code"] == consumers.CLOSE_UNAUTHENTICATED

    run(scenario())


def _browser_cookie(user: Any) -> bytes:
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return f"simplepro_session={client.cookies['simplepro_session'].value}".encode()


def test_a_browser_signs_in_with_its_session_cookie_from_our_origin(make_user: Any) -> None:
    user = make_user(Role.CUSTOMER_SERVICE)
    cookie = _browser_cookie(user)
    ours = [(b"cookie", cookie), (b"origin", b"http://localhost:8000")]

    async def scenario() -> None:
        socket, welcome = await open_socket(headers=ours)
        assert welcome["user"] == str(user.pk)
        await socket.close()

    run(scenario())


def test_a_foreign_origin_is_refused_even_with_a_valid_cookie(make_user: Any) -> None:
    cookie = _browser_cookie(make_user(Role.CUSTOMER_SERVICE))

    async def scenario() -> None:
        from channels.testing import WebsocketCommunicator

        from simplepro.asgi import application

        communicator = WebsocketCommunicator(
            application, "/ws/", headers=[(b"cookie", cookie), (b"origin", b"https://evil.example")]
        )
        connected, code = await communicator.connect()
        assert not connected

    run(scenario())


def test_a_cookie_of_a_signed_out_browser_does_not_sign_in(
    make_user: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(consumers, "AUTH_TIMEOUT_SECONDS", 0.2)
    user = make_user(Role.CUSTOMER_SERVICE)
    cookie = _browser_cookie(user)
    session_key = cookie.decode().split("=", 1)[1]
    device = SessionStore(session_key=session_key)["device_session_id"]
    from simplepro.accounts.models import DeviceSession

    session_revoke(session=DeviceSession.objects.get(pk=device), actor=user, reason="logout")

    async def scenario() -> None:
        from channels.testing import WebsocketCommunicator

        from simplepro.asgi import application

        communicator = WebsocketCommunicator(
            application, "/ws/", headers=[(b"cookie", cookie), (b"origin", b"http://localhost")]
        )
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from(timeout=5))["code"] == "unauthenticated"

    run(scenario())


def test_a_reconnecting_client_gets_exactly_what_it_missed_in_order(make_user: Any) -> None:
    user = make_user(Role.DISPATCHER)
    token, _ = token_for(user)

    async def scenario() -> None:
        socket, _ = await open_socket(token=token)
        await in_thread(_ping)(user, n=1)
        assert (await socket.frame_of("event"))["id"] == 1
        await socket.close()
        for n in (2, 3, 4):
            await in_thread(_ping)(user, n=n)
        socket, welcome = await open_socket(token=token, resume=False)
        assert welcome["last_id"] == 4
        await socket.send({"type": "resume", "after": 1})
        got = [await socket.frame_of("event") for _ in range(3)]
        assert [(f["id"], f["data"]["n"]) for f in got] == [(2, 2), (3, 3), (4, 4)]
        await in_thread(_ping)(user, n=5)
        assert (await socket.frame_of("event"))["id"] == 5
        assert await socket.nothing_more()
        await socket.close()

    run(scenario())


def test_a_lost_live_event_is_read_back_before_the_next(make_user: Any, settings: Any) -> None:
    """An event the channel layer never delivered (here: published with the layer off) is
    found in the outbox when the next one arrives: no gap, and no duplicate after."""
    user = make_user(Role.DISPATCHER)
    token, _ = token_for(user)

    async def scenario() -> None:
        socket, _ = await open_socket(token=token)
        settings.REALTIME_ENABLED = False
        await in_thread(_ping)(user, n=1)
        settings.REALTIME_ENABLED = True
        assert await socket.nothing_more()
        await in_thread(_ping)(user, n=2)
        got = [await socket.frame_of("event") for _ in range(2)]
        assert [f["id"] for f in got] == [1, 2]
        assert await socket.nothing_more()
        await socket.close()

    run(scenario())


def test_a_client_older_than_the_replay_window_is_told_to_reload(make_user: Any) -> None:
    user = make_user(Role.DISPATCHER)
    token, _ = token_for(user)
    for n in range(3):
        _ping(user, n=n)
    StreamEvent.objects.filter(user=user, seq__lte=2).update(
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    assert outbox_prune() == 2
    assert StreamCursor.objects.get(user=user).pruned_through == 2

    async def scenario() -> None:
        socket, _ = await open_socket(token=token, resume=False)
        await socket.send({"type": "resume", "after": 1})
        assert (await socket.frame_of("reload"))["last_id"] == 3
        await socket.send({"type": "resume", "after": 2})  # nothing pruned after 2
        assert (await socket.frame_of("event"))["id"] == 3
        await socket.send({"type": "resume", "after": 99})  # ahead of the stream: bogus
        assert (await socket.frame_of("reload"))["last_id"] == 3
        await socket.close()

    run(scenario())


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x00binary", "malformed"),
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"no": "type"}', "malformed"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "resume", "after": "yesterday"}', "malformed"),
        ('{"type": "resume", "after": -1}', "malformed"),
        ('{"type": "resume", "after": true}', "malformed"),
        ('{"type": "ping", "pad": "' + "x" * 20000 + '"}', "too_large"),
    ],
)
def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_up(
    make_user: Any, frame: Any, code: str
) -> None:
    token, _ = token_for(make_user(Role.SALES))

    async def scenario() -> None:
        socket, _ = await open_socket(token=token)
        if isinstance(frame, bytes):
            await socket.communicator.send_to(bytes_data=frame)
        else:
            await socket.communicator.send_to(text_data=frame)
        error = await socket.frame_of("error")
        assert error["code"] == code and error["detail"]
        await socket.send({"type": "ping"})
        assert (await socket.frame_of("pong"))["type"] == "pong"
        await socket.close()

    run(scenario())


def test_a_flood_of_frames_is_rate_limited_without_closing(make_user: Any) -> None:
    token, _ = token_for(make_user(Role.SALES))

    async def scenario() -> None:
        socket, _ = await open_socket(token=token)
        for _ in range(consumers.FRAME_BURST + 10):
            await socket.send({"type": "ping"})
        frames = [await socket.frame() for _ in range(consumers.FRAME_BURST + 10)]
        codes = [f.get("code") for f in frames if f["type"] == "error"]
        assert codes and set(codes) == {"rate_limited"}
        # the resume and the ping of open_socket spent two of the burst
        assert sum(f["type"] == "pong" for f in frames) >= consumers.FRAME_BURST - 2
        await socket.close()

    run(scenario())


def test_revoking_the_device_session_closes_its_sockets(make_user: Any) -> None:
    user = make_user(Role.CREW_MEMBER)
    token, session = token_for(user)
    other_token, _ = token_for(user)

    async def scenario() -> None:
        revoked, _ = await open_socket(token=token)
        kept, _ = await open_socket(token=other_token)
        await in_thread(session_revoke)(session=session, actor=user, reason="logout")
        assert (await revoked.frame_of("closing"))["reason"] == "signed_out"
        closed = await revoked.communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": consumers.CLOSE_UNAUTHENTICATED}
        await kept.send({"type": "ping"})
        assert (await kept.frame_of("pong"))["type"] == "pong"
        await kept.close()

    run(scenario())


def test_with_real_time_off_the_socket_says_so_and_closes(make_user: Any, settings: Any) -> None:
    settings.REALTIME_ENABLED = False

    async def scenario() -> None:
        from channels.testing import WebsocketCommunicator

        from simplepro.asgi import application

        communicator = WebsocketCommunicator(application, "/ws/")
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from())["code"] == "realtime_off"
        assert (await communicator.receive_output())["code"] == consumers.CLOSE_REALTIME_OFF

    run(scenario())


def test_an_unknown_event_kind_is_a_programming_error(make_user: Any) -> None:
    with pytest.raises(ValueError, match="unknown real-time event kind"):
        publish_on_commit("job.teleported", [make_user(Role.SALES).pk], {})


def test_an_idle_socket_gets_heartbeats(make_user: Any, settings: Any) -> None:
    settings.REALTIME_HEARTBEAT_SECONDS = 0.1
    token, _ = token_for(make_user(Role.SALES))

    async def scenario() -> None:
        socket, welcome = await open_socket(token=token)
        assert welcome["heartbeat"] == 0.1
        beats = [await socket.frame(timeout=2) for _ in range(3)]
        assert [b["type"] for b in beats] == ["heartbeat"] * 3
        await socket.close()

    run(scenario())


def test_a_revocation_the_layer_lost_is_found_at_a_heartbeat(make_user: Any, settings: Any) -> None:
    """The revocation message never arrives (published with the layer off); the socket is
    closed anyway when a heartbeat re-checks the device session."""
    settings.REALTIME_HEARTBEAT_SECONDS = 0.1
    user = make_user(Role.CREW_MEMBER)
    token, session = token_for(user)

    async def scenario() -> None:
        socket, _ = await open_socket(token=token)
        settings.REALTIME_ENABLED = False
        await in_thread(session_revoke)(session=session, actor=user, reason="logout")
        settings.REALTIME_ENABLED = True
        while (frame := await socket.frame(timeout=2))["type"] == "heartbeat":
            pass
        assert frame == {"type": "closing", "reason": "signed_out"}
        closed = await socket.communicator.receive_output(timeout=2)
        assert closed["code"] == consumers.CLOSE_UNAUTHENTICATED

    run(scenario())
