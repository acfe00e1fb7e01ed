"""HTTP benchmark of the customers API with wrk against `simplepro serve --workers 2`.

For each database (SQLite, PostgreSQL) it loads N customers through the real import service,
starts the real server, and measures at concurrency 4 and 50:

  GET  /api/health                      the ceiling (no database, no auth)
  GET  /api/customers?search=<name>     a page of 50 matches
  POST /api/customers                   a new customer each request
  POST /api/estimates/calculate         a distinct estimate priced each request (issue 3)

PostgreSQL runs in the production shape, with Redis for rate-limit counters and cache.
It prints requests/s, p50/p95/p99 latency, the ratio to the ceiling, and the CPU seconds spent
by the server workers, the database server and wrk during each run.

  .venv/bin/python bench/http_bench.py --db sqlite --db postgres --customers 100000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.server import cli_env, run_cli, running_server  # noqa: E402

PASSWORD = "Bench-Owner-Pass-1"  # noqa: S105 - a throw-away server
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgresql://postgres@127.0.0.1:5432/simplepro_bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

LOAD_SCRIPT = r"""
import sys
from simplepro.accounts.models import User
from simplepro.customers.services import customer_import
FIRST = ["Maria", "James", "Aisha", "Tom", "Lena", "Carlos", "Priya", "Noah", "Grace", "Omar",
         "Hannah", "Diego", "Chloe", "Ethan", "Mei", "Lucas", "Sara", "Ben", "Nina", "Victor"]
LAST = ["Garcia", "Smith", "Khan", "Nguyen", "Mueller", "Rossi", "Patel", "Johnson", "Brown",
        "Haddad", "Cohen", "Lopez", "Martin", "Kim", "Walker", "Young", "Allen", "King", "Wright",
        "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts"]
owner = User.objects.get(username="bench")
total = int(sys.argv[-1])
batch = 5000
for start in range(0, total, batch):
    rows = []
    for i in range(start, min(start + batch, total)):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        rows.append((i, {"type": "residential", "name": f"{first} {last} {i}",
                         "emails": [f"c{i}@mail.example"],
                         "phones": [f"+1617{2000000 + i:07d}"],
                         "status": "lead", "tags": ["bench"]}))
    customer_import(actor=owner, rows=rows, errors=[])
print("loaded", total)
"""

WRK_SCRIPT = r"""
local counter = 0
local token = os.getenv("BENCH_TOKEN")
local method = os.getenv("BENCH_METHOD") or "GET"
local cookie = os.getenv("BENCH_COOKIE")
local form = os.getenv("BENCH_FORM")
function request()
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  if cookie and cookie ~= "" then  -- a page as a signed-in browser asks for it
    headers = {["Cookie"] = cookie}
  end
  if method == "LEAD" then  -- the public lead endpoint: a new visitor each request
    counter = counter + 1
    local n = math.random(1000000, 9999999)
    local body = string.format(
      '{"name": "Visitor %d", "email": "v%d-%d@web.example", "move_size": "two_bedrooms"}',
      counter, n, counter)
    return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                    ["X-SimplePro-Form"] = form}, body)
  end
  if method == "CALC" then  -- a distinct estimate each request: nothing can be cached
    local body = string.format(
      '{"service": "local", "move_date": "2026-%02d-%02d", "crew_size": %d, "estimated_hours": "%d.5", "cubic_feet": "%d", "pickup": {"stairs_flights": %d}, "special_items": {"piano": %s, "fragile_count": %d}}',
      math.random(1, 12), math.random(1, 28), math.random(1, 6), math.random(2, 12),
      math.random(200, 3000), math.random(0, 3), math.random() < 0.2 and "true" or "false",
      math.random(0, 20))
    return wrk.format("POST", nil, headers, body)
  end
  if method == "POST" then
    counter = counter + 1
    local n = math.random(2000000, 9999999)  -- exchange codes cannot start with 0 or 1
    local body = string.format(
      '{"type": "residential", "name": "Bench %d", "emails": ["b%d-%d@mail.example"], "phones": ["+1508%07d"]}',
      counter, n, counter, n)
    return wrk.format("POST", nil, headers, body)
  end
  return wrk.format("GET", nil, headers, nil)
end
function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "RESULT {\"requests\": %d, \"seconds\": %.3f, \"errors\": %d, \"p50\": %.3f, \"p95\": %.3f, \"p99\": %.3f}\n",
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass
class Result:
    label: str
    connections: int
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    cpu_server: float
    cpu_db: float
    cpu_wrk: float


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    usage = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        usage[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    return usage


def _cpu_seconds(pids: list[int]) -> float:
    return sum(_cpu_by_pid(pids).values())


def _cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots; processes born in between count in full."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def _pids(pattern: str) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-f", pattern], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split()]


def _wrk(
    url: str,
    token: str,
    method: str,
    connections: int,
    seconds: int,
    server_pids: list[int],
    db_pattern: str | None,
    label: str,
    script: Path,
) -> Result:
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_METHOD": method}
    server_before = _cpu_seconds(server_pids)
    db_before = _cpu_by_pid(_pids(db_pattern)) if db_pattern else {}
    usage_before = os.times()
    output = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(connections, 2)),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    usage_after = os.times()
    data = json.loads(re.search(r"RESULT (\{.*\})", output).group(1))  # type: ignore[union-attr]
    return Result(
        label=label,
        connections=connections,
        rps=data["requests"] / data["seconds"],
        p50=data["p50"],
        p95=data["p95"],
        p99=data["p99"],
        errors=data["errors"],
        cpu_server=_cpu_seconds(server_pids) - server_before,
        cpu_db=_cpu_delta(db_before, _cpu_by_pid(_pids(db_pattern))) if db_pattern else 0.0,
        cpu_wrk=(usage_after.children_user + usage_after.children_system)
        - (usage_before.children_user + usage_before.children_system),
    )


def _prepare_postgres() -> None:
    for statement in ("DROP DATABASE IF EXISTS simplepro_bench", "CREATE DATABASE simplepro_bench"):
        subprocess.run(["psql", PG_ADMIN_URL, "-qc", statement], check=True)


def bench_database(db: str, customers: int, seconds: int, connections: list[int]) -> list[Result]:
    with tempfile.TemporaryDirectory() as data:
        extra = {"SIMPLEPRO_RATE_LIMITS": "100000000/1"}
        if db == "postgres":
            _prepare_postgres()
            extra["DATABASE_URL"] = PG_BENCH_URL
            # Production shape: PostgreSQL with Redis for rate-limit counters and cache.
            extra["REDIS_URL"] = "redis://127.0.0.1:6379/14"
        env = cli_env(Path(data), **extra)
        assert run_cli("migrate", env=env).returncode == 0
        created = run_cli(
            "createuser",
            "--username",
            "bench",
            "--email",
            "bench@mail.example",
            "--role",
            "super_admin",
            "--password-stdin",
            env=env,
            stdin=PASSWORD,
        )
        assert created.returncode == 0, created.stderr
        started = time.monotonic()
        loaded = run_cli(
            "shell",
            "-v",
            "0",
            "-c",
            LOAD_SCRIPT.replace("int(sys.argv[-1])", str(customers)),
            env=env,
            timeout=3600,
        )
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        print(
            f"[{db}] loaded {customers} customers in {time.monotonic() - started:.1f}s", flush=True
        )
        if db == "postgres":
            subprocess.run(["psql", PG_BENCH_URL, "-qc", "VACUUM ANALYZE"], check=True)
        script = Path(data) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        results = []
        with running_server(env, workers=2, migrate=False) as base:
            token = requests.post(
                f"{base}/api/auth/login",
                json={"username": "bench", "password": PASSWORD},
                timeout=30,
            ).json()["access_token"]
            search = requests.get(
                f"{base}/api/customers",
                params={"search": "garcia"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).json()
            print(
                f"[{db}] search 'garcia': {search['count']} matches, page of {len(search['items'])}",
                flush=True,
            )
            server_pids = _pids(f"simplepro serve --port {base.rsplit(':', 1)[1]}")
            server_pids += [c for p in server_pids for c in _pids_children(p)]
            for c in connections:
                for label, path, method in (
                    ("health (ceiling)", "/api/health", "GET"),
                    ("list search", "/api/customers?search=garcia&page_size=50", "GET"),
                    ("create", "/api/customers", "POST"),
                    ("estimate calculate", "/api/estimates/calculate", "CALC"),
                ):
                    results.append(
                        _wrk(
                            base + path,
                            token,
                            method,
                            c,
                            seconds,
                            server_pids,
                            "postgres" if db == "postgres" else None,
                            f"{db} {label}",
                            script,
                        )
                    )
                    print(_row(results[-1]), flush=True)
        return results


def _pids_children(pid: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    children = [int(p) for p in out.split()]
    return children + [g for c in children for g in _pids_children(c)]


def _row(r: Result) -> str:
    return (
        f"{r.label:<34} c={r.connections:<3} {r.rps:>8.0f} req/s  p50 {r.p50:>7.2f} ms  p95 {r.p95:>7.2f} ms"
        f"  p99 {r.p99:>7.2f} ms  errors {r.errors:<4} cpu s: server {r.cpu_server:>5.1f}"
        f"  db {r.cpu_db:>5.1f}  wrk {r.cpu_wrk:>4.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="4,50")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    connections = [int(c) for c in args.connections.split(",")]
    all_results = []
    for db in args.db or ["sqlite", "postgres"]:
        all_results += bench_database(db, args.customers, args.seconds, connections)
    print("\nSummary (ratio = throughput / same server's health ceiling at the same concurrency)")
    ceilings = {
        (r.label.split()[0], r.connections): r.rps for r in all_results if "ceiling" in r.label
    }
    for r in all_results:
        ratio = r.rps / ceilings[(r.label.split()[0], r.connections)]
        print(f"{_row(r)}  ratio {ratio:>5.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
