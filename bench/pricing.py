"""Throughput of the pricing engine on one core, with the default ruleset (issue 3's measure).

  path 1  full path: parse and validate JSON input, evaluate, hash, serialise the result
  path 2  evaluation + hash on already-validated input objects
  path 3  batch re-pricing of stored estimates (their saved input data) under a candidate
          ruleset, as the ruleset preview does; its results are checked byte for byte
          against path 2's under the same candidate

Inputs are distinct (generated with a fixed seed); nothing is cached by input.

  .venv/bin/python bench/pricing.py --inputs 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from simplepro.pricing import EstimateInput, load_ruleset, price  # noqa: E402
from simplepro.pricing.defaults import default_ruleset  # noqa: E402
from simplepro.pricing.engine import reprice  # noqa: E402

ORIGINAL_RATE = 64_000  # estimates/s, the TypeScript engine on one core of this machine kind


def generate(count: int) -> list[str]:
    rng = random.Random(2026)
    return [_one(rng, n) for n in range(count)]


def _one(rng: random.Random, n: int) -> str:
    return json.dumps(
        {
            "service": rng.choice(["local", "local", "long_distance", "packing_only", "storage"]),
            "move_date": str(dt.date(2026, 1, 1) + dt.timedelta(days=n % 730)),
            "distance_miles": str(rng.randrange(0, 3000)),
            "cubic_feet": str(rng.randrange(100, 3000)),
            "crew_size": rng.randrange(1, 7),
            "estimated_hours": str(rng.randrange(10, 120) / 10),
            "pickup": {
                "stairs_flights": rng.randrange(0, 4),
                "elevator": rng.random() < 0.3,
                "long_carry_feet": rng.randrange(0, 200),
            },
            "delivery": {
                "stairs_flights": rng.randrange(0, 3),
                "difficulty": rng.choice(["easy", "difficult"]),
            },
            "special_items": {
                "piano": rng.random() < 0.1,
                "fragile_count": rng.randrange(0, 15),
            },
            "services": {
                "packing": rng.random() < 0.4,
                "assembly": rng.random() < 0.3,
                "storage_days": rng.choice([0, 0, 0, 14]),
            },
            "specialty_crew": rng.random() < 0.05,
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=100_000)
    args = parser.parse_args()
    ruleset = default_ruleset()
    raw = generate(args.inputs)

    started = time.perf_counter()
    outputs = [
        price(EstimateInput.model_validate_json(line), ruleset).canonical_json() for line in raw
    ]
    path1 = time.perf_counter() - started

    parsed = [EstimateInput.model_validate_json(line) for line in raw]
    started = time.perf_counter()
    hashes = [price(estimate, ruleset).input_hash for estimate in parsed]
    path2 = time.perf_counter() - started

    # A candidate: every hourly rate 5 % higher, as an admin would preview before activating.
    content = ruleset.model_dump(mode="json")
    content["version"] = "bench-candidate"
    for row in content["tariff"]["hourly_rates"]:
        for key in ("weekday", "weekend", "holiday"):
            if row.get(key) is not None:
                row[key] = str(round(float(row[key]) * 1.05, 2))
    candidate = load_ruleset(content)
    stored = [estimate.model_dump(mode="json") for estimate in parsed]  # as saved in the database
    started = time.perf_counter()
    batch = list(reprice(stored, candidate))
    path3 = time.perf_counter() - started
    one_by_one = [price(estimate, candidate).canonical_json() for estimate in parsed]
    assert [r.canonical_json() for r in batch] == one_by_one, "path 3 must equal path 2"

    assert len(set(hashes)) == len(hashes), "inputs must be distinct"
    assert len(outputs) == len(raw)
    for name, seconds in (
        ("path 1 (JSON in → JSON out)", path1),
        ("path 2 (evaluate + hash)", path2),
        ("path 3 (batch re-pricing)", path3),
    ):
        rate = args.inputs / seconds
        print(
            f"{name:<30} {rate:>9,.0f} estimates/s  ({rate / ORIGINAL_RATE:.2f}× the original's 64,000/s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
