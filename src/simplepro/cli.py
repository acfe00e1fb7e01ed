"""The `simplepro` command.

simplepro serve [--host H] [--port P] [--workers N] [--with-tasks]
                                                       ASGI server (uvicorn + uvloop); with
                                                       --with-tasks also a worker and the scheduler
simplepro worker [--threads N]                         run queued tasks (any number of these)
simplepro scheduler                                    enqueue periodic tasks (exactly one)
simplepro migrate                                      apply migrations, create cache table
simplepro check-deploy                                 production readiness, non-zero on error
simplepro seed-demo                                    demo company (refused in production)
simplepro expire-estimates                             mark quotes past their validity expired (daily)
simplepro createuser --username U --email E --role R --password-stdin
simplepro backup create|list|verify|status|prune|push|restore|restore-customer
                                                       backups (docs/runbooks/backup-and-restore.md)
simplepro dr-drill [--backup ID]                       restore into scratch, use it, print RTO/RPO
simplepro receive-mail [--host H] [--port 2525]        customers' e-mail replies into their threads
simplepro pricing legacy-v3 | import-v3 …            SimplePro-v3 prices (no database needed)
simplepro <any Django management command>
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

COMMAND_ALIASES = {
    "check-deploy": "check_deploy",
    "seed-demo": "seed_demo",
    "expire-estimates": "expire_estimates",
    "dr-drill": "dr_drill",
    "receive-mail": "receive_mail",
}


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simplepro.settings")
    # Any command may count something (a worker's task, seed-demo's customers): the metric
    # folder an operator set must exist (a container's fresh /tmp has none).
    if metrics_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        Path(metrics_dir).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def _prepare_metrics_dir() -> None:
    """Every worker writes its samples here: PROMETHEUS_MULTIPROC_DIR when the operator sets it
    (one per instance — a container's /tmp), else <data>/prometheus. Created if missing (a
    fresh tmpfs has no such folder) and emptied at start so dead workers' counters from a
    previous run are not summed in. Must happen before prometheus_client is imported."""
    from simplepro.core.env import env_str

    chosen = env_str("PROMETHEUS_MULTIPROC_DIR")
    data_dir = Path(env_str("SIMPLEPRO_DATA_DIR", "data")).resolve()
    metrics_dir = Path(chosen).resolve() if chosen else data_dir / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


def serve(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="simplepro serve", description="Serve SimplePro over HTTP."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--with-tasks",
        action="store_true",
        help="also run a task worker and the scheduler (the embedded default: `make run`)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    _prepare_metrics_dir()
    _django_setup()
    from django.conf import settings

    _hold_data_folder()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    if settings.PRODUCTION:
        try:
            call_command("check", deploy=True, fail_level="ERROR")
        except CommandError as exc:
            print(f"Refusing to start: {exc}", file=sys.stderr)
            return 1

    if args.workers > 1 and not settings.REDIS_URL and settings.REALTIME_ENABLED:
        # The in-memory channel layer lives in one process: an event published by one worker
        # would never reach a socket held by another. Off, rather than half working.
        print(
            "Warning: real-time updates are off: --workers > 1 needs REDIS_URL for the channel "
            "layer. Pages still work; people reload to see changes.",
            file=sys.stderr,
            flush=True,
        )
        os.environ["SIMPLEPRO_REALTIME"] = "0"
    print(
        f"SimplePro serving on http://{args.host}:{args.port}/ ({args.workers} worker(s))",
        flush=True,
    )
    helpers = [
        subprocess.Popen([sys.executable, "-m", "simplepro.cli", command])
        for command in (("worker", "scheduler") if args.with_tasks else ())
    ]
    try:
        _run_uvicorn(args)
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.wait(timeout=30)
    return 0


def _run_uvicorn(args: Any) -> None:
    import uvicorn

    uvicorn.run(
        "simplepro.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        lifespan="off",
        proxy_headers=False,  # X-Forwarded-For is trusted per SIMPLEPRO_TRUSTED_PROXIES instead
        server_header=False,
        access_log=False,  # our middleware logs one JSON line per request
        log_config=None,
        timeout_graceful_shutdown=20,
        # Frames above 1 MiB end the connection; smaller oversized ones get an error frame
        # from the consumer (simplepro.realtime.consumers.MAX_FRAME_BYTES).
        ws_max_size=1024 * 1024,
        ws_ping_interval=20,
        ws_ping_timeout=20,
    )


def _hold_data_folder() -> None:
    from django.conf import settings

    from simplepro.core.datalock import hold_shared

    hold_shared(settings.DATA_DIR)


def worker(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="simplepro worker", description="Run queued tasks until SIGTERM."
    )
    parser.add_argument("--threads", type=int, default=2, help="tasks run at once (default 2)")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    _django_setup()
    _hold_data_folder()
    from simplepro.core.queue import huey

    # periodic=False: only `simplepro scheduler` enqueues periodic tasks, so N workers never
    # mean N nightly runs. SIGTERM lets running tasks finish.
    consumer = huey.create_consumer(
        workers=args.threads, periodic=False, worker_type="thread", graceful_signal="TERM"
    )
    print(f"SimplePro worker: {args.threads} thread(s) on queue {huey.name!r}", flush=True)
    consumer.run()
    return 0


def scheduler(argv: list[str]) -> int:
    _django_setup()
    _hold_data_folder()
    from simplepro.core.queue import huey
    from simplepro.ops import scheduler as periodic

    print(f"SimplePro scheduler on queue {huey.name!r}", flush=True)
    periodic.run(huey)
    return 0


def migrate(argv: list[str]) -> int:
    _django_setup()
    from django.core.management import call_command

    call_command("migrate", *argv)
    call_command("createcachetable")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "serve":
        return serve(rest)
    if command == "migrate":
        return migrate(rest)
    if command == "worker":
        return worker(rest)
    if command == "scheduler":
        return scheduler(rest)
    if command == "pricing":
        from simplepro.pricing.cli import main as pricing_main

        return pricing_main(rest)
    _django_setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["simplepro", COMMAND_ALIASES.get(command, command), *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
