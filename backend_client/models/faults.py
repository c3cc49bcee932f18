"""Faults on chargers, open until cleared, acknowledged by staff with a note."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from backend_client.models.common import Text


class FaultSource(StrEnum):
    CHARGER = "charger"
    WATCHDOG = "watchdog"
    DRIVER = "driver"


class FaultPublic(BaseModel):
    id: int
    operator_id: int
    charger_id: int
    ocpp_id: str
    station_id: int
    station_name: str
    connector_no: int
    source: FaultSource
    error_code: str
    vendor_error_code: str | None
    info: str | None
    opened_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: int | None
    note: str | None


class FaultAcknowledge(BaseModel):
    note: Annotated[str, Text] = Field(min_length=1, max_length=500)
