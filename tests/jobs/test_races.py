"""Races over HTTP against the real `simplepro serve --workers 2`, on SQLite and on
PostgreSQL: two dispatchers booking the same person onto overlapping jobs at the same instant
(20 rounds, released together by a barrier: exactly one wins each round), and 50 jobs created
at once (50 distinct numbers)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.conftest import requires
from tests.postgres import database_url, fresh_database, worker_database
from tests.server import cli_env, run_cli, running_server

pytestmark = pytest.mark.server

PASSWORD = "Race-Test-Pass-1"
# One database per xdist worker: two workers may both run the PostgreSQL half of this module.
RACE_DB = worker_database("simplepro_race")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    extra = {"SIMPLEPRO_RATE_LIMITS": "100000000/1"}
    if request.param == "postgresql":
        requires("PostgreSQL at 127.0.0.1:5432", fresh_database(RACE_DB))
        extra["DATABASE_URL"] = database_url(RACE_DB)
    env = cli_env(tmp_path_factory.mktemp(f"race-{request.param}"), **extra)
    with running_server(env, workers=2) as base:
        created = run_cli(
            "createuser", "--username", "office", "--email", "o@movers.example",
            "--role", "super_admin", "--password-stdin", env=env, stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        token = requests.post(
            f"{base}/api/auth/login",
            json={"username": "office", "password": PASSWORD},
            timeout=30,
        ).json()["access_token"]
        yield base, token


def _api(site: tuple[str, str]) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {site[1]}"
    return session


def _customer_and_person(api: requests.Session, base: str) -> tuple[str, str]:
    customer = api.post(
        f"{base}/api/customers", json={"type": "residential", "name": "Race Customer"}, timeout=30
    )
    person = api.post(f"{base}/api/crew-members", json={"name": "Contested Mover"}, timeout=30)
    assert customer.status_code == 201 and person.status_code == 201, (customer.text, person.text)
    return str(customer.json()["id"]), str(person.json()["id"])


def _job(api: requests.Session, base: str, customer_id: str, day: int, hour: int) -> str:
    response = api.post(
        f"{base}/api/jobs",
        json={
            "customer_id": customer_id,
            "scheduled_start": f"2027-04-{day:02d}T{hour:02d}:00:00+00:00",
            "scheduled_end": f"2027-04-{day:02d}T{hour + 4:02d}:00:00+00:00",
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_two_dispatchers_booking_one_person_at_once_exactly_one_wins(
    site: tuple[str, str],
) -> None:
    base = site[0]
    api = _api(site)
    customer_id, person_id = _customer_and_person(api, base)
    sessions = [_api(site), _api(site)]
    for round_number in range(20):
        day = round_number + 1
        jobs = [_job(api, base, customer_id, day, 8), _job(api, base, customer_id, day, 10)]
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def book(index: int, jobs: list[str] = jobs, barrier: threading.Barrier = barrier) -> int:
            barrier.wait()
            return (
                sessions[index]
                .post(
                    f"{base}/api/jobs/{jobs[index]}/assignments",
                    json={"crew_member_id": person_id},
                    timeout=30,
                )
                .status_code
            )

        with ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(book, [0, 1]))
        assert statuses == [201, 409], f"round {round_number}: {statuses}"
    calendar = api.get(
        f"{base}/api/dispatch/calendar",
        params={"start": "2027-03-31", "end": "2027-04-22"},
        timeout=30,
    ).json()
    booked = [a for job in calendar["items"] for a in job["assignments"]]
    assert len(booked) == 20  # one per round, and nobody double-booked
    assert all(job["conflicts"] == [] for job in calendar["items"])


def test_fifty_jobs_created_at_once_get_fifty_numbers(site: tuple[str, str]) -> None:
    base = site[0]
    api = _api(site)
    customer_id, _ = _customer_and_person(api, base)
    barrier = threading.Barrier(50)
    sessions = [_api(site) for _ in range(50)]

    def create(index: int) -> str:
        barrier.wait()
        response = sessions[index].post(
            f"{base}/api/jobs",
            json={
                "customer_id": customer_id,
                "scheduled_start": "2027-06-01T08:00:00+00:00",
                "scheduled_end": "2027-06-01T12:00:00+00:00",
            },
            timeout=60,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["number"])

    with ThreadPoolExecutor(50) as pool:
        numbers = list(pool.map(create, range(50)))
    assert len(set(numbers)) == 50
