"""`simplepro dr-drill [--backup ID]`: restore the newest backup into a scratch environment,
start the app on it, use it over HTTP, and print the measured RTO and RPO (see
simplepro.ops.backup.drill). Exits non-zero, naming the step, if anything fails."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from simplepro.core.env import ConfigurationError
from simplepro.ops.backup.archive import BackupError
from simplepro.ops.backup.drill import drill


class Command(BaseCommand):
    help = "Disaster-recovery drill on the newest (or a given) backup."
    requires_system_checks: list[str] = []  # as `backup`: the scratch server runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backup", default="latest", help="a backup id (default: latest)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = drill(
                options["backup"], progress=lambda m: print(m, file=sys.stderr, flush=True)
            )
        except (BackupError, ConfigurationError) as problem:
            raise CommandError(f"DRILL FAILED: {problem}") from None
        for check in report.checks:
            self.stdout.write(f"ok   {check}")
        self.stdout.write(
            f"drill passed on {report.backup_id}: RTO {report.rto_seconds:.1f} s "
            f"(start to checked), RPO {report.rpo_seconds / 3600:.1f} h "
            f"({report.rpo_seconds:.0f} s: the age of the newest restorable data)"
        )
