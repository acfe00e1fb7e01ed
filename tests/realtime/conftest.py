"""Real-time tests drive the real ASGI application (Channels' WebsocketCommunicator speaks
ASGI to it in-process) on the configured channel layer: in-memory by default, Redis when
REDIS_URL is set. Tests that need several server processes use tests/realtime/test_instances."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator

from simplepro.accounts.models import User
from simplepro.accounts.services import auth_login
from simplepro.asgi import application
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_layer() -> Iterator[None]:
    """A new channel layer per test: the in-memory layer's queues belong to one event loop,
    and every test runs its own."""
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


def run(coroutine: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 60))  # type: ignore[arg-type]


def token_for(user: User) -> tuple[str, Any]:
    pair = auth_login(username=user.username, password=PASSWORD, ip="127.0.0.1", user_agent="ws")
    return pair.access_token, pair.session


class Socket:
    """One client socket, with the frames it receives kept in order."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator

    async def frame(self, timeout: float = 5) -> dict[str, Any]:
        return dict(await self.communicator.receive_json_from(timeout=timeout))

    async def frame_of(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of `kind`, skipping heartbeats."""
        while True:
            frame = await self.frame(timeout)
            if frame["type"] != "heartbeat":
                assert frame["type"] == kind, frame
                return frame

    async def send(self, frame: Any) -> None:
        await self.communicator.send_json_to(frame)

    async def nothing_more(self, timeout: float = 0.3) -> bool:
        return bool(await self.communicator.receive_nothing(timeout=timeout))

    async def close(self) -> None:
        await self.communicator.disconnect()


async def open_socket(
    *, token: str | None = None, headers: list[tuple[bytes, bytes]] | None = None,
    path: str = "/ws/", resume: bool = True,
) -> tuple[Socket, dict[str, Any]]:  # fmt: skip
    """Connect (with the token as a subprotocol where given), read the welcome and, unless
    told otherwise, resume from now on (and wait until the server has)."""
    protocols = ["simplepro.v1", f"bearer.{token}"] if token else ["simplepro.v1"]
    communicator = WebsocketCommunicator(
        application, path, headers=headers or [], subprotocols=protocols
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    socket = Socket(communicator)
    welcome = await socket.frame_of("welcome")
    if resume:
        await socket.send({"type": "resume", "after": welcome["last_id"]})
        await socket.send({"type": "ping"})  # answered once the resume has been handled
        await socket.frame_of("pong")
    return socket, welcome


def in_thread(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """A service call from the test's event loop, the way a view makes it."""
    return sync_to_async(function)
