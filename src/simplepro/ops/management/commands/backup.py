"""`simplepro backup create|list|verify|status|prune|restore|restore-customer|push` — see simplepro.ops.backup.

Contract: `create` prints only the new id as its last line on stdout (progress goes to
stderr); every subcommand exits 0 only on full success."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from simplepro.core.env import ConfigurationError
from simplepro.ops.backup import archive, keys, offsite, retention

OFF_HOST_WARNING = (
    "warning: a backup on this host dies with this host. Copy the backups and the age identity "
    "({identity}) somewhere else (docs/runbooks/backup-and-restore.md)."
)
OFFSITE_IDENTITY_WARNING = (
    "copied off-site to {where}. The age identity ({identity}) must live off this host too: "
    "without it no backup can be restored (docs/runbooks/backup-and-restore.md)."
)


def _age(iso: str | None) -> str:
    if not iso:
        return "never"
    seconds = (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds()
    hours, rest = divmod(int(seconds), 3600)
    return f"{iso} ({hours} h {rest // 60} min ago)"


class Command(BaseCommand):
    help = "Create, list, verify backups and show their status."
    # The system checks import every URL and API module (0.7 s) to check routes a backup never
    # uses; a restore during an outage should not wait for them. check-deploy runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a backup; prints its id last")
        create.add_argument("--label", default="")
        listing = sub.add_parser("list", help="backups, newest first")
        listing.add_argument("--json", action="store_true")
        verify = sub.add_parser("verify", help="check a backup (restore it with the identity)")
        verify.add_argument("backup", help="a backup id, or `latest`")
        verify.add_argument(
            "--from",
            dest="source",
            choices=["local", "s3"],
            default="local",
            help="s3: download and check the off-site copy itself",
        )
        sub.add_parser("push", help="copy off-site every backup not copied yet")
        sub.add_parser("status", help="the last backup and the last verification")
        restore = sub.add_parser("restore", help="replace the database and files with a backup")
        restore.add_argument("backup", help="a backup id, or `latest`")
        restore.add_argument("--to", default="", help="another database (DATABASE_URL form)")
        restore.add_argument("--force", action="store_true", help="replace a non-empty target")
        restore.add_argument(
            "--ignore-secrets", action="store_true", help="restore though the secrets differ"
        )
        one = sub.add_parser(
            "restore-customer",
            help="bring one customer (estimates, jobs, quote files) back into the live database",
        )
        one.add_argument("backup", help="a backup id, or `latest`")
        one.add_argument("customer", help="the customer's id, or one of their e-mail addresses")
        one.add_argument("--dry-run", action="store_true", help="show what would change")
        prune = sub.add_parser("prune", help="apply the retention policy (SIMPLEPRO_BACKUP_KEEP_*)")
        prune.add_argument("--dry-run", action="store_true", help="say what would be deleted")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action'].replace('-', '_')}")(options)
        except (archive.BackupError, ConfigurationError) as problem:
            raise CommandError(str(problem)) from None

    def _progress(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def _create(self, options: dict[str, Any]) -> None:
        backup_id = archive.create(label=options["label"], progress=self._progress)
        identity = keys.identity_file() or "SIMPLEPRO_BACKUP_IDENTITY_FILE"
        warning = OFFSITE_IDENTITY_WARNING if offsite.configured() else OFF_HOST_WARNING
        print(warning.format(identity=identity, where=offsite.where()), file=sys.stderr)
        self.stdout.write(backup_id)

    def _list(self, options: dict[str, Any]) -> None:
        found = archive.backups()
        if options["json"]:
            self.stdout.write(json.dumps([b.public() for b in found]))
            return
        listed = [{**b.public(), "locations": b.locations} for b in found]
        for b in listed:
            self.stdout.write(
                f"{b['id']}  {b['created_at']}  {b['size_bytes']:>12} B  {b['engine']:<10} "
                f"v{b['app_version']}  verified: {b['verified_at'] or 'no'}  "
                f"{'+'.join(b['locations'])}  {b['label']}"
            )

    def _push(self, options: dict[str, Any]) -> None:
        if not offsite.configured():
            raise CommandError("SIMPLEPRO_BACKUP_S3_BUCKET is not set: there is nowhere to push")
        try:
            pushed = archive.push_pending(progress=self._progress)
        except offsite.OffsiteError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"copied {len(pushed)} backup(s) to {offsite.where()}")

    def _verify(self, options: dict[str, Any]) -> None:
        result = archive.verify(
            options["backup"], progress=self._progress, source=options["source"]
        )
        self.stdout.write(f"{result.backup_id}: " + "; ".join(result.checked) + ": ok")
        if not result.restored:
            self.stdout.write(
                "NOT restored: no age identity on this host (SIMPLEPRO_BACKUP_IDENTITY_FILE), "
                "so the contents were not decrypted or compared. Verify on a host that has it."
            )

    def _restore(self, options: dict[str, Any]) -> None:
        from simplepro.ops.backup.restore import restore

        done = restore(
            options["backup"],
            to_url=options["to"],
            force=options["force"],
            ignore_secrets=options["ignore_secrets"],
            progress=self._progress,
        )
        self.stdout.write(
            f"restored {done.backup_id} into {done.target}: {done.tables} tables, "
            f"{done.rows} rows, {done.files} files"
            + (f"; migrations applied: {', '.join(done.migrated)}" if done.migrated else "")
        )

    def _restore_customer(self, options: dict[str, Any]) -> None:
        from simplepro.ops.backup.recovery import restore_customer

        dry_run = options["dry_run"]
        report = restore_customer(
            options["backup"], options["customer"], dry_run=dry_run, progress=self._progress
        )
        for change in report.changes + report.files:
            self.stdout.write(change.line(dry_run))
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        verb = "would write" if dry_run else "wrote"
        self.stdout.write(
            f"customer {report.customer} from {report.backup_id}: {verb} {report.written} "
            "row(s) and file(s)" + (" (dry run: nothing was changed)" if dry_run else "")
        )

    def _prune(self, options: dict[str, Any]) -> None:
        result = retention.prune(dry_run=options["dry_run"], progress=self._progress)
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(f"kept {len(result.kept)} backup(s), {verb} {len(result.deleted)}")

    def _status(self, options: dict[str, Any]) -> None:
        listed = archive.backups()
        last = listed[0] if listed else None
        verified = max((b.verified_at for b in listed if b.verified_at), default=None)
        self.stdout.write(
            f"last backup: {last.id + ' ' + _age(last.created_at) if last else 'never'}"
        )
        self.stdout.write(f"last full verification: {_age(verified)}")
        if offsite.configured():
            copied = max((b.created_at for b in listed if "s3" in b.locations), default=None)
            self.stdout.write(f"newest off-site copy ({offsite.where()}): {_age(copied)}")
