"""The sales figures over the API: the funnel, the leaderboard, the weighted pipeline and
why moves were lost. A salesperson gets their own figures (and the team's leaderboard);
managers and administrators everyone's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from simplepro.accounts.models import User
from simplepro.accounts.permissions import OWN_OPPORTUNITIES_ONLY
from simplepro.accounts.schemas import Out
from simplepro.core.api import PROBLEM, require
from simplepro.core.problems import invalid
from simplepro.sales import funnel

router = Router(tags=["sales"])
MAX_PERIOD_DAYS = 3 * 366


class PeriodQuery(Schema):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None


class FunnelQuery(PeriodQuery):
    group_by: Literal["source", "salesperson", "move_size"] | None = None


class StageOut(Out):
    stage: str
    label: str
    count: int
    value: Decimal
    rate: float | None = Field(description="% of the previous stage")
    avg_days: float | None = Field(description="average days since the previous stage")


class GroupOut(Out):
    key: str
    label: str
    stages: list[StageOut]
    won: int
    lost: int


class FunnelOut(Out):
    from_: dt.date = Field(alias="from")
    to: dt.date
    group_by: str | None
    stages: list[StageOut]
    overall_rate: float | None = Field(description="% of leads that became booked jobs")
    won: int
    lost: int
    groups: list[GroupOut]


class LeaderOut(Out):
    salesperson_id: UUID
    name: str
    won: int
    won_value: Decimal
    lost: int
    quotes_sent: int
    win_rate: float | None


class ValueStageOut(Out):
    status: str
    label: str
    count: int
    value: Decimal
    weight: int
    weighted: Decimal


class PipelineValueOut(Out):
    stages: list[ValueStageOut]
    value: Decimal
    weighted: Decimal


class LossOut(Out):
    reason: str
    label: str
    count: int
    avg_price_difference: Decimal | None
    competitors: list[str]


def _scope(user: User) -> Any:
    """Whose figures: a salesperson's own, else everyone's."""
    return user.pk if user.role in OWN_OPPORTUNITIES_ONLY else None


def _period(query: PeriodQuery) -> tuple[dt.date, dt.date]:
    start, end = funnel.period(query.from_, query.to)
    if start > end:
        raise invalid("from", "after_to", "The period starts after it ends.")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise invalid("from", "too_long", "A period is at most three years.")
    return start, end


@router.get("/funnel", response={200: FunnelOut, **PROBLEM}, by_alias=True)
def funnel_get(request: HttpRequest, query: Query[FunnelQuery]) -> dict[str, Any]:
    user = require(request, "opportunities.view")
    start, end = _period(query)
    return funnel.funnel(start=start, end=end, group_by=query.group_by, salesperson=_scope(user))


@router.get("/leaderboard", response={200: list[LeaderOut], **PROBLEM})
def leaderboard_get(request: HttpRequest, query: Query[PeriodQuery]) -> list[dict[str, Any]]:
    require(request, "opportunities.view")
    start, end = _period(query)
    return funnel.leaderboard(start=start, end=end)


@router.get("/value", response={200: PipelineValueOut, **PROBLEM})
def value_get(request: HttpRequest) -> dict[str, Any]:
    user = require(request, "opportunities.view")
    return funnel.pipeline_value(salesperson=_scope(user))


@router.get("/losses", response={200: list[LossOut], **PROBLEM})
def losses_get(request: HttpRequest, query: Query[PeriodQuery]) -> list[dict[str, Any]]:
    user = require(request, "opportunities.view")
    start, end = _period(query)
    return funnel.loss_analysis(start=start, end=end, salesperson=_scope(user))
