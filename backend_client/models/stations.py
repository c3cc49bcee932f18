"""Stations: the driver's map search and detail, and the operator's station records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from backend_client.models.chargers import ChargerStatus, ConnectorType
from backend_client.models.common import ObjectId, RecordStatus, Text
from backend_client.models.tariffs import PriceNow, TariffPublic


class StationBase(BaseModel):
    name: Annotated[str, Text] = Field(min_length=1, max_length=120)
    address: Annotated[str, Text] = Field(min_length=1, max_length=255)
    city: Annotated[str, Text] = Field(default="", max_length=80)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    opening_hours: Annotated[str, Text] = Field(default="24/7", min_length=1, max_length=120)
    photos: list[Annotated[str, Text, Field(max_length=500)]] = Field(
        default_factory=list, max_length=20
    )


class StationCreate(StationBase):
    tariff_id: ObjectId | None = None


class StationUpdate(BaseModel):
    """Fields to change; omitted fields stay as they are. ``tariff_id: null`` unsets it."""

    name: Annotated[str, Text] | None = Field(default=None, min_length=1, max_length=120)
    address: Annotated[str, Text] | None = Field(default=None, min_length=1, max_length=255)
    city: Annotated[str, Text] | None = Field(default=None, max_length=80)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    opening_hours: Annotated[str, Text] | None = Field(default=None, min_length=1, max_length=120)
    photos: list[Annotated[str, Text, Field(max_length=500)]] | None = Field(
        default=None, max_length=20
    )
    tariff_id: ObjectId | None = None


class StationPublic(StationBase):
    id: int
    operator_id: int
    tariff_id: int | None
    status: RecordStatus
    created_at: datetime


class StationSummary(BaseModel):
    """One hit of the map search, nearest first."""

    id: int
    name: str
    address: str
    city: str
    latitude: float
    longitude: float
    distance_km: float
    operator_id: int
    operator_name: str
    opening_hours: str
    connector_types: list[ConnectorType]
    max_kw: float
    connectors_total: int
    connectors_available: int


class StationDetail(StationPublic):
    """A station with the live status of every connector and the price in force now."""

    operator_name: str
    chargers: list[ChargerStatus]
    tariff: TariffPublic | None
    price_now: PriceNow | None
