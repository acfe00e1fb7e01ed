"""The sales pipeline at scale (issue 13's measure), on PostgreSQL + Redis.

Loads 200,000 customers, 50,000 opportunities (5,000 open) worked by 10 salespeople,
1,000,000 activities and the funnel events of a year (with their day rollup), then measures
against `simplepro serve --workers 2` with wrk at concurrency 4:

  GET /api/opportunities/board      as a manager (every open move) and as a salesperson
  GET /sales/my-day/                a salesperson's page (session cookie)
  GET /api/activities?assignee=me&state=overdue
  GET /api/pipeline/funnel          a year, grouped by source (from the day rollup)
  SQL queries per board, My day and funnel request (they must not grow with the data)
  the same year's funnel read from the events themselves (the index-only alternative)
  POST /api/public/leads            throughput with the per-address limit lifted
  a 10-second flood of leads from one address (the default limits) while the board is
  measured again: what the flood costs everyone else

  .venv/bin/python bench/sales_bench.py                       # the issue's sizes
  .venv/bin/python bench/sales_bench.py --scale 0.05 --seconds 3   # a quick look
  .venv/bin/python bench/sales_bench.py --reuse               # measure again, same data
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import psycopg
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.http_bench import WRK_SCRIPT, Result, _pids, _pids_children, _row, _wrk  # noqa: E402
from tests.server import cli_env, run_cli, running_server  # noqa: E402

PASSWORD = "Bench-Sales-Pass-1"  # noqa: S105 - a throw-away server
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql://postgres@127.0.0.1:5432/simplepro_sales_bench"

LOAD = r"""
import datetime as dt, json, random, uuid
from collections import defaultdict
from decimal import Decimal
from django.utils import timezone
from simplepro.accounts.models import User
from simplepro.customers.models import Customer
from simplepro.sales.models import Activity, FunnelDay, FunnelEvent, Opportunity
SCALE = float("__SCALE__")
CUSTOMERS, OPPORTUNITIES, OPEN, ACTIVITIES = (int(n * SCALE) for n in (200_000, 50_000, 5_000, 1_000_000))
rng = random.Random(13)
now = timezone.now()
sellers = [User.objects.create_user(username=f"seller{i}", email=f"seller{i}@x.example",
                                    role="sales", password="__PASSWORD__") for i in range(10)]
User.objects.create_user(username="boss", email="boss@x.example", role="manager", password="__PASSWORD__")
customers = Customer.objects.bulk_create(
    (Customer(name=f"Customer {i:06d}", type="residential", status="lead") for i in range(CUSTOMERS)),
    batch_size=5000)
sources = ["website", "referral", "phone", "advertising", "partner", "repeat"]
sizes = ["studio", "one_bedroom", "two_bedrooms", "three_bedrooms", "four_bedrooms", "office"]
opportunities, events = [], []
for i in range(OPPORTUNITIES):
    created = now - dt.timedelta(days=rng.uniform(0, 365))
    if i < OPEN:
        status, closed = rng.choice(["open", "contacted", "quoted", "negotiating"]), None
    else:
        status = rng.choices(["won", "lost", "cancelled"], [45, 45, 10])[0]
        closed = created + dt.timedelta(days=rng.uniform(1, 30))
    opportunities.append(Opportunity(
        customer=customers[rng.randrange(CUSTOMERS)], salesperson=sellers[i % 10], status=status,
        source=rng.choice(sources), move_size=rng.choice(sizes), created_at=created,
        last_activity_at=created, closed_at=closed, close_reason="price" if status == "lost" else "",
        estimated_value=Decimal(rng.randrange(500, 9000))))
Opportunity.objects.bulk_create(opportunities, batch_size=5000)
for o in opportunities:
    stages = ["opportunity"] + (["lead"] if o.source == "website" else [])
    if o.status in ("quoted", "negotiating", "won") or (o.status == "lost" and rng.random() < .7):
        stages.append("quote_sent")
    if o.status == "won":
        stages += ["quote_accepted", "won", "job_created", "job_completed"]
    if o.status == "lost":
        stages.append("lost")
    for k, stage in enumerate(stages):
        events.append(FunnelEvent(stage=stage, opportunity=o, at=o.created_at + dt.timedelta(days=k),
                                  source=o.source, salesperson=o.salesperson, move_size=o.move_size,
                                  value=o.estimated_value))
FunnelEvent.objects.bulk_create(events, batch_size=10000)
# The day sums, built in bulk the way funnel.rollup_add keeps them one event at a time
# (without the seconds between stages, which the bench does not read).
days = defaultdict(lambda: [0, Decimal(0)])
for e in events:
    seller = str(e.salesperson_id)
    for scope in ("", seller):
        for dimension, key in (("", ""), ("source", e.source), ("salesperson", seller),
                               ("move_size", e.move_size)):
            row = days[(scope, dimension, key, e.at.date(), e.stage)]
            row[0] += 1
            row[1] += e.value
FunnelDay.objects.bulk_create((FunnelDay(scope=k[0], dimension=k[1], key=k[2], day=k[3],
                                         stage=k[4], count=v[0], value=v[1])
                               for k, v in days.items()), batch_size=10000)
batch = []
for i in range(ACTIVITIES):
    o = opportunities[rng.randrange(OPPORTUNITIES)]
    done = o.status not in ("open", "contacted", "quoted", "negotiating") or rng.random() < 0.9
    due = now + dt.timedelta(days=rng.uniform(-60, 30))
    batch.append(Activity(opportunity=o, kind=rng.choice(["call", "email", "meeting", "task"]),
                          subject=f"Follow up {i}", due_at=due, assignee_id=o.salesperson_id,
                          completed_at=due if done else None, outcome="reached" if done else "",
                          created_at=due - dt.timedelta(days=1)))
    if len(batch) == 20000:
        Activity.objects.bulk_create(batch)
        batch = []
Activity.objects.bulk_create(batch)
print(json.dumps({"customers": Customer.objects.count(), "opportunities": Opportunity.objects.count(),
                  "open": Opportunity.objects.filter(status__in=["open", "contacted", "quoted", "negotiating"]).count(),
                  "activities": Activity.objects.count(), "funnel_events": FunnelEvent.objects.count(),
                  "funnel_days": FunnelDay.objects.count(),
                  "seller0_pending": Activity.objects.filter(assignee__username="seller0", completed_at=None).count()}))
"""

MEASURE = r"""
import datetime as dt, json, statistics, time
from django.db import connection
from django.db.models import Count, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from simplepro.accounts.models import User
from simplepro.sales.models import FunnelEvent
counts = {}
for label, username, path in (
    ("board, manager", "boss", "/api/opportunities/board"),
    ("board, salesperson", "seller0", "/api/opportunities/board"),
    ("my day page", "seller0", "/sales/my-day/"),
    ("funnel by source", "boss", "/api/pipeline/funnel?from=__FROM__&to=__TO__&group_by=source"),
):
    client = Client(SERVER_NAME="127.0.0.1")
    client.post("/login/", {"username": username, "password": "__PASSWORD__"})
    token = json.loads(client.post("/api/auth/login", {"username": username, "password": "__PASSWORD__"},
                                   content_type="application/json").content)["access_token"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    counts[label] = len(queries)
start = timezone.now() - dt.timedelta(days=365)
times = []
for _ in range(20):
    began = time.perf_counter()
    list(FunnelEvent.objects.filter(at__gte=start).values("source", "stage")
         .annotate(n=Count("id"), value=Sum("value")))
    times.append((time.perf_counter() - began) * 1000)
times.sort()
print(json.dumps({"queries": counts, "funnel_from_events_p50_ms": round(statistics.median(times), 1),
                  "funnel_from_events_p95_ms": round(times[int(len(times) * 0.95) - 1], 1)}))
"""

FORM = r"""
from simplepro.accounts.models import User
from simplepro.sales.forms_admin import lead_form_save
form = lead_form_save(actor=User.objects.get(username="boss"), form=None, data={"name": "Bench"})
print("FORM", form.public_key)
"""


def _token(base: str, username: str) -> str:
    answer = requests.post(f"{base}/api/auth/login",
                           json={"username": username, "password": PASSWORD}, timeout=30)  # fmt: skip
    return str(answer.json()["access_token"])


def _cookie(base: str, username: str) -> str:
    """Sign in through the real login form, as a browser would."""
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=30).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    signed = session.post(f"{base}/login/", data={"csrfmiddlewaretoken": csrf,
                          "username": username, "password": PASSWORD},
                          headers={"Referer": f"{base}/login/"}, timeout=30)  # fmt: skip
    assert signed.ok, signed.status_code
    assert "login" not in signed.url, signed.url
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def _measure(base: str, env: dict[str, str], label: str, path: str, token: str, seconds: int,
             script: Path, method: str = "GET", connections: int = 4,
             **extra: str) -> Result:  # fmt: skip
    server = _pids(f"simplepro serve --port {base.rsplit(':', 1)[1]}")
    server += [c for p in server for c in _pids_children(p)]
    os.environ.update(extra)
    try:
        return _wrk(base + path, token, method, connections, seconds, server, "postgres", label,
                    script)  # fmt: skip
    finally:
        for key in extra:
            os.environ.pop(key, None)


def _shell(env: dict[str, str], code: str, timeout: int = 3600) -> str:
    done = run_cli("shell", "-v", "0", "-c", code, env=env, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _leads(env: dict[str, str]) -> int:
    out = _shell(
        env, "from simplepro.sales.models import Lead\nprint('LEADS', Lead.objects.count())"
    )
    return int(out.rsplit(" ", 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data of the last run (migrated to this code) instead of "
                             "loading it again")  # fmt: skip
    args = parser.parse_args()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'simplepro_sales_bench'"
        ).fetchone()
        if not (args.reuse and exists):
            conn.execute("DROP DATABASE IF EXISTS simplepro_sales_bench WITH (FORCE)")
            conn.execute("CREATE DATABASE simplepro_sales_bench")
    with tempfile.TemporaryDirectory() as data:
        base_env = cli_env(Path(data), DATABASE_URL=PG_URL, SIMPLEPRO_RATE_LIMITS="100000000/1",
                           REDIS_URL="redis://127.0.0.1:6379/12")  # fmt: skip
        assert run_cli("migrate", env=base_env).returncode == 0
        if not (args.reuse and exists):
            loaded = _shell(base_env, LOAD.replace("__SCALE__", str(args.scale))
                            .replace("__PASSWORD__", PASSWORD))  # fmt: skip
            print("loaded", loaded, flush=True)
        subprocess.run(["psql", PG_URL, "-qc", "VACUUM ANALYZE"], check=True)
        key = _shell(base_env, FORM).rsplit(" ", 1)[1]
        script = Path(data) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        year = ("2025-12-08", "2026-12-07")
        results: list[Any] = []
        # The production limits on leads: 5 a minute from one address.
        with running_server(base_env, workers=2, migrate=False) as base:
            measured = _shell(base_env, MEASURE.replace("__PASSWORD__", PASSWORD)
                              .replace("__FROM__", year[0]).replace("__TO__", year[1]))  # fmt: skip
            print("in-process", measured, flush=True)
            boss, seller = _token(base, "boss"), _token(base, "seller0")
            cookie = _cookie(base, "seller0")
            for label, path, token, extra in (
                ("board, manager", "/api/opportunities/board", boss, {}),
                ("board, salesperson", "/api/opportunities/board", seller, {}),
                ("my day page", "/sales/my-day/", "", {"BENCH_COOKIE": cookie}),
                ("activities overdue", "/api/activities?assignee=me&state=overdue", seller, {}),
                (
                    "funnel, year by source",
                    f"/api/pipeline/funnel?from={year[0]}&to={year[1]}&group_by=source",
                    boss,
                    {},
                ),
            ):
                result = _measure(base, base_env, label, path, token, args.seconds, script,
                                  **extra)  # fmt: skip
                results.append(result)
                print(_row(result), flush=True)
            before = _leads(base_env)
            during: list[Result] = []
            flood = threading.Thread(target=lambda: during.append(_measure(
                base, base_env, "lead flood, one address", "/api/public/leads", "",
                args.seconds, script, method="LEAD", connections=8, BENCH_FORM=key)))  # fmt: skip
            flood.start()
            board = _measure(base, base_env, "board, manager, during flood",
                             "/api/opportunities/board", boss, args.seconds, script)  # fmt: skip
            flood.join()
            print(_row(during[0]), flush=True)
            print(_row(board), flush=True)
            print(
                json.dumps(
                    {
                        "flood_requests": round(during[0].rps * args.seconds),
                        "flood_leads_stored": _leads(base_env) - before,
                    }
                ),
                flush=True,
            )
        # Capacity of the endpoint itself: the per-address limit lifted.
        lifted = {**base_env, "SIMPLEPRO_LEAD_RATE_LIMITS": "100000000/1",
                  "SIMPLEPRO_LEAD_FORM_RATE_LIMITS": "100000000/1"}  # fmt: skip
        with running_server(lifted, workers=2, migrate=False, log_name="serve2.log") as base:
            result = _measure(base, lifted, "public leads, limits lifted", "/api/public/leads",
                              "", args.seconds, script, method="LEAD", BENCH_FORM=key)  # fmt: skip
            print(_row(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
