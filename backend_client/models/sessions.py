"""Charging sessions and their meter samples, as operators and drivers list them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from backend_client.models.common import Currency


class SessionStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"


class SessionPublic(BaseModel):
    """One session; costs are integer minor units of ``currency``."""

    id: int = Field(description="Also the OCPP transactionId.")
    operator_id: int
    station_id: int
    station_name: str
    charger_id: int
    ocpp_id: str
    connector_no: int
    driver_id: int | None
    id_tag: str
    status: SessionStatus
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: int
    last_power_w: float
    last_soc: int | None
    idle_seconds: int
    stop_reason: str | None
    currency: Currency
    energy_cost_minor: int
    time_cost_minor: int
    idle_cost_minor: int
    cost_minor: int


class MeterSamplePublic(BaseModel):
    sampled_at: datetime
    energy_wh: int | None
    power_w: float | None
    current_a: float | None
    voltage_v: float | None
    soc: int | None


class SessionDetail(SessionPublic):
    """A session with its meter samples (oldest first) and the tariff frozen at its start."""

    meter_start_wh: int
    meter_stop_wh: int | None
    tariff_snapshot: dict[str, Any]
    samples: list[MeterSamplePublic]
