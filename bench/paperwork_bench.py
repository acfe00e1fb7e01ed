"""The paperwork's cost per document on one core: printing a bill of lading (40 inventory lines),
sealing it (the evidence page appended, then the PAdES seal), and verifying the seal, with the
median and p95 of each over `--runs` documents. Also checks a changed copy fails.

No database is needed: the facts are built in memory and the seal is a fresh P-256 key.

    .venv/bin/python bench/paperwork_bench.py --runs 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simplepro.settings")
os.environ.setdefault("SIMPLEPRO_DATA_DIR", tempfile.mkdtemp(prefix="paperwork-bench-"))

import django  # noqa: E402

django.setup()

from simplepro.core.files import sha256  # noqa: E402
from simplepro.core.seal_keys import load_seal, new_seal_pem  # noqa: E402
from simplepro.paperwork.facts import Line, MoveFacts  # noqa: E402
from simplepro.paperwork.render import bill_of_lading  # noqa: E402
from simplepro.paperwork.seal import Evidence, check_seal, sealed_pdf  # noqa: E402


def facts(n: int) -> MoveFacts:
    return MoveFacts(
        printed_at=dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC),
        company={"name": "Acme Moving LLC", "trading_as": "Acme", "address": "1 Depot Rd, Boston",
                 "phone": "+16175550100", "email": "office@acme.example", "usdot": "1234567",
                 "mc": "765432"},
        job_number=f"J-2027-{n:05d}", job_type="long_distance", interstate=True,
        customer="Dana Mover", customer_phone="+16175550111", customer_email="dana@example.com",
        origin="12 Elm St, Boston", destination="9 Oak Ave, Albany",
        pickup_window="Tuesday 02 March 2027, from 08:00 to 10:00",
        delivery_window="Within the delivery spread", estimate_ref="e, version 2",
        estimate_kind="Binding estimate", estimate_type="binding", total=Decimal("4812.40"),
        deposit=Decimal("481.24"), currency="USD", valuation_kind="full_value",
        declared_value=Decimal("60000"), valuation_charge=Decimal("600.00"),
        released_per_lb=Decimal("0.60"), vehicles=("Truck 7 (plate MA 7TRK)",),
        lines=tuple(Line(i + 1, f"Item {i + 1}", "Living room", 1,
                         pickup=("SC, D at 4 front",) if i % 5 == 0 else ()) for i in range(40)),
    )  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    runs = parser.parse_args().runs
    seal = load_seal(new_seal_pem("Bench seal"))
    timings: dict[str, list[float]] = {"print": [], "seal": [], "verify": []}
    size = 0
    for n in range(runs):
        t0 = time.perf_counter()
        printed = bill_of_lading(facts(n))
        t1 = time.perf_counter()
        evidence = Evidence(
            document=f"Bill of lading J-{n}", job_number=f"J-{n}", version=1,
            signed_sha256=sha256(printed), signer="Dana Mover", method="typed", drawing_png=None,
            identity="one-time code by e-mail to d***@example.com", consent="ESIGN 2026-12",
            signed_at=dt.datetime.now(dt.UTC), time_zone="America/New_York",
            ip_address="203.0.113.9", user_agent="bench", collected_by="Lee Lead",
            stage="At pickup", reference="bench",
        )  # fmt: skip
        sealed = sealed_pdf(printed, evidence, seal)
        t2 = time.perf_counter()
        verdict = check_seal(sealed, {seal.fingerprint})
        t3 = time.perf_counter()
        assert verdict.intact
        assert verdict.trusted
        assert verdict.whole_file
        assert verdict.named_sha256 == evidence.signed_sha256
        timings["print"].append(t1 - t0)
        timings["seal"].append(t2 - t1)
        timings["verify"].append(t3 - t2)
        size = len(sealed)
    changed = bytearray(sealed)
    changed[len(sealed) // 2] ^= 0x01
    assert not check_seal(bytes(changed), {seal.fingerprint}).intact, "a changed copy must fail"
    print(f"bill of lading, 40 lines; {runs} documents; sealed file {size / 1024:.0f} KiB")
    for step, values in timings.items():
        print(f"  {step:<7} median {statistics.median(values) * 1000:6.1f} ms   "
              f"p95 {pct(values, 0.95) * 1000:6.1f} ms")  # fmt: skip
    print("  a copy with one byte changed: seal broken (checked)")


if __name__ == "__main__":
    main()
