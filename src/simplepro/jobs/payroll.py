"""Hours and pay per person for a period, with weekly overtime.

A week runs Monday to Sunday in the company's time zone. Within a week the first
`overtime_after_hours` worked (in clock-in order) are regular and the rest overtime at
`overtime_multiplier` × the hourly rate — counted over the whole week even when the period
starts or ends mid-week, so splitting a week into two periods never loses overtime. Each
entry belongs to the week and the period of its clock-in. Money is rounded to the cent once,
per person."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from simplepro.accounts.models import Company
from simplepro.jobs.models import CrewMember, TimeEntry

HOUR = Decimal(3600)
CENT = Decimal("0.01")


@dataclass
class PayLine:
    crew_member: CrewMember
    regular_hours: Decimal = Decimal(0)
    overtime_hours: Decimal = Decimal(0)
    entries: int = 0
    weeks: set[dt.date] = field(default_factory=set)

    @property
    def rate(self) -> Decimal:
        return self.crew_member.hourly_rate

    def pay(self, multiplier: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        regular = (self.regular_hours * self.rate).quantize(CENT, ROUND_HALF_UP)
        overtime = (self.overtime_hours * self.rate * multiplier).quantize(CENT, ROUND_HALF_UP)
        return regular, overtime, regular + overtime


def hours(entry: TimeEntry) -> Decimal:
    assert entry.clock_out is not None
    return Decimal((entry.clock_out - entry.clock_in).total_seconds()) / HOUR


def _week_of(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    day = moment.astimezone(zone).date()
    return day - dt.timedelta(days=day.weekday())


def payroll(company: Company, start: dt.date, end: dt.date) -> list[PayLine]:
    """Closed entries whose clock-in falls in [start, end) (company dates), per person."""
    zone = zoneinfo.ZoneInfo(company.time_zone)
    since = dt.datetime.combine(start - dt.timedelta(days=start.weekday()), dt.time(), zone)
    last_week_end = end + dt.timedelta(days=(7 - end.weekday()) % 7)
    until = dt.datetime.combine(last_week_end, dt.time(), zone)
    period = (
        dt.datetime.combine(start, dt.time(), zone),
        dt.datetime.combine(end, dt.time(), zone),
    )
    entries = (
        TimeEntry.objects.filter(clock_in__gte=since, clock_in__lt=until, clock_out__isnull=False)
        .select_related("crew_member")
        .order_by("crew_member__name", "clock_in")
    )
    limit = company.overtime_after_hours
    worked: dict[tuple[object, dt.date], Decimal] = defaultdict(Decimal)
    lines: dict[object, PayLine] = {}
    for entry in entries:
        week = _week_of(entry.clock_in, zone)
        key = (entry.crew_member_id, week)
        before, length = worked[key], hours(entry)
        worked[key] = before + length
        regular = max(Decimal(0), min(length, limit - before))
        if not period[0] <= entry.clock_in < period[1]:
            continue  # outside the period: it only counted towards the week's overtime
        line = lines.setdefault(entry.crew_member_id, PayLine(entry.crew_member))
        line.regular_hours += regular
        line.overtime_hours += length - regular
        line.entries += 1
        line.weeks.add(week)
    return list(lines.values())
