"""Real-time benchmarks against real `simplepro serve` processes (figures in bench/README.md).

    python bench/realtime.py idle    [--connections 2000]     one instance, SQLite
    python bench/realtime.py fanout  [--clients 500]          3 instances, PostgreSQL + Redis
    python bench/realtime.py resume  [--clients 20 --events 1000 --drops 10]
    python bench/realtime.py cost    [--calls 300]            job status API p95, 0 vs 20 sockets

idle: how many authenticated idle sockets one instance holds, and its resident memory per
socket. fanout: a job status change committed on one instance, received by every client
(spread over 3 instances) that may see it: latency from the outbox commit time the event
carries to its arrival. resume: clients that drop their socket at random moments and resume
from the last id they handled, while a stream of events is published: the bench checks every
client saw every id exactly once, in order. cost: the p95 of the job status API with real time
off, on with nobody connected, and on with 20 people connected.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import requests
import websockets

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.server import cli_env, run_cli, running_server  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/13"
PASSWORD = "Quiet-Lantern-Harbour-48"  # noqa: S105  (throw-away bench users)


def _fresh_database(name: str) -> str:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return ADMIN.rsplit("/", 1)[0] + "/" + name


def _env(data: Path, production_like: bool, **extra: str) -> dict[str, str]:
    options = {"SIMPLEPRO_RATE_LIMITS": "1000000/1", "SIMPLEPRO_LOG_LEVEL": "WARNING", **extra}
    if production_like:
        options["DATABASE_URL"] = _fresh_database("simplepro_bench_realtime")
        options["REDIS_URL"] = REDIS_URL
        options["SIMPLEPRO_TASK_QUEUE"] = f"bench{uuid.uuid4().hex[:8]}"
    return cli_env(data, **options)


def _people(env: dict[str, str], role: str, count: int) -> list[str]:
    """Create `count` users with `role` in one process (cheap), return their usernames."""
    names = [f"{role.replace('_', '')}{i}" for i in range(count)]
    script = (
        "from simplepro.accounts.services import user_create\n"
        f"for name in {names!r}:\n"
        f"    user_create(actor=None, username=name, email=name + '@bench.example', "
        f"role={role!r}, password={PASSWORD!r})\n"
    )
    result = run_cli("shell", "-c", script, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return names


def _token(base: str, username: str) -> str:
    response = requests.post(
        f"{base}/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=60
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _api(base: str, token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _job(env: dict[str, str], base: str) -> tuple[requests.Session, dict[str, Any]]:
    """An owner's API session and a job to change (dispatchers may not add customers)."""
    (owner,) = _people(env, "super_admin", 1)
    api = _api(base, _token(base, owner))
    customer = api.post(
        f"{base}/api/customers", json={"type": "residential", "name": "Bench"}, timeout=30
    ).json()
    job = api.post(
        f"{base}/api/jobs",
        json={"customer_id": customer["id"], "scheduled_start": "2027-11-01T09:00:00-04:00",
              "scheduled_end": "2027-11-01T12:00:00-04:00"},
        timeout=30,
    ).json()  # fmt: skip
    return api, dict(job)


def _toggle(api: requests.Session, base: str, job: dict[str, Any], n: int) -> float:
    """One job status change (scheduled ⇄ confirmed); its wall time in ms."""
    to = "confirmed" if n % 2 == 0 else "scheduled"
    started = time.perf_counter()
    response = api.post(f"{base}/api/jobs/{job['id']}/transition", json={"to": to}, timeout=30)
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


async def _connect(base: str, token: str, after: int | None = None) -> tuple[Any, int]:
    uri = base.replace("http://", "ws://") + "/ws/"
    socket = await websockets.connect(
        uri, subprotocols=["simplepro.v1", f"bearer.{token}"], open_timeout=60, max_queue=None
    )
    welcome = json.loads(await socket.recv())
    assert welcome["type"] == "welcome", welcome
    position = welcome["last_id"] if after is None else after
    await socket.send(json.dumps({"type": "resume", "after": position}))
    return socket, int(welcome["last_id"])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def _server_pid(port_base: str) -> int:
    """The pid of the uvicorn process listening on the base URL's port."""
    port = int(port_base.rsplit(":", 1)[1])
    inode_hex = f"{port:04X}"
    inodes = {
        line.split()[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(f":{inode_hex}") and line.split()[3] == "0A"
    }
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                if fd.readlink().name in {f"socket:[{i}]" for i in inodes}:
                    return int(proc.name)
    raise RuntimeError("server process not found")


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms"


def idle(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = _env(Path(folder), production_like=False)
        assert run_cli("migrate", env=env).returncode == 0
        names = _people(env, "dispatcher", 20)
        with running_server(env, migrate=False) as base:
            tokens = [_token(base, name) for name in names]
            pid = _server_pid(base)
            before = _rss_mb(pid)

            async def hold() -> None:
                sockets = []
                started = time.perf_counter()
                for batch in range(0, args.connections, 100):
                    sockets += await asyncio.gather(*(
                        _connect(base, tokens[i % len(tokens)])
                        for i in range(batch, min(batch + 100, args.connections))
                    ))  # fmt: skip
                opened = time.perf_counter() - started
                await asyncio.sleep(2)
                after = _rss_mb(pid)
                # still alive: every socket answers a ping
                for socket, _ in sockets:
                    await socket.send('{"type": "ping"}')
                answered = 0
                for socket, _ in sockets:
                    while json.loads(await socket.recv())["type"] != "pong":
                        pass
                    answered += 1
                print(
                    f"idle: {len(sockets)} sockets opened in {opened:.1f} s, {answered} answer a ping"
                )
                print(f"idle: server RSS {before:.0f} MB → {after:.0f} MB, "
                      f"{(after - before) * 1024 / len(sockets):.1f} KB per socket")  # fmt: skip
                for socket, _ in sockets:
                    await socket.close()

            asyncio.run(hold())


def _three_instances(stack: contextlib.ExitStack, env: dict[str, str]) -> list[str]:
    return [
        stack.enter_context(running_server(env, migrate=False, log_name=f"serve{i}.log"))
        for i in range(3)
    ]


def fanout(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        env = _env(Path(folder), production_like=True)
        assert run_cli("migrate", env=env).returncode == 0
        people = _people(env, "dispatcher", 50)
        bases = _three_instances(stack, env)
        tokens = [_token(bases[0], name) for name in people]
        api, job = _job(env, bases[1])

        async def measure() -> None:
            sockets = [
                (await _connect(bases[i % 3], tokens[i % len(tokens)]))[0]
                for i in range(args.clients)
            ]
            await asyncio.sleep(1)
            latencies: list[float] = []

            async def listen(socket: Any) -> None:
                # One reader per socket, timing each event the moment it arrives.
                for _ in range(args.changes):
                    while True:
                        frame = json.loads(await socket.recv())
                        if frame["type"] == "event":
                            break
                    sent = datetime.fromisoformat(frame["at"]).timestamp()
                    latencies.append((time.time() - sent) * 1000)

            listeners = [asyncio.create_task(listen(socket)) for socket in sockets]
            for n in range(args.changes):
                await asyncio.to_thread(_toggle, api, bases[1], job, n)
                await asyncio.sleep(0.25)
            await asyncio.wait_for(asyncio.gather(*listeners), 60)
            print(f"fanout: {args.clients} clients on 3 instances, {args.changes} job status "
                  f"changes, {len(latencies)} deliveries: {_percentiles(latencies)}")  # fmt: skip
            for socket in sockets:
                await socket.close()

        try:
            asyncio.run(measure())
        except websockets.ConnectionClosed:
            for log in sorted(Path(folder).glob("serve*.log")):
                print(log.name, log.read_text()[-1500:])
            raise


def resume(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        env = _env(Path(folder), production_like=True)
        assert run_cli("migrate", env=env).returncode == 0
        people = _people(env, "dispatcher", args.clients)
        bases = _three_instances(stack, env)
        tokens = [_token(bases[0], name) for name in people]
        api, job = _job(env, bases[0])

        async def client(index: int, done: asyncio.Event, seen: list[int]) -> int:
            drops = sorted(random.sample(range(1, args.events), args.drops))
            socket, last = await _connect(bases[index % 3], tokens[index])
            start = last
            reconnects = 0
            while True:
                try:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
                except TimeoutError:
                    if done.is_set():
                        break
                    continue
                if frame["type"] != "event":
                    continue
                seen.append(frame["id"])
                if drops and frame["id"] - start >= drops[0]:
                    drops.pop(0)
                    await socket.close()  # a tunnel, a lift: gone without warning
                    await asyncio.sleep(random.uniform(0, 0.3))
                    socket, _ = await _connect(bases[random.randrange(3)], tokens[index], seen[-1])
                    reconnects += 1
            await socket.close()
            return reconnects

        async def run() -> None:
            done = asyncio.Event()
            seen: list[list[int]] = [[] for _ in range(args.clients)]
            tasks = [asyncio.create_task(client(i, done, seen[i])) for i in range(args.clients)]
            await asyncio.sleep(2)
            for n in range(args.events):
                await asyncio.to_thread(_toggle, api, bases[n % 3], job, n)
            done.set()
            reconnects = await asyncio.gather(*tasks)
            perfect = sum(ids == list(range(ids[0], ids[0] + args.events)) for ids in seen if ids)
            gaps = sum(len(set(range(ids[0], ids[-1] + 1)) - set(ids)) for ids in seen if ids)
            duplicates = sum(len(ids) - len(set(ids)) for ids in seen)
            print(f"resume: {args.clients} clients, {args.events} events, {sum(reconnects)} "
                  f"reconnects: {perfect}/{args.clients} saw every event once in order, "
                  f"{gaps} gaps, {duplicates} duplicates")  # fmt: skip

        asyncio.run(run())


def cost(args: argparse.Namespace) -> None:
    results = {}
    for label, realtime, subscribers in (("real time off", "0", 0), ("on, nobody connected", "1", 0),
                                          ("on, 20 connected", "1", 20)):  # fmt: skip
        with tempfile.TemporaryDirectory() as folder:
            env = _env(Path(folder), production_like=True, SIMPLEPRO_REALTIME=realtime)
            assert run_cli("migrate", env=env).returncode == 0
            people = _people(env, "dispatcher", 20)
            with running_server(env, migrate=False) as base:
                tokens = [_token(base, name) for name in people]
                api, job = _job(env, base)

                results[label] = asyncio.run(
                    _timed_changes(base, tokens[:subscribers], api, job, args.calls)
                )
        print(f"cost: job status API, {label}: {_percentiles(results[label])}")


async def _timed_changes(
    base: str, listening: list[str], api: requests.Session, job: dict[str, Any], calls: int
) -> list[float]:
    """`calls` job status changes, timed, while one socket per token in `listening` is open."""
    sockets = [(await _connect(base, token))[0] for token in listening]
    drain = [asyncio.create_task(_drain(s)) for s in sockets]
    times = [await asyncio.to_thread(_toggle, api, base, job, n) for n in range(calls)]
    for task in drain:
        task.cancel()
    for socket in sockets:
        await socket.close()
    return times


async def _drain(socket: Any) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        async for _ in socket:
            pass


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="which", required=True)
    sub.add_parser("idle").add_argument("--connections", type=int, default=2000)
    fan = sub.add_parser("fanout")
    fan.add_argument("--clients", type=int, default=500)
    fan.add_argument("--changes", type=int, default=20)
    res = sub.add_parser("resume")
    res.add_argument("--clients", type=int, default=20)
    res.add_argument("--events", type=int, default=1000)
    res.add_argument("--drops", type=int, default=10)
    sub.add_parser("cost").add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    {"idle": idle, "fanout": fanout, "resume": resume, "cost": cost}[args.which](args)


if __name__ == "__main__":
    main()
