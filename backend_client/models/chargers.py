"""Chargers and their connectors: operator CRUD and the live status drivers see."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt, field_validator

from backend_client.models.common import ObjectId, RecordStatus, Text


class ConnectorType(StrEnum):
    """Plug standards (China's GB/T first, then the rest of the world)."""

    GBT_DC = "GBT_DC"
    GBT_AC = "GBT_AC"
    CCS2 = "CCS2"
    CCS1 = "CCS1"
    TYPE2 = "TYPE2"
    CHADEMO = "CHADEMO"
    TYPE1 = "TYPE1"


class ConnectorCreate(BaseModel):
    connector_no: StrictInt = Field(ge=1, le=99, description="The OCPP connectorId.")
    connector_type: ConnectorType
    max_kw: float = Field(gt=0, le=1000)


class ConnectorUpdate(BaseModel):
    connector_type: ConnectorType | None = None
    max_kw: float | None = Field(default=None, gt=0, le=1000)


class ConnectorStatus(BaseModel):
    """A connector with its live OCPP status (``Available``, ``Charging``, ``Faulted`` ...)."""

    connector_no: int
    connector_type: ConnectorType
    max_kw: float
    ocpp_status: str
    error_code: str
    status_updated_at: datetime | None
    available: bool = Field(description="Free to start a session on right now.")


class ConnectorPublic(ConnectorStatus):
    id: int
    status: RecordStatus


_OCPP_ID = r"^[A-Za-z0-9._\-:]{1,48}$"


class ChargerBase(BaseModel):
    vendor: Annotated[str, Text] = Field(default="", max_length=20)
    model: Annotated[str, Text] = Field(default="", max_length=20)
    serial_number: Annotated[str, Text] | None = Field(default=None, max_length=25)


class ChargerCreate(ChargerBase):
    station_id: ObjectId
    ocpp_id: str = Field(pattern=_OCPP_ID, description="The chargePointId in the OCPP URL.")
    connectors: list[ConnectorCreate] = Field(min_length=1, max_length=16)

    @field_validator("connectors")
    @classmethod
    def _unique_numbers(cls, value: list[ConnectorCreate]) -> list[ConnectorCreate]:
        numbers = [c.connector_no for c in value]
        if len(set(numbers)) != len(numbers):
            raise ValueError("connector numbers must be unique")
        return value


class ChargerUpdate(BaseModel):
    station_id: ObjectId | None = None
    vendor: Annotated[str, Text] | None = Field(default=None, max_length=20)
    model: Annotated[str, Text] | None = Field(default=None, max_length=20)
    serial_number: Annotated[str, Text] | None = Field(default=None, max_length=25)
    boot_policy: Annotated[str, Text] | None = Field(
        default=None,
        pattern="^(Accepted|Pending|Rejected)$",
        description="How the central system answers this charger's BootNotification.",
    )


class ChargerStatus(BaseModel):
    """A charger as drivers see it on a station page."""

    id: int
    ocpp_id: str
    vendor: str
    model: str
    is_online: bool
    connectors: list[ConnectorStatus]


class ChargerPublic(ChargerBase):
    """A charger as its operator manages it."""

    id: int
    operator_id: int
    station_id: int
    ocpp_id: str
    firmware_version: str | None
    boot_policy: str
    is_online: bool
    last_seen_at: datetime | None
    last_boot_at: datetime | None
    status: RecordStatus
    created_at: datetime
    connectors: list[ConnectorPublic]


class ChargerCredentials(BaseModel):
    """The charger's OCPP Basic-auth password. Shown once: only its hash is stored."""

    ocpp_id: str
    ocpp_password: str


class ChargerCreated(ChargerPublic):
    """A new charger plus its generated OCPP password (shown this once)."""

    ocpp_password: str
