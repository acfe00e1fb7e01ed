from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from simplepro.accounts.models import Role
from simplepro.accounts.services import user_create
from simplepro.core.problems import ProblemError


class Command(BaseCommand):
    help = "Create a user. The password is read from standard input (one trailing newline is stripped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input (required: never on the command line).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["password_stdin"]:
            raise CommandError("Pass --password-stdin and pipe the password in.")
        password = sys.stdin.read()
        if password.endswith("\n"):
            password = password[:-1]
            if password.endswith("\r"):
                password = password[:-1]
        if not password:
            raise CommandError("The password read from standard input is empty.")
        try:
            user = user_create(
                actor=None,
                username=options["username"],
                email=options["email"],
                role=options["role"],
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ProblemError as problem:
            details = "; ".join(e["message"] for e in problem.errors)
            raise CommandError(f"{problem.detail} {details}".strip()) from None
        self.stdout.write(f"Created {user.role} {user.username}.")
