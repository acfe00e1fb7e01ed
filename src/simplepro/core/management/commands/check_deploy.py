from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Check that this configuration is safe to run in production: secrets, DEBUG, "
        "database, hosts, cookies, HSTS. Exits non-zero on any error, naming each fix."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            call_command(
                "check", deploy=True, fail_level="ERROR", stdout=self.stdout, stderr=self.stderr
            )
        except CommandError as exc:
            raise CommandError(f"Not ready for production. {exc}") from None
        self.stdout.write(self.style.SUCCESS("Ready for production."))
