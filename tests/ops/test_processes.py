"""`simplepro scheduler` and `simplepro worker` as operators run them: two schedulers (an
overlapping failover) still enqueue a due task once, a worker runs it, SIGTERM stops all."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.server import BIN, cli_env, run_cli


def runs_of(env: dict[str, str], name: str) -> list[str]:
    done = run_cli(
        "shell", "-c",
        "from simplepro.ops.models import TaskRun\n"
        f"for r in TaskRun.objects.filter(name={name!r}): "
        "print('RUN', r.state, r.attempts, r.enqueued_at.strftime('%H:%M'))",
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [line[4:] for line in done.stdout.splitlines() if line.startswith("RUN ")]


def test_scheduler_and_worker_run_the_nightly_work_once(tmp_path: Path) -> None:
    env = cli_env(tmp_path, SIMPLEPRO_SCHEDULE_EXPIRE_ESTIMATES="* * * * *")
    assert run_cli("migrate", env=env).returncode == 0
    log = open(tmp_path / "processes.log", "w")  # noqa: SIM115
    processes = [
        subprocess.Popen([str(BIN), command], env=env, stdout=log, stderr=subprocess.STDOUT)
        for command in ("scheduler", "scheduler", "worker")
    ]
    try:
        deadline = time.monotonic() + 30
        while not any(
            run.startswith("succeeded 1 ") for run in runs_of(env, "estimates.expire_due")
        ):
            assert time.monotonic() < deadline, (tmp_path / "processes.log").read_text()[-3000:]
            time.sleep(0.5)
        time.sleep(1)
        runs = runs_of(env, "estimates.expire_due")
        minutes = [run.rsplit(" ", 1)[1] for run in runs]
        # Due every minute: the test may see the next minute's run too, never two in one.
        assert len(minutes) == len(set(minutes)), f"enqueued twice in a minute: {runs}"
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=30) for process in processes]
    assert codes == [0, 0, 0], (tmp_path / "processes.log").read_text()[-3000:]


def test_a_malformed_schedule_stops_the_scheduler_naming_it(tmp_path: Path) -> None:
    env = cli_env(tmp_path, SIMPLEPRO_SCHEDULE_EXPIRE_ESTIMATES="every night")
    done = run_cli("scheduler", env=env, timeout=60)
    assert done.returncode != 0
    assert "SIMPLEPRO_SCHEDULE_EXPIRE_ESTIMATES='every night'" in done.stderr
