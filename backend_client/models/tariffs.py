"""Tariffs: what charging costs, with time-of-use bands, and the price in force now."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt, ValidationInfo, field_validator

from backend_client.models.common import Currency, Price, RecordStatus, Text

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


def band_minutes(start: str, end: str) -> list[tuple[int, int]]:
    """The band as half-open minute ranges within one day; a band may wrap past midnight."""
    s = int(start[:2]) * 60 + int(start[3:])
    e = int(end[:2]) * 60 + int(end[3:])
    if s < e:
        return [(s, e)]
    return [(s, 24 * 60), (0, e)] if e > 0 else [(s, 24 * 60)]


class TimeOfUseBand(BaseModel):
    """Prices that apply between ``start`` and ``end`` (operator local time, HH:MM).

    ``end`` before ``start`` wraps past midnight (``22:00``–``06:00``).
    """

    start: str = Field(pattern=HHMM, examples=["08:00"])
    end: str = Field(pattern=HHMM, examples=["12:00"])
    label: Annotated[str, Text] = Field(default="", max_length=40, examples=["peak"])
    energy_price: Price
    time_price: Price = Decimal("0")

    @field_validator("end")
    @classmethod
    def _not_empty(cls, end: str, info: ValidationInfo) -> str:
        if info.data.get("start") == end:
            raise ValueError("a band must not start and end at the same time")
        return end


def _check_bands(bands: list[TimeOfUseBand]) -> list[TimeOfUseBand]:
    taken: list[tuple[int, int, int]] = []
    for index, band in enumerate(bands):
        for lo, hi in band_minutes(band.start, band.end):
            for other, olo, ohi in taken:
                if lo < ohi and olo < hi:
                    raise ValueError(f"band {index} overlaps band {other}")
        taken.extend((index, lo, hi) for lo, hi in band_minutes(band.start, band.end))
    return bands


class TariffBase(BaseModel):
    name: Annotated[str, Text] = Field(min_length=1, max_length=120)
    currency: Currency
    energy_price: Price = Field(description="Per kWh outside any band.")
    time_price: Price = Field(default=Decimal("0"), description="Per minute of charging.")
    idle_fee_per_minute: Price = Decimal("0")
    idle_grace_minutes: int = Field(default=10, ge=0, le=24 * 60)
    tax_rate_percent: Decimal = Field(default=Decimal("0"), ge=0, le=100, decimal_places=2)
    bands: list[TimeOfUseBand] = Field(default_factory=list, max_length=24)

    @field_validator("bands")
    @classmethod
    def _no_overlap(cls, bands: list[TimeOfUseBand]) -> list[TimeOfUseBand]:
        return _check_bands(bands)


class TariffCreate(TariffBase):
    pass


class TariffUpdate(BaseModel):
    """Fields to change; omitted fields stay. Sessions already running keep their old price."""

    name: Annotated[str, Text] | None = Field(default=None, min_length=1, max_length=120)
    currency: Currency | None = None
    energy_price: Price | None = None
    time_price: Price | None = None
    idle_fee_per_minute: Price | None = None
    idle_grace_minutes: StrictInt | None = Field(default=None, ge=0, le=24 * 60)
    tax_rate_percent: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    bands: list[TimeOfUseBand] | None = Field(default=None, max_length=24)

    @field_validator("bands")
    @classmethod
    def _no_overlap(cls, bands: list[TimeOfUseBand] | None) -> list[TimeOfUseBand] | None:
        return None if bands is None else _check_bands(bands)


class TariffPublic(TariffBase):
    id: int
    operator_id: int
    status: RecordStatus
    created_at: datetime


class PriceNow(BaseModel):
    """The prices a session started now would be charged."""

    tariff_id: int
    currency: Currency
    band_label: str | None = Field(description="The time-of-use band in force, if any.")
    energy_price: Price
    time_price: Price
    idle_fee_per_minute: Price
    idle_grace_minutes: int
