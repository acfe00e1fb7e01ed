"""Messages: what posting costs and how far history scales, on a real `simplepro serve`.

- post: a message in a job thread through the API (who may read it, the stream event for
  every reader, the bell for the people in it), with 20 of its readers connected to /ws/;
- received: from the commit until a connected reader's socket has it;
- history: the newest page and a page deep in a thread of --history messages (keyset on the
  id: it should not grow with depth).

    python bench/messages.py [--calls 200] [--history 20000] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.realtime import (  # noqa: E402
    _connect,
    _drain,
    _env,
    _job,
    _people,
    _percentiles,
    _token,
)
from tests.server import run_cli, running_server  # noqa: E402


async def _posts(
    base: str, tokens: list[str], api: object, thread: str, calls: int
) -> tuple[list[float], list[float]]:
    listener, _ = await _connect(base, tokens[0])
    others = [(await _connect(base, t))[0] for t in tokens[1:]]
    drain = [asyncio.create_task(_drain(s)) for s in others]
    posts, received = [], []
    for n in range(calls):
        started = time.perf_counter()
        response = await asyncio.to_thread(
            api.post, f"{base}/api/messages/conversations/{thread}/messages",  # type: ignore[attr-defined]
            json={"body": f"message {n}"}, timeout=30,
        )  # fmt: skip
        posts.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.text
        while True:
            frame = json.loads(await asyncio.wait_for(listener.recv(), 10))
            if frame.get("kind") == "message.received":
                received.append((time.perf_counter() - started) * 1000)
                break
    for task in drain:
        task.cancel()
    return posts, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--history", type=int, default=20000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL and Redis")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = _env(Path(folder), production_like=args.postgres,
                   SIMPLEPRO_MESSAGE_RATE_LIMITS="1000000/1")  # fmt: skip
        assert run_cli("migrate", env=env).returncode == 0
        people = _people(env, "dispatcher", 20)
        with running_server(env, migrate=False) as base:
            tokens = [_token(base, name) for name in people]
            api, job = _job(env, base)
            thread = api.get(f"{base}/api/messages/jobs/{job['id']}", timeout=30).json()["id"]
            posts, received = asyncio.run(_posts(base, tokens, api, thread, args.calls))
            print(f"post: message API with 20 readers connected: {_percentiles(posts)}")
            print(f"received: post sent → a reader's socket has it: {_percentiles(received)}")
            fill = (
                "from simplepro.messaging.models import Conversation, Message\n"
                f"c = Conversation.objects.get(pk={thread!r})\n"
                f"Message.objects.bulk_create([Message(conversation=c, direction='internal', "
                f"body=f'old {{i}}') for i in range({args.history})], batch_size=2000)\n"
            )
            assert run_cli("shell", "-c", fill, env=env, timeout=600).returncode == 0
            first = api.get(
                f"{base}/api/messages/conversations/{thread}/messages", timeout=30
            ).json()
            deep = first["items"][0]["id"] - args.history + 100
            for label, query in (
                ("newest page", ""),
                (f"page {args.history - 100} back", f"?before={deep}"),
            ):
                times = []
                for _ in range(50):
                    started = time.perf_counter()
                    api.get(
                        f"{base}/api/messages/conversations/{thread}/messages{query}", timeout=30
                    )
                    times.append((time.perf_counter() - started) * 1000)
                print(f"history: {label} of {args.history}: {_percentiles(times)}")
    database = "PostgreSQL + Redis" if args.postgres else "SQLite, in-memory layer"
    print(f"({database})")


if __name__ == "__main__":
    main()
