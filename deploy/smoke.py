#!/usr/bin/env python3
"""Smoke test of a running SimplePro: readiness, log in, create a customer, read it back.

    SIMPLEPRO_SMOKE_USERNAME=… SIMPLEPRO_SMOKE_PASSWORD=… python3 deploy/smoke.py https://moves.example.com

Used by the deploy workflow after each rollout (and after a rollback) and by the deployment
rehearsal. Standard library only, so it runs on any machine with Python 3.11. The customer it
creates is named `Smoke test <time>` and tagged `smoke-test` (the smoke user needs
only the sales role; an administrator can archive them in bulk). Exit status 0 only if every step passed;
otherwise the failing step and the server's answer are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any


class SmokeFailure(RuntimeError):
    pass


@dataclass
class Client:
    """A tiny JSON client: one base URL, an optional bearer token, the last version seen."""

    base_url: str
    insecure: bool = False
    token: str = ""
    versions: set[str] = field(default_factory=set)

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url.rstrip("/") + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        context = ssl._create_unverified_context() if self.insecure else None  # noqa: S323
        try:
            with urllib.request.urlopen(request, timeout=15, context=context) as response:  # noqa: S310
                status, payload = response.status, response.read()
                self.versions.add(response.headers.get("X-SimplePro-Version", "?"))
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        if status != expect:
            raise SmokeFailure(
                f"{method} {path}: expected {expect}, got {status}: {payload[:300]!r}"
            )
        return json.loads(payload) if payload else None


def login(client: Client, username: str, password: str) -> None:
    tokens = client.call("POST", "/api/auth/login", {"username": username, "password": password})
    client.token = tokens["access_token"]


def create_customer(client: Client, label: str) -> dict[str, Any]:
    customer: dict[str, Any] = client.call(
        "POST",
        "/api/customers",
        {"type": "residential", "name": f"Smoke test {label}", "tags": ["smoke-test"]},
        expect=201,
    )
    return customer


def read_customer(client: Client, customer_id: str) -> dict[str, Any]:
    customer: dict[str, Any] = client.call("GET", f"/api/customers/{customer_id}")
    return customer


def run(base_url: str, username: str, password: str, insecure: bool = False) -> Client:
    client = Client(base_url, insecure=insecure)
    steps = [
        ("readiness", lambda: client.call("GET", "/api/health/ready")),
        ("log in", lambda: login(client, username, password)),
    ]
    created: dict[str, Any] = {}
    steps += [
        ("create a customer", lambda: created.update(create_customer(client, str(time.time())))),
        ("read it back", lambda: _same(read_customer(client, created["id"]), created)),
    ]
    for name, step in steps:
        step()
        print(f"ok   {name}", flush=True)
    return client


def _same(read: dict[str, Any], created: dict[str, Any]) -> None:
    if read["id"] != created["id"] or read["name"] != created["name"]:
        raise SmokeFailure(f"read back {read['id']} {read['name']!r}, created {created['name']!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--insecure", action="store_true", help="accept a self-signed certificate")
    args = parser.parse_args(argv)
    username = os.environ.get("SIMPLEPRO_SMOKE_USERNAME", "")
    password = os.environ.get("SIMPLEPRO_SMOKE_PASSWORD", "")
    if not username or not password:
        print("set SIMPLEPRO_SMOKE_USERNAME and SIMPLEPRO_SMOKE_PASSWORD", file=sys.stderr)
        return 2
    try:
        client = run(args.base_url, username, password, insecure=args.insecure)
    except (SmokeFailure, OSError, KeyError, ValueError) as problem:
        print(f"FAIL {problem}", file=sys.stderr)
        return 1
    print(
        f"smoke test passed against {args.base_url} (version {', '.join(sorted(client.versions))})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
