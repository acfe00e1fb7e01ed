"""Targeted recovery: one customer deleted by mistake (with their estimates, quote PDF, job and
crew assignments) comes back from a backup into the live database, on SQLite and PostgreSQL,
while everything that changed since the backup for anyone else stays as it is."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps

from tests.postgres import demo_site
from tests.server import run_cli

pytestmark = pytest.mark.server


# Prints the customer's records (and the quote file's bytes, hashed) as JSON: compared before
# the deletion and after the recovery.
SNAPSHOT = """
import hashlib, json, os
from pathlib import Path
from django.conf import settings
from django.core import serializers
from simplepro.ops.backup.recovery import _rows
rows = _rows(os.environ["ARG"], "default")
quotes = {r.pdf_path: hashlib.sha256((Path(settings.PRIVATE_FILES_ROOT) / r.pdf_path)
          .read_bytes()).hexdigest() for r in rows if getattr(r, "pdf_path", "")}
print(json.dumps({"rows": json.loads(serializers.serialize("json", rows)), "quotes": quotes}))
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data = tmp_path_factory.mktemp(f"recovery-{request.param}")
    with demo_site(request.param, data, "simplepro_recovery") as env:
        yield env


def shell(env: dict[str, str], code: str, arg: str = "") -> str:
    """Run Python in the site (`simplepro shell -c`); `arg` is os.environ['ARG']; the last line
    printed."""
    done = run_cli("shell", "-c", code, env={**env, "ARG": arg})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def pick_customer(env: dict[str, str]) -> tuple[str, str]:
    """A customer with an estimate and a job (with crew), given a stored quote PDF; and another
    customer. Their ids."""
    return tuple(  # type: ignore[return-value]
        shell(
            env,
            """
from simplepro.customers.models import Customer
from simplepro.core.files import store_once
from simplepro.estimates.models import EstimateVersion
c = Customer.objects.filter(jobs__assignments__isnull=False, estimates__versions__isnull=False
    ).order_by("pk").first()
version = EstimateVersion.objects.filter(estimate__customer=c).first()
version.pdf_path = f"quotes/{version.pk}.pdf"
version.pdf_sha256 = store_once(version.pdf_path, b"%PDF-1.7 quote for " + c.name.encode())
version.save(update_fields=["pdf_path", "pdf_sha256"])
other = Customer.objects.exclude(pk=c.pk).order_by("pk").first()
print(c.pk, other.pk)
""",
        ).split()
    )


DELETE = """
import os
from pathlib import Path
from django.conf import settings
from simplepro.customers.models import Customer
from simplepro.estimates.models import Estimate, EstimateVersion
from simplepro.jobs.models import Job, TimeEntry
c = Customer.objects.get(pk=os.environ["ARG"])
for v in EstimateVersion.objects.filter(estimate__customer=c).exclude(pdf_path=""):
    (Path(settings.PRIVATE_FILES_ROOT) / v.pdf_path).unlink()
TimeEntry.objects.filter(job__customer=c).delete()
Job.objects.filter(customer=c).delete()
Estimate.objects.filter(customer=c).delete()
c.delete()
"""


def restore_customer(env: dict[str, str], *args: str) -> Any:
    return run_cli("backup", "restore-customer", *args, env=env, timeout=300)


def test_one_deleted_customer_comes_back_and_nothing_else_changes(site: dict[str, str]) -> None:
    customer, other = pick_customer(site)
    before = json.loads(shell(site, SNAPSHOT, customer))
    assert {r["model"] for r in before["rows"]} >= {
        "customers.customer", "estimates.estimate", "estimates.estimateversion", "jobs.job",
        "jobs.assignment"}  # fmt: skip
    backup = run_cli("backup", "create", env=site)
    assert backup.returncode == 0, backup.stderr
    backup_id = backup.stdout.strip().splitlines()[-1]

    # After the backup: the customer is deleted by mistake, someone else is edited.
    shell(site, DELETE, customer)
    shell(site, "import os\nfrom simplepro.customers.models import Customer\n"
          "Customer.objects.filter(pk=os.environ['ARG']).update(name='Renamed After The Backup')",
          other)  # fmt: skip
    counted = "from simplepro.customers.models import Customer; print(Customer.objects.count())"
    customers_after_deletion = shell(site, counted)

    dry = restore_customer(site, backup_id, customer, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"customers.customer {customer}: would create" in dry.stdout
    assert re.search(r"jobs\.assignment \S+: would create", dry.stdout)
    assert re.search(r"file quotes/\S+\.pdf: would create", dry.stdout)
    assert "(dry run: nothing was changed)" in dry.stdout
    assert shell(site, counted) == customers_after_deletion, "a dry run writes nothing"

    done = restore_customer(site, backup_id, customer)
    assert done.returncode == 0, done.stderr
    assert f"customer {customer} from {backup_id}: wrote {len(before['rows']) + 1} row(s)" in (
        done.stdout
    )
    after = json.loads(shell(site, SNAPSHOT, customer))
    assert after == before, "every row (timestamps included) and the quote file, as they were"
    assert int(shell(site, counted)) == int(customers_after_deletion) + 1
    renamed = shell(site, "import os\nfrom simplepro.customers.models import Customer\n"
                    "print(Customer.objects.get(pk=os.environ['ARG']).name)", other)  # fmt: skip
    assert renamed == "Renamed After The Backup", "nobody else is touched"
    found = shell(site, "import os\nfrom simplepro.customers.models import CustomerLookup\n"
                  "print(CustomerLookup.objects.filter(customer_id=os.environ['ARG']).count())",
                  customer)  # fmt: skip
    assert int(found) >= 1, "the customer can be found by e-mail and phone again"
    audited = shell(site, "import json, os\nfrom simplepro.audit.models import AuditRecord\n"
                    "r = AuditRecord.objects.get(action='restore', entity_type='customer', "
                    "entity_id=os.environ['ARG']); print(json.dumps(r.changes))", customer)  # fmt: skip
    assert json.loads(audited)["restore_customer"]["backup_id"] == backup_id

    # Again: everything is already there.
    again = restore_customer(site, backup_id, customer)
    assert again.returncode == 0 and "wrote 0 row(s)" in again.stdout


def test_edits_are_rolled_back_and_newer_records_kept(site: dict[str, str]) -> None:
    """The customer still exists but was damaged after the backup (renamed, an estimate's
    address wiped) and gained a new estimate: the backup's values come back, the new estimate
    stays."""
    customer, _ = pick_customer(site)
    backup = run_cli("backup", "create", env=site)
    backup_id = backup.stdout.strip().splitlines()[-1]
    newer = shell(site, """
import os
from simplepro.customers.models import Customer
from simplepro.estimates.models import Estimate
c = Customer.objects.get(pk=os.environ["ARG"])
Customer.objects.filter(pk=c.pk).update(name="Damaged")
Estimate.objects.filter(customer=c).update(pickup_address="")
print(Estimate.objects.create(customer=c, pickup_address="1 New St").pk)
""", customer)  # fmt: skip
    dry = restore_customer(site, backup_id, customer, "--dry-run")
    assert re.search(rf"customers.customer {customer}: would update \(.*name.*\)", dry.stdout)
    assert f"estimates.estimate {newer}: kept" in dry.stdout
    done = restore_customer(site, backup_id, customer)
    assert done.returncode == 0, done.stderr
    state = json.loads(shell(site, """
import json, os
from simplepro.customers.models import Customer
from simplepro.estimates.models import Estimate
c = Customer.objects.get(pk=os.environ["ARG"])
print(json.dumps({"name": c.name, "addresses": sorted(e.pickup_address for e in c.estimates.all())}))
""", customer))  # fmt: skip
    assert state["name"] != "Damaged"
    assert "" not in state["addresses"] and "1 New St" in state["addresses"]


def test_unknown_customer_and_ambiguous_email_are_refused(site: dict[str, str]) -> None:
    backup = run_cli("backup", "create", env=site)
    backup_id = backup.stdout.strip().splitlines()[-1]
    missing = restore_customer(site, backup_id, "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1
    assert "is not in the backup" in missing.stderr
    nobody = restore_customer(site, backup_id, "nobody@example.com")
    assert nobody.returncode == 1
    assert "0 customers in the backup have the e-mail 'nobody@example.com'" in nobody.stderr


def test_the_recovered_graph_covers_every_record_that_points_at_a_customer() -> None:
    """A new model hanging off a customer, an estimate or a job must join the recovery (or be
    named here as derived data): otherwise restoring a customer would silently leave it out."""
    from simplepro.ops.backup.recovery import _graph

    covered = {model for model, _ in _graph()}
    derived = {
        apps.get_model("customers", "CustomerLookup"),  # rebuilt from the customer
        apps.get_model("documents", "ShareLink"),  # access, not data: shared again on purpose
    }
    for model in apps.get_models():
        for fk in model._meta.concrete_fields:
            if fk.is_relation and fk.related_model in covered:
                assert model in covered | derived, f"{model._meta.label}.{fk.name}"


def test_a_reference_to_what_is_gone_is_left_empty_and_named(site: dict[str, str]) -> None:
    """The customer's salesperson left the company (account deleted) after the backup: the
    customer comes back unassigned, and the report says so."""
    customer, _ = pick_customer(site)
    salesperson = shell(site, """
import os
from simplepro.accounts.models import User
from simplepro.customers.models import Customer
u = User.objects.create(username="leaving-sales", email="leaving@movers.example", role="sales")
Customer.objects.filter(pk=os.environ["ARG"]).update(assigned_salesperson=u)
print(u.pk)
""", customer)  # fmt: skip
    backup = run_cli("backup", "create", env=site)
    backup_id = backup.stdout.strip().splitlines()[-1]
    shell(site, DELETE, customer)
    shell(site, "import os\nfrom simplepro.accounts.models import User\n"
          "User.objects.filter(pk=os.environ['ARG']).delete()", salesperson)  # fmt: skip

    done = restore_customer(site, backup_id, customer)
    assert done.returncode == 0, done.stderr
    assert (
        f"note: customers.customer {customer} assigned_salesperson: user {salesperson} no "
        "longer exists; left empty"
    ) in done.stdout
    assigned = shell(site, "import os\nfrom simplepro.customers.models import Customer\n"
                     "print(Customer.objects.get(pk=os.environ['ARG']).assigned_salesperson_id)",
                     customer)  # fmt: skip
    assert assigned == "None"
