"""simplepro documents verify <document or signature id> [--file COPY.pdf]

Checks each signature's sealed file (or a copy someone was given) against the record: the
file's hash, the seal, the certificate, the tie to the signed version. Exit status 0 when every
check passes, 1 when one fails, 2 when there is nothing to check.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from simplepro.paperwork.verification import signatures_for, verify


class Command(BaseCommand):
    help = "Signed documents: verify a seal and its record."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        check = actions.add_parser("verify", help="verify a signed document")
        check.add_argument("id", help="a document's or a signature's id")
        check.add_argument("--file", type=Path, help="check this copy instead of the stored file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            identifier = uuid.UUID(options["id"])
        except ValueError:
            raise CommandError(f"{options['id']!r} is not a document or signature id") from None
        signatures = signatures_for(identifier)
        if not signatures:
            self.stderr.write(f"No signature on {identifier}.")
            raise SystemExit(2)
        copy = None
        if options.get("file"):
            try:
                copy = options["file"].read_bytes()
            except OSError as exc:
                raise CommandError(f"{options['file']}: {exc.strerror}") from None
        failed = False
        for signature in signatures:
            verdict = verify(signature, copy)
            self.stdout.write(
                f"{signature.document.title} v{signature.sealed_version.number}, signed by "
                f"{signature.signer_name} at {signature.signed_at:%Y-%m-%d %H:%M} UTC "
                f"(signature {signature.pk})"
            )
            for check in verdict.checks:
                mark = "ok  " if check.passed else "FAIL"
                self.stdout.write(f"  {mark} {check.name}: {check.detail}")
            self.stdout.write("  VERIFIED" if verdict.passed else "  NOT VERIFIED")
            failed = failed or not verdict.passed
        if failed:
            raise SystemExit(1)
