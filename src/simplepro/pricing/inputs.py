"""What an estimate is priced from. Every field that can change a price is here, and all of
them are covered by the input hash."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Service = Literal["local", "long_distance", "storage", "packing_only"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Access(Strict):
    floor: int = Field(default=0, ge=-5, le=200)
    elevator: bool = False
    stairs_flights: int = Field(default=0, ge=0, le=50)
    long_carry_feet: int = Field(default=0, ge=0, le=5000)
    parking_distance_feet: int = Field(default=0, ge=0, le=5000)
    difficulty: Literal["easy", "moderate", "difficult", "extreme"] = "easy"
    narrow_hallways: bool = False


class SpecialItems(Strict):
    piano: bool = False
    antiques: bool = False
    artwork: bool = False
    safe: bool = False
    pool_table: bool = False
    fragile_count: int = Field(default=0, ge=0, le=10_000)


class AdditionalServices(Strict):
    packing: bool = False
    unpacking: bool = False
    assembly: bool = False
    storage_days: int = Field(default=0, ge=0, le=3650)
    cleaning: bool = False


class Adjustment(Strict):
    """A salesperson's manual change: a discount (percent or amount) or a price override."""

    kind: Literal["discount_percent", "discount_amount", "override"]
    value: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    reason: str = Field(min_length=3, max_length=500)


class Valuation(Strict):
    """Released value (the carrier's minimum liability per pound, no charge) or full value
    protection on a declared value, priced by the ruleset."""

    kind: Literal["released", "full_value"] = "released"
    declared_value: Decimal | None = Field(
        default=None, ge=0, le=10_000_000, max_digits=10, decimal_places=2
    )


EstimateType = Literal["binding", "non_binding", "not_to_exceed"]


class EstimateInput(Strict):
    service: Service
    move_date: dt.date
    distance_miles: Decimal = Field(
        default=Decimal(0), ge=0, le=10_000, max_digits=8, decimal_places=2
    )
    weight_lb: Decimal | None = Field(
        default=None, ge=0, le=200_000, max_digits=9, decimal_places=2
    )
    cubic_feet: Decimal = Field(default=Decimal(0), ge=0, le=30_000, max_digits=8, decimal_places=2)
    crew_size: int = Field(default=2, ge=1, le=12)
    estimated_hours: Decimal = Field(
        default=Decimal(0), ge=0, le=200, max_digits=6, decimal_places=2
    )
    pickup: Access = Access()
    delivery: Access = Access()
    special_items: SpecialItems = SpecialItems()
    services: AdditionalServices = AdditionalServices()
    trucks: int | None = Field(default=None, ge=1, le=10)
    is_weekend: bool | None = None
    is_holiday: bool | None = None
    season: Literal["off_peak", "standard", "peak"] | None = None
    specialty_crew: bool = False
    estimate_type: EstimateType = "non_binding"
    valuation: Valuation = Valuation()
    adjustment: Adjustment | None = None
