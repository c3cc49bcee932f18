"""Faults on chargers, open until cleared, acknowledged by staff with a note; and the
problem reports drivers send, which open a fault on the operator's feed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

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
    reported_by_driver_id: int | None = None
    """The driver who reported it (``source == "driver"``), so staff can follow up."""


class FaultAcknowledge(BaseModel):
    note: Annotated[str, Text] = Field(min_length=1, max_length=500)


class ProblemCategory(StrEnum):
    """What a driver can say is wrong; stored as the fault's ``error_code``."""

    NOT_CHARGING = "not_charging"
    DAMAGED = "damaged"
    BLOCKED_BAY = "blocked_bay"
    PAYMENT = "payment"
    OTHER = "other"


class ProblemReportCreate(BaseModel):
    """A driver's report of a problem with a charger (``connector_no`` omitted: the whole
    charger). ``note`` (up to 500 characters) is kept as the fault's ``info``."""

    connector_no: StrictInt | None = Field(default=None, ge=1, le=99)
    category: ProblemCategory
    note: Annotated[str, Text] = Field(min_length=1, max_length=500)


class ProblemReportPublic(BaseModel):
    """The report as recorded: ``fault_id`` is the fault opened on the operator's feed."""

    fault_id: int
    ocpp_id: str
    station_name: str
    connector_no: int | None
    category: ProblemCategory
    note: str
    reported_at: datetime
