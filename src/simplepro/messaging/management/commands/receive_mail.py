from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from simplepro.messaging.mailbox import mail_server


class Command(BaseCommand):
    help = (
        "Receive customers' e-mail replies over SMTP for SIMPLEPRO_INBOUND_EMAIL and file "
        "them in their threads (docs/operations/inbound-email.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="0.0.0.0")  # noqa: S104  (a server: all interfaces)
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.INBOUND_EMAIL or "@" not in settings.INBOUND_EMAIL:
            raise CommandError(
                "SIMPLEPRO_INBOUND_EMAIL is not set: set it to the address customers reply to "
                "(e.g. messages@in.movers.example)."
            )
        server = mail_server(options["host"], options["port"])
        server.start()
        self.stdout.write(f"Receiving mail for {settings.INBOUND_EMAIL} on "
                          f"{options['host']}:{options['port']}")  # fmt: skip
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        server.stop()
