"""The conversion funnel, from recorded events (`FunnelEvent`, one per opportunity and
stage, written when the step happened) summed per company day (`FunnelDay`):

leads → opportunities → quotes sent → quotes accepted → jobs booked → moves completed,

for a period, overall and grouped by source, salesperson or move size, with the rate from
each stage to the next and the average days an opportunity took to get there; the
leaderboard; the pipeline's value weighted by stage; and why moves were lost.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.accounts.services import company_get
from simplepro.customers.models import LeadSource
from simplepro.pricing.money import cents
from simplepro.sales.models import (
    OPEN_STATUSES,
    STAGE_WEIGHTS,
    CloseReason,
    FunnelDay,
    FunnelEvent,
    FunnelStage,
    MoveSize,
    Opportunity,
    OpportunityStatus,
)

St = FunnelStage
# The funnel's steps, in order (won and lost are outcomes, shown beside it).
CHAIN = (St.LEAD, St.OPPORTUNITY, St.QUOTE_SENT, St.QUOTE_ACCEPTED, St.JOB_CREATED,
         St.JOB_COMPLETED)  # fmt: skip
GROUPS = ("source", "salesperson", "move_size")


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(company_get().time_zone)


def _previous_at(event: FunnelEvent) -> dt.datetime | None:
    """When the opportunity reached the stage before this one, counting from its
    creation: won and lost from the opportunity, and nothing for the opportunity itself (a
    lead makes its opportunity at once, so "lead to opportunity" is no time at all)."""
    if event.stage in (St.LEAD, St.OPPORTUNITY):
        return None
    earlier = CHAIN[1 : CHAIN.index(event.stage)] if event.stage in CHAIN else (St.OPPORTUNITY,)
    return (
        FunnelEvent.objects.filter(
            opportunity_id=event.opportunity_id, stage__in=earlier, at__lte=event.at
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def _rows(event: FunnelEvent, zone: zoneinfo.ZoneInfo) -> list[dict[str, Any]]:
    """The day rows an event counts in: everyone's and its salesperson's, in total and by
    each grouping."""
    day = event.at.astimezone(zone).date()
    keys = {"": "", "source": event.source, "salesperson": str(event.salesperson_id or ""),
            "move_size": event.move_size}  # fmt: skip
    scopes = [""] + ([str(event.salesperson_id)] if event.salesperson_id else [])
    return [
        {"scope": scope, "dimension": dimension, "key": key, "day": day, "stage": event.stage}
        for scope in scopes
        for dimension, key in keys.items()
    ]


def rollup_add(event: FunnelEvent) -> None:
    """Count `event` in its day's rows (inside the event's transaction)."""
    before = _previous_at(event)
    seconds = max(int((event.at - before).total_seconds()), 0) if before else None
    value = event.value or 0
    change = {
        "count": F("count") + 1, "value": F("value") + value,
        "seconds": F("seconds") + (seconds or 0),
        "timed": F("timed") + (1 if seconds is not None else 0),
    }  # fmt: skip
    for key in _rows(event, _zone()):
        if FunnelDay.objects.filter(**key).update(**change):
            continue
        try:
            with transaction.atomic():
                FunnelDay.objects.create(**key, count=1, value=value, seconds=seconds or 0,
                                         timed=1 if seconds is not None else 0)  # fmt: skip
        except IntegrityError:  # made meanwhile by another event of that day
            FunnelDay.objects.filter(**key).update(**change)


def rollup_rebuild() -> int:
    """Remake every day's row from the events (after a restore of some customers, or to
    check the rollup against its source); how many events were counted."""
    with transaction.atomic(durable=True):
        FunnelDay.objects.all().delete()
        counted = 0
        for event in FunnelEvent.objects.order_by("at").iterator(chunk_size=2000):
            rollup_add(event)
            counted += 1
    return counted


def _day_range(start: dt.date, end: dt.date) -> Q:
    return Q(day__gte=start, day__lte=end)


def _names(ids: set[str]) -> dict[str, str]:
    found = User.objects.filter(pk__in=[i for i in ids if i])
    return {str(user.pk): user.display_name for user in found}


def _label(group_by: str, key: str, names: dict[str, str]) -> str:
    if group_by == "salesperson":
        return names.get(key, "Nobody") if key else "Nobody"
    if group_by == "move_size":
        return str(MoveSize(key).label) if key in MoveSize.values else "Not known"
    return str(LeadSource(key).label) if key in LeadSource.values else "Not known"


def _stages(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The chain with counts, values, rates from the previous stage and average days."""
    out = []
    previous = None
    for stage in CHAIN:
        row = rows.get(stage, {})
        count = row.get("count") or 0
        timed = row.get("timed") or 0
        out.append({
            "stage": stage, "label": St(stage).label, "count": count,
            "value": cents(row.get("value") or Decimal(0)),
            "rate": round(count * 100 / previous, 1) if previous else None,
            "avg_days": round((row.get("seconds") or 0) / timed / 86400, 1) if timed else None,
        })  # fmt: skip
        previous = count
    return out


def _sums(rows: Any, *by: str) -> Any:
    return rows.values(*by).annotate(
        count=Sum("count"), value=Sum("value"), seconds=Sum("seconds"), timed=Sum("timed")
    )


def funnel(
    *, start: dt.date, end: dt.date, group_by: str | None = None, salesperson: Any = None
) -> dict[str, Any]:
    """The funnel for the company days `start`..`end` (both included), of everyone or of
    one salesperson's opportunities."""
    days = FunnelDay.objects.filter(
        _day_range(start, end), scope=str(salesperson) if salesperson is not None else ""
    )
    totals: dict[str, dict[str, Any]] = {
        row["stage"]: dict(row) for row in _sums(days.filter(dimension=""), "stage")
    }
    answer: dict[str, Any] = {
        "from": start, "to": end, "group_by": group_by,
        "stages": _stages(totals),
        "won": (totals.get(St.WON) or {}).get("count") or 0,
        "lost": (totals.get(St.LOST) or {}).get("count") or 0,
        "groups": [],
    }  # fmt: skip
    leads = answer["stages"][0]["count"]
    done = answer["stages"][-2]["count"]
    answer["overall_rate"] = round(done * 100 / leads, 1) if leads else None
    if group_by:
        by: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for row in _sums(days.filter(dimension=group_by), "key", "stage"):
            by[row["key"]][row["stage"]] = dict(row)
        names = _names(set(by)) if group_by == "salesperson" else {}
        answer["groups"] = sorted(
            ({"key": key, "label": _label(group_by, key, names), "stages": _stages(rows),
              "won": (rows.get(St.WON) or {}).get("count") or 0,
              "lost": (rows.get(St.LOST) or {}).get("count") or 0}
             for key, rows in by.items()),
            key=lambda group: -group["stages"][0]["count"] - group["stages"][1]["count"],
        )  # fmt: skip
    return answer


def leaderboard(*, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Salespeople by value won in the period, with quotes sent and their win rate."""
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"won": 0, "won_value": Decimal(0),
                                                            "lost": 0, "quotes_sent": 0})  # fmt: skip
    for row in (
        FunnelDay.objects.filter(_day_range(start, end), scope="", dimension="salesperson",
                                 stage__in=(St.WON, St.LOST, St.QUOTE_SENT))
        .exclude(key="")
        .values("key", "stage")
        .annotate(count=Sum("count"), value=Sum("value"))
    ):  # fmt: skip
        entry = rows[row["key"]]
        if row["stage"] == St.WON:
            entry["won"], entry["won_value"] = row["count"], cents(row["value"])
        elif row["stage"] == St.LOST:
            entry["lost"] = row["count"]
        else:
            entry["quotes_sent"] = row["count"]
    names = _names(set(rows))
    board = [
        {"salesperson_id": key, "name": names.get(key, "A former user"), **entry,
         "win_rate": round(entry["won"] * 100 / (entry["won"] + entry["lost"]), 1)
         if entry["won"] + entry["lost"] else None}
        for key, entry in rows.items()
    ]  # fmt: skip
    return sorted(board, key=lambda e: (-e["won_value"], -e["won"], e["name"]))


def pipeline_value(*, salesperson: Any = None) -> dict[str, Any]:
    """What the open pipeline is worth, and weighted by how likely each stage closes."""
    open_ones = Opportunity.objects.filter(status__in=OPEN_STATUSES)
    if salesperson is not None:
        open_ones = open_ones.filter(salesperson_id=salesperson)
    by_status = {
        row["status"]: row
        for row in open_ones.values("status").annotate(
            count=Count("id"), value=Sum("estimated_value")
        )
    }
    stages = []
    for status in OPEN_STATUSES:
        row: dict[str, Any] = dict(by_status.get(status) or {})
        value = cents(row.get("value") or Decimal(0))
        stages.append({"status": status, "label": OpportunityStatus(status).label,
                       "count": row.get("count") or 0, "value": value,
                       "weight": STAGE_WEIGHTS[status],
                       "weighted": cents(value * STAGE_WEIGHTS[status] / 100)})  # fmt: skip
    return {"stages": stages, "value": sum((s["value"] for s in stages), Decimal(0)),
            "weighted": sum((s["weighted"] for s in stages), Decimal(0))}  # fmt: skip


def loss_analysis(*, start: dt.date, end: dt.date, salesperson: Any = None) -> list[dict[str, Any]]:
    """Moves lost in the period by reason: how many, the average price difference to the
    winner where it was noted, and the competitors named."""
    zone = _zone()
    since = dt.datetime.combine(start, dt.time(0), tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    labels = dict(CloseReason.objects.filter(kind="lost").values_list("key", "label"))
    lost = Opportunity.objects.filter(status=OpportunityStatus.LOST, closed_at__gte=since,
                                      closed_at__lt=until)  # fmt: skip
    if salesperson is not None:
        lost = lost.filter(salesperson_id=salesperson)
    rows = []
    for row in lost.values("close_reason").annotate(count=Count("id")).order_by("-count"):
        reason = row["close_reason"]
        same = lost.filter(close_reason=reason)
        differences: list[Decimal] = [
            d for d in same.values_list("price_difference", flat=True) if d is not None
        ]
        competitors = (same.exclude(competitor="").values("competitor")
                       .annotate(n=Count("id")).order_by("-n")[:5])  # fmt: skip
        rows.append({
            "reason": reason, "label": labels.get(reason, reason or "No reason"),
            "count": row["count"],
            "avg_price_difference": cents(sum(differences, Decimal(0)) / len(differences))
            if differences else None,
            "competitors": [c["competitor"] for c in competitors],
        })  # fmt: skip
    return rows


def period(raw_from: dt.date | None, raw_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """The company days asked for: by default the last 30 days up to today."""
    today = timezone.localdate(timezone=_zone())
    end = raw_to or today
    start = raw_from or end - dt.timedelta(days=29)
    return start, end
