"""Notification throughput: notifications queued, then sent by a real `simplepro worker`
through a real SMTP server (aiosmtpd, in this process) and, with --sms, also as texts through
the real `twilio` library to a local server playing Twilio's API (tests/twilio.py) —
deliveries per second end to end.

    python bench/notifications.py [--count 500] [--threads 4] [--postgres] [--sms]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.realtime import REDIS_URL, _fresh_database  # noqa: E402
from tests.server import BIN, cli_env, free_port, run_cli  # noqa: E402
from tests.twilio import environment as twilio_environment  # noqa: E402
from tests.twilio import twilio_server  # noqa: E402


class Counter:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL and Redis")
    parser.add_argument("--sms", action="store_true", help="each notification also by SMS")
    args = parser.parse_args()
    with twilio_server() as twilio:
        run(args, twilio)


def run(args: argparse.Namespace, twilio: Any) -> None:
    inbox = Counter()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with tempfile.TemporaryDirectory() as folder:
        extra = {"SIMPLEPRO_SMTP_HOST": "127.0.0.1", "SIMPLEPRO_SMTP_PORT": str(smtp.port),
                 "SIMPLEPRO_SMTP_STARTTLS": "false"}  # fmt: skip
        if args.sms:
            extra |= twilio_environment(twilio)
        if args.postgres:
            extra |= {"DATABASE_URL": _fresh_database("simplepro_bench_notify"),
                      "REDIS_URL": REDIS_URL, "SIMPLEPRO_TASK_QUEUE": "bench-notify"}  # fmt: skip
        env = cli_env(Path(folder), **extra)
        assert run_cli("migrate", env=env).returncode == 0
        script = (
            "from simplepro.accounts.services import user_create\n"
            "from simplepro.notifications.services import notify\n"
            "crew = user_create(actor=None, username='crew', email='crew@bench.example',"
            " role='crew_lead', password='Quiet-Lantern-Harbour-48', phone='+14155550100')\n"
            f"for i in range({args.count}):\n"
            "    notify(recipients=[crew], event='job_assigned', link='/jobs/x/',"
            " context={'job': {'number': f'J-{i}'}, 'role': 'Lead'})\n"
        )
        queued = run_cli("shell", "-c", script, env=env, timeout=600)
        assert queued.returncode == 0, queued.stderr[-2000:]
        started = time.perf_counter()
        worker = subprocess.Popen(
            [str(BIN), "worker", "--threads", str(args.threads)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wanted = args.count * (2 if args.sms else 1)
            while (
                inbox.received + len(twilio.messages) < wanted
                and time.perf_counter() - started < 300
            ):
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            smtp.stop()
    database = "PostgreSQL + Redis queue" if args.postgres else "SQLite, SQLite queue"
    sent = inbox.received + len(twilio.messages)
    texts = f" + {len(twilio.messages)}/{args.count} texts" if args.sms else ""
    print(f"notifications: {inbox.received}/{args.count} e-mails{texts} received in {elapsed:.1f} s "
          f"(worker start included) = {sent / elapsed:.0f} deliveries/s, {args.threads} threads, "
          f"{database}")  # fmt: skip


if __name__ == "__main__":
    main()
