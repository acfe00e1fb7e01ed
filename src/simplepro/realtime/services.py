"""Writes of the real-time app: pruning the outbox."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from simplepro.core.models import StreamCursor, StreamEvent

PRUNE_BATCH = 5000


def outbox_prune(*, now: dt.datetime | None = None) -> int:
    """Delete events older than SIMPLEPRO_REALTIME_OUTBOX_HOURS, remembering per user the newest
    id deleted so a client resuming from before it is told to reload rather than given a gap.
    Batched, so a large backlog never holds one long transaction."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.REALTIME_OUTBOX_HOURS)
    deleted = 0
    while True:
        with transaction.atomic(durable=True):
            ids = list(
                StreamEvent.objects.filter(created_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:PRUNE_BATCH]
            )
            if not ids:
                return deleted
            batch = StreamEvent.objects.filter(pk__in=ids)
            for row in batch.values("user_id").annotate(newest=Max("seq")).order_by("user_id"):
                StreamCursor.objects.filter(
                    user_id=row["user_id"], pruned_through__lt=row["newest"]
                ).update(pruned_through=row["newest"])
            deleted += batch.delete()[0]
