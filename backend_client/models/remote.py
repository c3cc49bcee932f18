"""Remote actions on chargers (``/api/v1/remote``): what the central system sends to a charger
on behalf of a driver or operator staff, and the charger's real answer.

Errors: 503 ``charger_offline`` (not connected), 504 ``charger_timeout`` (no answer in time),
409 ``charger_rejected`` (the charger refused: Rejected, NotSupported, UnlockFailed ...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from backend_client.models.sessions import SessionPublic

TriggerableMessage = Literal[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]


class RemoteStartRequest(BaseModel):
    """Start charging on a connector. Name the charger by ``charger_id`` or by its OCPP
    identity ``ocpp_id`` (what the QR label on the charger holds)."""

    model_config = ConfigDict(extra="forbid")
    charger_id: StrictInt | None = None
    ocpp_id: str | None = Field(default=None, min_length=1, max_length=48)
    connector_no: StrictInt = Field(ge=1, le=99)
    id_tag: str | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Staff only: the RFID card to start with. Drivers start with their own.",
    )

    @model_validator(mode="after")
    def _one_charger(self) -> RemoteStartRequest:
        if (self.charger_id is None) == (self.ocpp_id is None):
            raise ValueError("give exactly one of charger_id and ocpp_id")
        return self


class RemoteStartResult(BaseModel):
    """The charger accepted; ``session`` is ``pending`` until its StartTransaction arrives."""

    status: str
    session: SessionPublic


class RemoteStopRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: StrictInt = Field(ge=1, le=2_147_483_647)


class CommandResult(BaseModel):
    """The charger's answer (``Accepted``, ``Scheduled``, ``Unlocked``, ``Unknown`` ...)."""

    status: str


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["Soft", "Hard"] = "Soft"


class UnlockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector_no: StrictInt = Field(ge=1, le=99)


class AvailabilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector_no: StrictInt = Field(default=0, ge=0, le=99, description="0: the whole charger.")
    operative: bool


class TriggerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: TriggerableMessage
    connector_no: StrictInt | None = Field(default=None, ge=0, le=99)


class ConfigurationEntry(BaseModel):
    key: str
    value: str | None
    readonly: bool


class ConfigurationResult(BaseModel):
    keys: list[ConfigurationEntry]
    unknown_keys: list[str]


class ConfigurationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=50)
    value: str = Field(max_length=500)


class ChargingLimitRequest(BaseModel):
    """Cap a connector (or with ``connector_no`` 0 the whole charger) at ``limit``."""

    model_config = ConfigDict(extra="forbid")
    connector_no: StrictInt = Field(default=0, ge=0, le=99)
    limit: float = Field(ge=0, le=1_000_000)
    unit: Literal["A", "W"] = "A"
    purpose: Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"] = "TxDefaultProfile"
    profile_id: StrictInt = Field(default=1, ge=1)
    stack_level: StrictInt = Field(default=0, ge=0, le=100)
    number_phases: StrictInt | None = Field(default=None, ge=1, le=3)
    duration_s: StrictInt | None = Field(default=None, gt=0)


__all__ = [
    "AvailabilityRequest",
    "ChargingLimitRequest",
    "CommandResult",
    "ConfigurationChange",
    "ConfigurationEntry",
    "ConfigurationResult",
    "RemoteStartRequest",
    "RemoteStartResult",
    "RemoteStopRequest",
    "ResetRequest",
    "TriggerRequest",
    "TriggerableMessage",
    "UnlockRequest",
]
