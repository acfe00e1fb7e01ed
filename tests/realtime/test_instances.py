"""Real time across real server processes: three `simplepro serve` instances on one Redis
channel layer (and one database), clients connected to different instances with the
`websockets` library, an event published by one instance reaching every client that may see
it — and nobody else. Without Redis, `--workers 2` turns real time off and says so."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import websockets

from tests.conftest import requires
from tests.server import cli_env, run_cli, running_server

pytestmark = pytest.mark.server
PASSWORD = "Instance-Test-Pass-1"
REDIS_URL = "redis://127.0.0.1:6379/14"


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _create_users(env: dict[str, str], people: dict[str, str]) -> None:
    for username, role in people.items():
        result = run_cli(
            "createuser", "--username", username, "--email", f"{username}@movers.example",
            "--role", role, "--password-stdin", env=env, stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr


def _token(base: str, username: str) -> str:
    response = requests.post(
        f"{base}/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _frames_until(socket: Any, kind: str, timeout: float = 5) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == kind:
                return dict(frame)


async def _subscribe(base: str, token: str) -> Any:
    uri = base.replace("http://", "ws://") + "/ws/"
    socket = await websockets.connect(uri, subprotocols=["simplepro.v1", f"bearer.{token}"])
    welcome = await _frames_until(socket, "welcome")
    await socket.send(json.dumps({"type": "resume", "after": welcome["last_id"]}))
    await socket.send(json.dumps({"type": "ping"}))
    await _frames_until(socket, "pong")
    return socket


def test_an_event_from_one_instance_reaches_clients_on_every_instance(tmp_path: Path) -> None:
    requires("redis", _redis_answers())
    env = cli_env(
        tmp_path, REDIS_URL=REDIS_URL, SIMPLEPRO_TASK_QUEUE=f"t{uuid.uuid4().hex[:12]}",
        SIMPLEPRO_RATE_LIMITS="100000/1",
    )  # fmt: skip
    assert run_cli("migrate", env=env).returncode == 0
    people = {"olivia": "super_admin", "dina": "dispatcher", "sam": "sales", "sid": "sales"}
    _create_users(env, people)
    with contextlib.ExitStack() as stack:
        bases = [
            stack.enter_context(running_server(env, migrate=False, log_name=f"serve{i}.log"))
            for i in range(3)
        ]
        tokens = {name: _token(bases[0], name) for name in people}
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {tokens['olivia']}"
        sam_id = next(
            u["id"] for u in api.get(f"{bases[0]}/api/users", timeout=30).json()["items"]
            if u["username"] == "sam"
        )  # fmt: skip
        customer = api.post(f"{bases[0]}/api/customers", json={
            "type": "residential", "name": "Three Instances",
            "assigned_salesperson_id": sam_id}, timeout=30).json()  # fmt: skip
        job = api.post(f"{bases[0]}/api/jobs", json={
            "customer_id": customer["id"], "scheduled_start": "2027-11-01T09:00:00-04:00",
            "scheduled_end": "2027-11-01T12:00:00-04:00"}, timeout=30).json()  # fmt: skip

        async def scenario() -> None:
            # each on a different instance from the one that will publish (bases[1])
            sockets = {
                "olivia": await _subscribe(bases[0], tokens["olivia"]),
                "dina": await _subscribe(bases[2], tokens["dina"]),
                "sam": await _subscribe(bases[0], tokens["sam"]),
                "sid": await _subscribe(bases[2], tokens["sid"]),
            }
            changed = await asyncio.to_thread(
                api.post, f"{bases[1]}/api/jobs/{job['id']}/transition",
                json={"to": "confirmed"}, timeout=30,
            )  # fmt: skip
            assert changed.status_code == 200, changed.text
            for name in ("olivia", "dina", "sam"):
                event = await _frames_until(sockets[name], "event")
                assert event["kind"] == "job.status_changed", (name, event)
                assert event["data"]["job"]["number"] == job["number"]
            # sid may not read sam's customer's job: nothing arrives
            with pytest.raises(TimeoutError):
                await _frames_until(sockets["sid"], "event", timeout=1)
            for socket in sockets.values():
                await socket.close()

        asyncio.run(scenario())


def test_several_workers_without_redis_turn_real_time_off_and_say_so(tmp_path: Path) -> None:
    env = cli_env(tmp_path, SIMPLEPRO_RATE_LIMITS="100000/1")

    async def scenario(base: str) -> tuple[dict[str, Any], int | None]:
        uri = base.replace("http://", "ws://") + "/ws/"
        async with websockets.connect(uri) as socket:
            frame = json.loads(await socket.recv())
            with contextlib.suppress(websockets.ConnectionClosed):
                await socket.recv()
            return frame, socket.close_code

    with running_server(env, workers=2) as base:
        frame, code = asyncio.run(scenario(base))
        assert requests.get(f"{base}/login/", timeout=30).status_code == 200  # pages still work
    assert frame["code"] == "realtime_off" and code == 4503
    log = (tmp_path / "serve.log").read_text()
    assert "real-time updates are off: --workers > 1 needs REDIS_URL" in log
