"""`simplepro expire-estimates`: write down the expiry of sent quotes past their validity.

Pages and the API already show such quotes as expired; this records it (status, filters in
reports) and is meant to run daily, e.g. from cron or a Kubernetes CronJob."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from simplepro.estimates.services import estimates_expire_due


class Command(BaseCommand):
    help = "Mark sent estimates past their validity as expired."

    def handle(self, *args: Any, **options: Any) -> None:
        count = estimates_expire_due()
        self.stdout.write(f"{count} estimate(s) expired.")
