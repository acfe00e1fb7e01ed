"""Targeted recovery: one customer brought back from a backup into the live database, touching
nothing else (`simplepro backup restore-customer <backup> <customer> [--dry-run]`).

"One customer" is everything that hangs off them: the customer and their e-mail/phone/tag
lookups, their estimates with every priced version (and the stored quote PDFs those versions
point at), their jobs with crew assignments and time entries, their messages and their jobs' threads. The backup's database is restored
into a scratch copy (never the live one), migrated to this release, and read through a second
Django connection; then, in one transaction on the live database, each of those rows is
created if it is missing and overwritten if it differs. Rows the customer gained after the
backup stay as they are; nothing outside the customer is written, except an immutable pricing
ruleset a version needs and the live database no longer has. Timestamps are kept as they were
(rows are saved raw, like `loaddata`). A reference to something that is gone (a salesperson
whose account was deleted) is left empty where the field allows it and named in the report;
where it does not (a crew member on a time entry), nothing is written and the report says what
to restore first. `--dry-run` reports the same without writing.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connections, models, transaction

from simplepro.ops.backup import archive, database, sealing
from simplepro.ops.backup.archive import BackupError, Progress

COPY = "simplepro_backup_copy"  # the Django connection alias of the scratch copy


@dataclass
class Change:
    label: str  # app_label.model
    pk: str
    action: str  # create | update | unchanged | kept (live only, newer than the backup)
    fields: list[str] = field(default_factory=list)

    def line(self, dry_run: bool) -> str:
        verb = {"create": "would create", "update": "would update"} if dry_run else {}
        text = f"{self.label} {self.pk}: {verb.get(self.action, self.action)}"
        if self.fields:
            text += f" ({', '.join(self.fields)})"
        return text


@dataclass
class Recovery:
    backup_id: str
    customer: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    files: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return sum(c.action in {"create", "update"} for c in self.changes + self.files)


def _graph() -> list[tuple[type[models.Model], str]]:
    """A customer's records, parents before children (the order rows are written in), each with
    its path to the customer. The e-mail/phone/tag lookups are not copied: they are derived
    from the customer record and rebuilt from it."""
    from simplepro.customers.models import Customer
    from simplepro.documents.models import Document, DocumentVersion
    from simplepro.estimates.models import Estimate, EstimateVersion
    from simplepro.jobs.models import Assignment, Job, TimeEntry
    from simplepro.messaging.models import Conversation, Member, Message
    from simplepro.paperwork.models import BookletDelivery, ConditionNote, Signature, SigningCode
    from simplepro.partners.models import Referral
    from simplepro.sales.models import (
        Activity,
        FunnelEvent,
        Lead,
        Opportunity,
        OpportunityEstimate,
        RuleRun,
        RuleStep,
    )

    return [
        (Customer, "pk"),
        (Estimate, "customer"),
        (EstimateVersion, "estimate__customer"),
        (Job, "customer"),
        (Assignment, "job__customer"),
        (TimeEntry, "job__customer"),
        # their documents and photos with every version (share links are not: a recovered
        # document is shared again on purpose, never by a link that was withdrawn since)
        (Document, "customer"),
        (DocumentVersion, "document__customer"),
        # the move's paperwork: condition notes, the booklet, and each signature with its code
        (ConditionNote, "job__customer"),
        (BookletDelivery, "job__customer"),
        (SigningCode, "document__customer"),
        (Signature, "document__customer"),
        # their SMS and e-mail thread, and their jobs' threads
        (Conversation, "customer"),
        (Conversation, "job__customer"),
        (Message, "conversation__customer"),
        (Message, "conversation__job__customer"),
        (Member, "conversation__customer"),
        (Member, "conversation__job__customer"),
        # the moves they considered: opportunities, their quotes, leads, activities, funnel
        (Opportunity, "customer"),
        (OpportunityEstimate, "opportunity__customer"),
        (Lead, "customer"),
        (Activity, "opportunity__customer"),
        (FunnelEvent, "opportunity__customer"),
        (RuleRun, "opportunity__customer"),
        (RuleStep, "run__opportunity__customer"),
        # the partner who referred them (the partner itself is not theirs: it must exist)
        (Referral, "customer"),
    ]


def _find(customer_ref: str) -> str:
    """The customer's id in the backup copy, from an id or one of their e-mail addresses."""
    from simplepro.customers.models import Customer, CustomerLookup

    try:
        wanted = uuid.UUID(customer_ref)
    except ValueError:
        matches = CustomerLookup.objects.using(COPY).filter(
            kind=CustomerLookup.Kind.EMAIL, value=customer_ref.strip().lower()
        )
        ids = sorted({str(m.customer_id) for m in matches})
        if len(ids) != 1:
            raise BackupError(
                f"{len(ids)} customers in the backup have the e-mail {customer_ref!r}"
                + (f": {', '.join(ids)}; name one by id" if ids else "")
            ) from None
        return ids[0]
    if not Customer.objects.using(COPY).filter(pk=wanted).exists():
        raise BackupError(f"customer {customer_ref} is not in the backup")
    return str(wanted)


def _rows(customer_id: str, using: str) -> list[models.Model]:
    """The customer's rows in one database, in writing order."""
    return [
        row
        for model, path in _graph()
        for row in model._default_manager.using(using).filter(**{path: customer_id}).order_by("pk")
    ]


def _values(row: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


def _label(row: models.Model) -> str:
    return row._meta.label_lower


def _live_only(rows: list[models.Model], customer_id: str) -> list[Change]:
    """The customer's rows that exist live but not in the backup: kept, and reported."""
    in_backup = {(_label(r), r.pk) for r in rows}
    return [
        Change(_label(row), str(row.pk), "kept")
        for row in _rows(customer_id, "default")
        if (_label(row), row.pk) not in in_backup
    ]


def _live_pks(wanted: dict[type[models.Model], set[Any]]) -> set[tuple[str, Any]]:
    """Which of these rows exist in the live database: one query per model."""
    found = set()
    for model, pks in wanted.items():
        for pk in model._default_manager.filter(pk__in=pks).values_list("pk", flat=True):
            found.add((model._meta.label_lower, pk))
    return found


def _references(rows: list[models.Model], report: Recovery) -> list[models.Model]:
    """Check every reference that leaves the customer's records. An immutable ruleset the live
    database lacks is restored with them; a missing row behind a nullable reference is left
    empty (and named); one behind a required reference stops the recovery."""
    from simplepro.estimates.models import StoredRuleset

    inside = {(_label(r), r.pk) for r in rows}
    outgoing = []  # (row, foreign key, target model, target pk)
    for row in rows:
        for fk in row._meta.concrete_fields:
            pk = getattr(row, fk.attname) if fk.is_relation else None
            target = fk.related_model
            if (
                pk is not None
                and isinstance(target, type)
                and (target._meta.label_lower, pk) not in inside
            ):
                outgoing.append((row, fk, target, pk))
    wanted: dict[type[models.Model], set[Any]] = {}
    for _, _, target, pk in outgoing:
        wanted.setdefault(target, set()).add(pk)
    live = _live_pks(wanted)
    extra: dict[Any, models.Model] = {}
    for row, fk, target, pk in outgoing:
        if (target._meta.label_lower, pk) in live:
            continue
        where = f"{_label(row)} {row.pk} {fk.name}"
        if target is StoredRuleset:
            if pk not in extra:
                extra[pk] = StoredRuleset.objects.using(COPY).get(pk=pk)
                report.notes.append(f"{where}: ruleset {pk} is gone; restored with them")
        elif fk.null:
            setattr(row, fk.attname, None)
            report.notes.append(
                f"{where}: {target._meta.verbose_name} {pk} no longer exists; left empty"
            )
        else:
            raise BackupError(
                f"{where} needs {target._meta.verbose_name} {pk}, which no longer exists: "
                "restore it first (or the whole backup); nothing was changed"
            )
    return list(extra.values())


def _plan(rows: list[models.Model]) -> list[Change]:
    """Per row: create, update (naming the fields that differ) or unchanged; one query per
    model."""
    live: dict[str, dict[Any, models.Model]] = {}
    for model in {type(row) for row in rows}:
        pks = [row.pk for row in rows if type(row) is model]
        live[model._meta.label_lower] = model._default_manager.in_bulk(pks)
    changes = []
    for row in rows:
        current = live[_label(row)].get(row.pk)
        if current is None:
            changes.append(Change(_label(row), str(row.pk), "create"))
            continue
        now, then = _values(current), _values(row)
        differing = sorted(name for name in then if then[name] != now[name])
        changes.append(
            Change(_label(row), str(row.pk), "update" if differing else "unchanged", differing)
        )
    return changes


def _write(rows: list[models.Model], plan: list[Change], customer_id: str) -> None:
    """In one transaction on the live database: saved raw, so timestamps stay as they were."""
    from simplepro.customers.models import Customer
    from simplepro.customers.services import customer_lookups_rebuild

    try:
        with transaction.atomic():
            for row, change in zip(rows, plan, strict=True):
                if change.action in {"create", "update"}:
                    row._state.db = None
                    row.save_base(
                        raw=True,
                        force_insert=change.action == "create",
                        force_update=change.action == "update",
                        using="default",
                    )
            customer_lookups_rebuild(Customer.objects.get(pk=customer_id))
            # The funnel's day sums are derived: count the funnel events brought back.
            from simplepro.sales.funnel import rollup_add
            from simplepro.sales.models import FunnelEvent

            for row, change in zip(rows, plan, strict=True):
                if change.action == "create" and isinstance(row, FunnelEvent):
                    rollup_add(row)
    except (IntegrityError, DatabaseError) as exc:
        raise BackupError(
            f"the live database refused the customer's records ({exc}); nothing was changed"
        ) from None


def _quote_files(
    path: Path, body: dict[str, Any], identities: list[Any], rows: list[models.Model]
) -> dict[str, tuple[str, bytes | None]]:
    """The stored files the customer's rows point at (quote PDFs, document versions), read from
    the backup: name → (the SHA-256 the row recorded, the bytes, or None when the backup lacks
    it). Each is read whole: at most SIMPLEPRO_MAX_UPLOAD bytes."""
    from simplepro.documents.models import DocumentVersion
    from simplepro.estimates.models import EstimateVersion

    wanted = {
        f"files/{row.pdf_path}": row.pdf_sha256
        for row in rows
        if isinstance(row, EstimateVersion) and row.pdf_path
    } | {f"files/{row.stored_name}": row.sha256 for row in rows if isinstance(row, DocumentVersion)}
    found: dict[str, bytes] = {}
    if wanted:
        with (
            archive.open_part(path, body["parts"]["files"], identities) as plain,
            tarfile.open(fileobj=plain, mode="r|") as tar,
        ):
            for member in tar:
                handle = tar.extractfile(member) if member.name in wanted else None
                if handle is not None:
                    found[member.name] = handle.read()
    return {
        name.removeprefix("files/"): (digest, found.get(name)) for name, digest in wanted.items()
    }


def _plan_files(quotes: dict[str, tuple[str, bytes | None]]) -> list[Change]:
    """Stored files are immutable: restored when missing, never overwritten."""
    from simplepro.core import files as stored_files

    changes = []
    for name, (digest, data) in sorted(quotes.items()):
        if data is None:
            changes.append(Change("file", name, "missing from the backup"))
            continue
        if stored_files.sha256(data) != digest:
            raise BackupError(
                f"files: {name} in the backup does not match the SHA-256 its record holds"
            )
        try:
            stored_files.read_verified(name, digest)
            changes.append(Change("file", name, "unchanged"))
        except FileNotFoundError:
            changes.append(Change("file", name, "create"))
        except stored_files.StoredFileError:
            changes.append(Change("file", name, "differs on disk; left as it is"))
    return changes


def _write_files(quotes: dict[str, tuple[str, bytes | None]], changes: list[Change]) -> None:
    """Before the rows: a quote file without its row is harmless (and written again by the next
    run); a row without its file would be a quote that cannot be downloaded."""
    from simplepro.core import files as stored_files

    for change in changes:
        data = quotes[change.pk][1]
        if change.action == "create" and data is not None:
            try:
                stored_files.store_once(change.pk, data)
            except OSError as exc:
                raise BackupError(
                    f"files: {change.pk} could not be written ({exc.strerror}); nothing was "
                    "changed in the database"
                ) from None


@contextmanager
def backup_copy(path: Path, body: dict[str, Any], identities: list[Any]) -> Iterator[None]:
    """The backup's database restored into a scratch copy, open as the connection COPY and
    migrated to this release (a backup from an older one reads like a current database)."""
    default = connections.databases["default"]
    with (
        tempfile.TemporaryDirectory(prefix="simplepro-recover-") as scratch,
        archive.open_part(path, body["parts"]["database"], identities) as plain,
    ):
        if body["engine"] == "sqlite":
            dump = Path(scratch) / "database"
            with open(dump, "wb") as out:
                shutil.copyfileobj(plain, out, sealing.CHUNK)
            with _connected({**default, "NAME": str(dump)}):
                yield
        else:
            with database.scratch_postgresql(plain, "recover") as name:
                options = {k: v for k, v in default.get("OPTIONS", {}).items() if k != "pool"}
                with _connected({**default, "NAME": name, "OPTIONS": options}):
                    yield


@contextmanager
def _connected(config: dict[str, Any]) -> Iterator[None]:
    connections.databases[COPY] = config
    try:
        call_command("migrate", database=COPY, verbosity=0)
        yield
    finally:
        connections[COPY].close()
        del connections[COPY]
        del connections.databases[COPY]


def restore_customer(
    reference: str, customer: str, dry_run: bool = False, progress: Progress = lambda _: None
) -> Recovery:
    path, body, identities = archive.openable(reference, "recovering a customer", progress)
    if body["engine"] != connections["default"].vendor:
        raise BackupError(
            f"this is a {body['engine']} backup and the live database is "
            f"{connections['default'].vendor}"
        )
    progress(f"{path.name}: restoring a scratch copy to read customer {customer} from")
    try:
        with backup_copy(path, body, identities):
            customer_id = _find(customer)
            rows = _rows(customer_id, COPY)
            report = Recovery(path.name, customer_id, dry_run)
            rows = _references(rows, report) + rows
            plan = _plan(rows)
            report.changes = plan + _live_only(rows, customer_id)
            quotes = _quote_files(path, body, identities, rows)
            report.files = _plan_files(quotes)
            if not dry_run:
                _write_files(quotes, report.files)
                _write(rows, plan, customer_id)
                _audit(report, body)
    except RuntimeError as exc:
        raise BackupError(str(exc)) from None
    return report


def _audit(report: Recovery, body: dict[str, Any]) -> None:
    from simplepro.audit.services import audit_record

    counts: dict[str, int] = {}
    for change in report.changes + report.files:
        counts[change.action] = counts.get(change.action, 0) + 1
    audit_record(
        actor=None,
        action="restore",
        entity_type="customer",
        entity_id=report.customer,
        changes={
            "restore_customer": {
                "backup_id": report.backup_id,
                "backup_created_at": body["created_at"],
                "outcome": counts,
                "notes": report.notes,
            }
        },
    )
