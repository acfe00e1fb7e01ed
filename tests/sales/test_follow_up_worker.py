"""A delayed follow-up survives its worker: the step is queued with its time, the worker
that took it is killed (SIGKILL, no clean shutdown), and the next worker does it, once."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.server import BIN, cli_env, run_cli

SETUP = """
from simplepro.accounts.models import User
from simplepro.customers.services import customer_create
from simplepro.sales.models import FollowUpRule
from simplepro.sales.services import opportunity_create
FollowUpRule.objects.update(is_active=False)
FollowUpRule.objects.create(name="Soon", trigger="opportunity_created", actions=[
    {"type": "create_activity", "delay_hours": 0.003, "kind": "call", "subject": "Call soon"}])
boss = User.objects.create_user(username="boss", email="boss@x.example", role="admin")
seller = User.objects.create_user(username="seller", email="seller@x.example", role="sales")
customer = customer_create(actor=boss, data={"type": "residential", "name": "Kim"})
opportunity_create(actor=boss, customer=customer, data={})
"""
STEPS = """
from simplepro.sales.models import Activity, RuleStep
print("STEPS", [(s.status, s.outcome[:40]) for s in RuleStep.objects.all()],
      Activity.objects.filter(subject="Call soon").count())
"""


def _steps(env: dict[str, str]) -> str:
    done = run_cli("shell", "-c", STEPS, env=env)
    assert done.returncode == 0, done.stderr
    return next(line for line in done.stdout.splitlines() if line.startswith("STEPS"))


def test_a_delayed_step_is_done_once_by_the_next_worker(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    assert run_cli("migrate", env=env).returncode == 0
    made = run_cli("shell", "-c", SETUP, env=env)
    assert made.returncode == 0, made.stderr
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    first = subprocess.Popen([str(BIN), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(4)  # it has taken the task and holds it until its time (about 11 s)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert "pending" in _steps(env)
    second = subprocess.Popen([str(BIN), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 40
        while "done" not in (line := _steps(env)):
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(1)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert line.endswith(" 1"), line  # one call, made once
