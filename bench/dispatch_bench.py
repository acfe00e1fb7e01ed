"""Dispatch board / calendar and suggested crew at scale (issue 4's measure), on PostgreSQL.

Loads one week holding N jobs (default 2,000) and P crew members (default 200), each job with
two people and a truck, no double bookings; then measures against `simplepro serve --workers 2`:

  GET /api/dispatch/calendar?start=<monday>&end=<next monday>   p50/p95 at concurrency 4 (wrk)
  SQL queries per calendar request, for a day and for the whole week (must not grow)
  suggested-crew ranking for one job among P people                p50/p95 in-process

  .venv/bin/python bench/dispatch_bench.py --jobs 2000 --crew 200
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.http_bench import WRK_SCRIPT, _pids, _pids_children, _row, _wrk  # noqa: E402
from tests.server import cli_env, run_cli, running_server  # noqa: E402

PASSWORD = "Bench-Dispatch-Pass-1"  # noqa: S105 - a throw-away server
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql://postgres@127.0.0.1:5432/simplepro_dispatch_bench"
MONDAY = "2027-03-01"

LOAD = r"""
import datetime as dt, random
from simplepro.accounts.models import User
from simplepro.customers.models import Customer
from simplepro.jobs.models import Assignment, CrewMember, Job, Truck
from simplepro.jobs.services import next_job_number
JOBS, CREW = int("__JOBS__"), int("__CREW__")
rng = random.Random(4)
owner = User.objects.get(username="bench")
customer = Customer.objects.create(name="Bench Customer", type="residential", created_by=owner)
people = CrewMember.objects.bulk_create(
    [CrewMember(name=f"Mover {i:03d}", skills=rng.sample(["driver", "packer", "piano", "crating"], 2),
                rating=rng.choice([3, 4, 5]), home_base={"latitude": 42.3 + rng.random() / 5,
                "longitude": -71.1 + rng.random() / 5}) for i in range(CREW)])
trucks = Truck.objects.bulk_create(
    [Truck(name=f"Truck {i:02d}", capacity_cuft=1500, license_plate=f"B{i}") for i in range(CREW // 10)])
monday = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)
# Each person works up to 3 blocks of 2 h a day; pairs of people and one truck share a block.
slots = [(day, block) for day in range(7) for block in range(3)]
jobs, bookings, made = [], [], 0
for day, block in slots:
    for pair in range(CREW // 2):
        if made >= JOBS:
            break
        start = monday + dt.timedelta(days=day, hours=3 * block)
        end = start + dt.timedelta(hours=2)
        job = Job(number=next_job_number(2027), customer=customer, scheduled_start=start,
                  scheduled_end=end, pickup_address={"latitude": 42.35, "longitude": -71.05},
                  required_crew=2)
        jobs.append(job)
        truck = trucks[pair % len(trucks)] if pair < len(trucks) else None
        for person in (people[2 * pair], people[2 * pair + 1]):
            bookings.append(Assignment(job=job, crew_member=person, start=start, end=end))
        if truck is not None:
            bookings.append(Assignment(job=job, truck=truck, start=start, end=end))
        made += 1
Job.objects.bulk_create(jobs, batch_size=500)
Assignment.objects.bulk_create(bookings, batch_size=1000)
print(json.dumps({"jobs": Job.objects.count(), "assignments": Assignment.objects.count(),
                  "crew": CrewMember.objects.count()}))
"""

MEASURE = r"""
import json, statistics, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from simplepro.accounts.models import User
from simplepro.jobs.models import Job
from simplepro.jobs.suggest import suggest_crew
client = Client(SERVER_NAME="127.0.0.1")
client.force_login(User.objects.get(username="bench"))
token = "__TOKEN__"
counts = {}
for label, end in (("one day", "2027-03-02"), ("whole week", "2027-03-08")):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/dispatch/calendar", {"start": "2027-03-01", "end": end},
                              HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:300]
    counts[label] = {"queries": len(queries), "jobs": len(response.json()["items"])}
job = Job.objects.order_by("scheduled_start").first()
times = []
for _ in range(40):
    started = time.perf_counter()
    ranked = suggest_crew(job)
    times.append((time.perf_counter() - started) * 1000)
times.sort()
print(json.dumps({"queries": counts, "suggest_people": len(ranked),
                  "suggest_p50_ms": round(statistics.median(times), 2),
                  "suggest_p95_ms": round(times[int(len(times) * 0.95) - 1], 2)}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--crew", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS simplepro_dispatch_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE simplepro_dispatch_bench")
    with tempfile.TemporaryDirectory() as data:
        env = cli_env(Path(data), DATABASE_URL=PG_URL, SIMPLEPRO_RATE_LIMITS="100000000/1",
                      REDIS_URL="redis://127.0.0.1:6379/13")  # fmt: skip
        assert run_cli("migrate", env=env).returncode == 0
        made = run_cli("createuser", "--username", "bench", "--email", "b@x.example", "--role",
                       "super_admin", "--password-stdin", env=env, stdin=PASSWORD)  # fmt: skip
        assert made.returncode == 0, made.stderr
        loaded = run_cli(
            "shell", "-v", "0", "-c",
            "import json\n" + LOAD.replace("__JOBS__", str(args.jobs)).replace("__CREW__", str(args.crew)),
            env=env, timeout=1800,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        print("loaded", loaded.stdout.strip(), flush=True)
        subprocess.run(["psql", PG_URL, "-qc", "VACUUM ANALYZE"], check=True)
        script = Path(data) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        with running_server(env, workers=2, migrate=False) as base:
            token = requests.post(f"{base}/api/auth/login",
                                  json={"username": "bench", "password": PASSWORD}, timeout=30).json()["access_token"]  # fmt: skip
            measured = run_cli(
                "shell", "-v", "0", "-c", MEASURE.replace("__TOKEN__", token), env=env
            )
            assert measured.returncode == 0, measured.stderr[-3000:]
            print("in-process", measured.stdout.strip(), flush=True)
            server_pids = _pids(f"simplepro serve --port {base.rsplit(':', 1)[1]}")
            server_pids += [c for p in server_pids for c in _pids_children(p)]
            for label, path in (
                ("calendar, one day", "/api/dispatch/calendar?start=2027-03-01&end=2027-03-02"),
                ("calendar, whole week", "/api/dispatch/calendar?start=2027-03-01&end=2027-03-08"),
            ):
                result = _wrk(
                    base + path,
                    token,
                    "GET",
                    4,
                    args.seconds,
                    server_pids,
                    "postgres",
                    label,
                    script,
                )
                print(_row(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
