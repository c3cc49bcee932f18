"""Operator maintenance commands on chargers: reset, unlock, availability, trigger, configuration
and smart-charging limits — staff of the charger's operator only (configuration changes:
admins), each written to the audit log in the transaction committed before the call.

The charger's answer comes back as :class:`CommandResult`; Rejected / NotSupported /
UnlockFailed answers raise ``ChargerRejected`` (409), and the router's errors pass through
(503 offline, 504 timeout).
"""

from __future__ import annotations

import json
from typing import Any

from ocpp.v16 import call
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChargingSession, SessionStatus
from backend.errors import Conflict
from backend.security import Principal
from backend.services import audit
from backend.services.ocpp_commands import (
    REFUSALS,
    CallSender,
    charger_for,
    connector_of,
    refused,
    require_staff,
)
from backend_client.models.remote import (
    ChargingLimitRequest,
    CommandResult,
    ConfigurationEntry,
    ConfigurationResult,
)


async def _staff_command(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    payload: Any,
    action: str,
    detail: dict[str, Any],
    timeout: float,
    admin: bool = False,
    connector_no: int | None = None,
) -> Any:
    require_staff(principal, admin=admin)
    charger, _station, _tz = await charger_for(session, principal, charger_id=charger_id)
    if connector_no:
        await connector_of(session, charger, connector_no)
    audit.record(
        session,
        principal=principal,
        action=action,
        target_type="charger",
        target_id=charger.id,
        detail=detail,
    )
    ocpp_id = charger.ocpp_id
    await session.commit()
    return ocpp_id, await router.call(ocpp_id, payload, timeout=timeout)


def _status(ocpp_id: str, action: str, answer: Any) -> CommandResult:
    status = str(answer.status)
    if status in REFUSALS:
        raise refused(ocpp_id, action, status)
    return CommandResult(status=status)


async def reset(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    kind: str,
    timeout: float,
) -> CommandResult:
    ocpp_id, answer = await _staff_command(
        session,
        router,
        principal=principal,
        charger_id=charger_id,
        payload=call.Reset(type=kind),
        action="charger.reset",
        detail={"type": kind},
        timeout=timeout,
    )
    return _status(ocpp_id, "Reset", answer)


async def unlock(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    connector_no: int,
    timeout: float,
) -> CommandResult:
    ocpp_id, answer = await _staff_command(
        session,
        router,
        principal=principal,
        charger_id=charger_id,
        payload=call.UnlockConnector(connector_id=connector_no),
        action="charger.unlock",
        detail={"connector_no": connector_no},
        timeout=timeout,
        connector_no=connector_no,
    )
    return _status(ocpp_id, "UnlockConnector", answer)


async def change_availability(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    connector_no: int,
    operative: bool,
    timeout: float,
) -> CommandResult:
    kind = "Operative" if operative else "Inoperative"
    ocpp_id, answer = await _staff_command(
        session,
        router,
        principal=principal,
        charger_id=charger_id,
        payload=call.ChangeAvailability(connector_id=connector_no, type=kind),
        action="charger.change_availability",
        detail={"connector_no": connector_no, "type": kind},
        timeout=timeout,
        connector_no=connector_no,
    )
    return _status(ocpp_id, "ChangeAvailability", answer)


async def trigger_message(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    message: str,
    connector_no: int | None,
    timeout: float,
) -> CommandResult:
    ocpp_id, answer = await _staff_command(
        session,
        router,
        principal=principal,
        charger_id=charger_id,
        payload=call.TriggerMessage(requested_message=message, connector_id=connector_no),
        action="charger.trigger_message",
        detail={"message": message, "connector_no": connector_no},
        timeout=timeout,
        connector_no=connector_no,
    )
    return _status(ocpp_id, "TriggerMessage", answer)


async def get_configuration(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    keys: list[str],
    timeout: float,
) -> ConfigurationResult:
    _ocpp_id, answer = await _staff_command(
        session,
        router,
        principal=principal,
        charger_id=charger_id,
        payload=call.GetConfiguration(key=keys or None),
        action="charger.get_configuration",
        detail={"keys": keys},
        timeout=timeout,
    )
    entries = [
        ConfigurationEntry(
            key=str(item.get("key")),
            value=None if item.get("value") is None else str(item.get("value")),
            readonly=bool(item.get("readonly", False)),
        )
        for item in answer.configuration_key or []
    ]
    return ConfigurationResult(
        keys=entries, unknown_keys=[str(k) for k in answer.unknown_key or []]
    )


async def change_configuration(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    key: str,
    value: str,
    timeout: float,
) -> CommandResult:
    ocpp_id, answer = await _staff_command(
        session,
        router,
        principal=principal,
        charger_id=charger_id,
        payload=call.ChangeConfiguration(key=key, value=value),
        action="charger.change_configuration",
        detail={"key": key, "value": value},
        timeout=timeout,
        admin=True,
    )
    return _status(ocpp_id, "ChangeConfiguration", answer)


def charging_profile(data: ChargingLimitRequest, transaction_id: int | None) -> dict[str, Any]:
    """A one-period OCPP 1.6 csChargingProfiles capping power at ``data.limit``."""
    period: dict[str, Any] = {"start_period": 0, "limit": round(data.limit, 1)}
    if data.number_phases is not None:
        period["number_phases"] = data.number_phases
    schedule: dict[str, Any] = {
        "charging_rate_unit": data.unit,
        "charging_schedule_period": [period],
    }
    if data.duration_s is not None:
        schedule["duration"] = data.duration_s
    profile: dict[str, Any] = {
        "charging_profile_id": data.profile_id,
        "stack_level": data.stack_level,
        "charging_profile_purpose": data.purpose,
        "charging_profile_kind": "Relative",
        "charging_schedule": schedule,
    }
    if transaction_id is not None:
        profile["transaction_id"] = transaction_id
    return profile


async def set_charging_limit(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    data: ChargingLimitRequest,
    timeout: float,
) -> CommandResult:
    """SetChargingProfile with a current or power limit (TxProfile: the running session's)."""
    require_staff(principal)
    transaction_id = None
    if data.purpose == "TxProfile":
        charger, _s, _tz = await charger_for(session, principal, charger_id=charger_id)
        transaction_id = await session.scalar(
            select(ChargingSession.id).where(
                ChargingSession.charger_id == charger.id,
                ChargingSession.connector_no == data.connector_no,
                ChargingSession.status == SessionStatus.ACTIVE,
            )
        )
        if transaction_id is None:
            raise Conflict("a TxProfile needs a running session on that connector")
    ocpp_id, answer = await _staff_command(
        session,
        router,
        principal=principal,
        charger_id=charger_id,
        payload=call.SetChargingProfile(
            connector_id=data.connector_no,
            cs_charging_profiles=charging_profile(data, transaction_id),
        ),
        action="charger.set_charging_profile",
        detail=json.loads(data.model_dump_json()),
        timeout=timeout,
        connector_no=data.connector_no,
    )
    return _status(ocpp_id, "SetChargingProfile", answer)


async def clear_charging_limit(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    charger_id: int,
    profile_id: int | None,
    connector_no: int | None,
    purpose: str | None,
    stack_level: int | None,
    timeout: float,
) -> CommandResult:
    ocpp_id, answer = await _staff_command(
        session,
        router,
        principal=principal,
        charger_id=charger_id,
        payload=call.ClearChargingProfile(
            id=profile_id,
            connector_id=connector_no,
            charging_profile_purpose=purpose,
            stack_level=stack_level,
        ),
        action="charger.clear_charging_profile",
        detail={"profile_id": profile_id, "connector_no": connector_no, "purpose": purpose},
        timeout=timeout,
    )
    return _status(ocpp_id, "ClearChargingProfile", answer)


__all__ = [
    "change_availability",
    "change_configuration",
    "charging_profile",
    "clear_charging_limit",
    "get_configuration",
    "reset",
    "set_charging_limit",
    "trigger_message",
    "unlock",
]
