"""Suggested crew for a job: every active person ranked by a transparent score out of 100,
the original's scheme (skills 30, availability 20, proximity 20, rating 15, workload 10,
preference 5) with its gaps closed — it returned nobody, so its auto-assign always failed.

Proximity is the straight-line (haversine) distance from the person's home base to the pickup
when both have coordinates; otherwise a neutral 10 of 20, marked unknown (no geocoding here).
Four queries in all, whatever the number of people."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from simplepro.accounts.services import company_get
from simplepro.jobs.models import Assignment, CrewMember, Job, TimeOff, TimeOffStatus

EARTH_RADIUS_MILES = 3959
WEEK = dt.timedelta(days=7)


@dataclass
class Suggestion:
    crew_member: CrewMember
    parts: dict[str, float]
    available: bool
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(min(100.0, max(0.0, sum(self.parts.values()))), 1)


def _coordinates(address: dict[str, Any]) -> tuple[float, float] | None:
    try:
        return float(address["latitude"]), float(address["longitude"])
    except (KeyError, TypeError, ValueError):
        return None


def miles_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def _proximity(person: CrewMember, job: Job) -> tuple[float, str | None]:
    home, pickup = _coordinates(person.home_base or {}), _coordinates(job.pickup_address or {})
    if home is None or pickup is None:
        return 10.0, "proximity unknown (no coordinates)"
    miles = miles_between(home, pickup)
    points = 20.0 if miles < 10 else 15.0 if miles < 25 else 10.0 if miles < 50 else 5.0
    return points, f"{miles:.1f} mi from home base"


def within_working_hours(person: CrewMember, job: Job, zone: zoneinfo.ZoneInfo) -> bool:
    """True when the person has no working hours set, or the job's block fits that day's."""
    hours = list(person.working_hours.all())
    if not hours:
        return True
    start, end = job.scheduled_start.astimezone(zone), job.scheduled_end.astimezone(zone)
    if start.date() != end.date():
        return False  # a multi-day job needs someone without fixed hours, or a manual choice
    return any(
        h.weekday == start.weekday() and h.start <= start.time() and end.time() <= h.end
        for h in hours
    )


def suggest_crew(job: Job) -> list[Suggestion]:
    people = list(CrewMember.objects.filter(active=True).prefetch_related("working_hours"))
    zone = zoneinfo.ZoneInfo(company_get().time_zone)
    busy = set(
        Assignment.objects.filter(
            blocks=True, crew_member__isnull=False,
            start__lt=job.scheduled_end, end__gt=job.scheduled_start,
        ).exclude(job=job).values_list("crew_member_id", flat=True)
    )  # fmt: skip
    away = set(
        TimeOff.objects.filter(
            status=TimeOffStatus.APPROVED, start__lt=job.scheduled_end, end__gt=job.scheduled_start
        ).values_list("crew_member_id", flat=True)
    )
    week_start = job.scheduled_start - dt.timedelta(days=job.scheduled_start.weekday())
    week_start = week_start.replace(hour=0, minute=0, second=0, microsecond=0)
    load: Counter[Any] = Counter(
        {
            row["crew_member_id"]: row["jobs"]
            for row in Assignment.objects.filter(
                blocks=True, crew_member__isnull=False,
                start__lt=week_start + WEEK, end__gt=week_start,
            ).exclude(job=job).values("crew_member_id").annotate(jobs=Count("job", distinct=True))
        }
    )  # fmt: skip
    required = set(job.required_skills or [])
    preferred = {str(p) for p in job.preferred_crew or []}
    suggestions = []
    for person in people:
        skills = set(person.skills or [])
        matched = len(required & skills)
        on_hours = within_working_hours(person, job, zone)
        free = person.pk not in busy and person.pk not in away and on_hours
        weekly = load[person.pk]
        proximity, where = _proximity(person, job)
        parts = {
            "skills": 30.0 * matched / len(required) if required else 30.0,
            "availability": 20.0 if free else 0.0,
            "proximity": proximity,
            "rating": round(float(person.rating) / 5 * 15, 1),
            "workload": 10.0 if weekly < 3 else 5.0 if weekly < 5 else 0.0,
            "preference": 5.0 if str(person.pk) in preferred else 0.0,
        }
        notes = [where] if where else []
        if not on_hours:
            notes.append("outside their working hours")
        elif not free:
            notes.append("booked or on time off during this job")
        suggestions.append(Suggestion(person, parts, free, notes))
    suggestions.sort(key=lambda s: (not s.available, -s.score, s.crew_member.name))
    return suggestions
