"""Sum the funnel events recorded so far into their days (FunnelDay). Written against the
historical models, not simplepro.sales.funnel: a migration must run the same way whatever
the code becomes later."""

import zoneinfo

from django.db import migrations
from django.db.models import F

CHAIN = ["lead", "opportunity", "quote_sent", "quote_accepted", "job_created", "job_completed"]


def rebuild(apps, schema_editor):  # type: ignore[no-untyped-def]
    FunnelEvent = apps.get_model("sales", "FunnelEvent")
    FunnelDay = apps.get_model("sales", "FunnelDay")
    company = apps.get_model("accounts", "Company").objects.filter(pk=1).first()
    zone = zoneinfo.ZoneInfo(company.time_zone if company else "UTC")
    reached: dict = {}  # type: ignore[type-arg]
    for event in FunnelEvent.objects.order_by("opportunity_id", "at").iterator(chunk_size=2000):
        seen = reached.setdefault(event.opportunity_id, {})
        # As simplepro.sales.funnel: no time for the lead and the opportunity themselves.
        earlier = CHAIN[1 : CHAIN.index(event.stage)] if event.stage in CHAIN else ["opportunity"]
        if event.stage in ("lead", "opportunity"):
            earlier = []
        before = max((seen[s] for s in earlier if s in seen), default=None)
        seen[event.stage] = event.at
        seconds = max(int((event.at - before).total_seconds()), 0) if before else None
        seller = str(event.salesperson_id or "")
        keys = {"": "", "source": event.source, "salesperson": seller, "move_size": event.move_size}
        for scope in [""] + ([seller] if seller else []):
            for dimension, key in keys.items():
                row, _ = FunnelDay.objects.get_or_create(
                    scope=scope,
                    dimension=dimension,
                    key=key,
                    stage=event.stage,
                    day=event.at.astimezone(zone).date(),
                )
                FunnelDay.objects.filter(pk=row.pk).update(
                    count=F("count") + 1,
                    value=F("value") + (event.value or 0),
                    seconds=F("seconds") + (seconds or 0),
                    timed=F("timed") + (seconds is not None),
                )


class Migration(migrations.Migration):
    dependencies = [("sales", "0005_funnel_days_and_indexes"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
