"""Remote actions on chargers through the OCPP central system (``/api/v1/remote``).

Drivers: start on any charger, stop their own sessions. Operator staff: everything on their
own chargers (changing configuration: admins). Answers carry the charger's real status; a
charger that is offline, silent or refusing answers 503 / 504 / 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from backend.api.auth_deps import CurrentPrincipal, CurrentStaff
from backend.api.deps import ContextDep, SessionDep
from backend.api.params import IdPath
from backend.api.responses import errors
from backend.ocpp.gateway import gateway_of
from backend.services import ocpp_commands, ocpp_operations
from backend_client.models.remote import (
    AvailabilityRequest,
    ChargingLimitRequest,
    CommandResult,
    ConfigurationChange,
    ConfigurationResult,
    RemoteStartRequest,
    RemoteStartResult,
    RemoteStopRequest,
    ResetRequest,
    TriggerRequest,
    UnlockRequest,
)

router = APIRouter(prefix="/remote", tags=["remote"])

CHARGER_ERRORS = errors(404, 409, 503, 504)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


@router.post("/start", response_model=RemoteStartResult, responses=CHARGER_ERRORS)
async def remote_start(
    body: RemoteStartRequest,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> RemoteStartResult:
    """RemoteStartTransaction. The session is ``pending`` until the charger's
    StartTransaction; follow it on the event stream (``session.started``)."""
    gateway = gateway_of(ctx)
    return await ocpp_commands.remote_start(
        session,
        gateway.writer,
        ctx.events,
        gateway.router,
        principal=principal,
        data=body,
        idempotency_key=idempotency_key,
        timeout=ctx.settings.ocpp_call_timeout,
        now=ctx.clock(),
    )


@router.post("/stop", response_model=CommandResult, responses=CHARGER_ERRORS)
async def remote_stop(
    body: RemoteStopRequest, ctx: ContextDep, session: SessionDep, principal: CurrentPrincipal
) -> CommandResult:
    """RemoteStopTransaction for a running session (``session.stopped`` follows)."""
    return await ocpp_commands.remote_stop(
        session,
        gateway_of(ctx).router,
        principal=principal,
        session_id=body.session_id,
        timeout=ctx.settings.ocpp_call_timeout,
    )


@router.post("/chargers/{charger_id}/reset", response_model=CommandResult, responses=CHARGER_ERRORS)
async def reset(
    charger_id: IdPath,
    body: ResetRequest,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentStaff,
) -> CommandResult:
    return await ocpp_operations.reset(
        session,
        gateway_of(ctx).router,
        principal=principal,
        charger_id=charger_id,
        kind=body.type,
        timeout=ctx.settings.ocpp_call_timeout,
    )


@router.post(
    "/chargers/{charger_id}/unlock", response_model=CommandResult, responses=CHARGER_ERRORS
)
async def unlock(
    charger_id: IdPath,
    body: UnlockRequest,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentStaff,
) -> CommandResult:
    return await ocpp_operations.unlock(
        session,
        gateway_of(ctx).router,
        principal=principal,
        charger_id=charger_id,
        connector_no=body.connector_no,
        timeout=ctx.settings.ocpp_call_timeout,
    )


@router.post(
    "/chargers/{charger_id}/availability", response_model=CommandResult, responses=CHARGER_ERRORS
)
async def change_availability(
    charger_id: IdPath,
    body: AvailabilityRequest,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentStaff,
) -> CommandResult:
    """ChangeAvailability; ``Scheduled`` means it applies when the running session ends."""
    return await ocpp_operations.change_availability(
        session,
        gateway_of(ctx).router,
        principal=principal,
        charger_id=charger_id,
        connector_no=body.connector_no,
        operative=body.operative,
        timeout=ctx.settings.ocpp_call_timeout,
    )


@router.post(
    "/chargers/{charger_id}/trigger", response_model=CommandResult, responses=CHARGER_ERRORS
)
async def trigger_message(
    charger_id: IdPath,
    body: TriggerRequest,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentStaff,
) -> CommandResult:
    return await ocpp_operations.trigger_message(
        session,
        gateway_of(ctx).router,
        principal=principal,
        charger_id=charger_id,
        message=body.message,
        connector_no=body.connector_no,
        timeout=ctx.settings.ocpp_call_timeout,
    )


@router.get(
    "/chargers/{charger_id}/configuration",
    response_model=ConfigurationResult,
    responses=CHARGER_ERRORS,
)
async def get_configuration(
    charger_id: IdPath,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentStaff,
    key: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006 - FastAPI copies it
) -> ConfigurationResult:
    """GetConfiguration: all keys, or only those named by ``key`` (repeatable)."""
    return await ocpp_operations.get_configuration(
        session,
        gateway_of(ctx).router,
        principal=principal,
        charger_id=charger_id,
        keys=key,
        timeout=ctx.settings.ocpp_call_timeout,
    )


@router.put(
    "/chargers/{charger_id}/configuration",
    response_model=CommandResult,
    responses=CHARGER_ERRORS,
)
async def change_configuration(
    charger_id: IdPath,
    body: ConfigurationChange,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentStaff,
) -> CommandResult:
    """ChangeConfiguration (admins): ``RebootRequired`` means it applies after a reset."""
    return await ocpp_operations.change_configuration(
        session,
        gateway_of(ctx).router,
        principal=principal,
        charger_id=charger_id,
        key=body.key,
        value=body.value,
        timeout=ctx.settings.ocpp_call_timeout,
    )


@router.put(
    "/chargers/{charger_id}/charging-profile",
    response_model=CommandResult,
    responses=CHARGER_ERRORS,
)
async def set_charging_limit(
    charger_id: IdPath,
    body: ChargingLimitRequest,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentStaff,
) -> CommandResult:
    """SetChargingProfile with a current (A) or power (W) limit."""
    return await ocpp_operations.set_charging_limit(
        session,
        gateway_of(ctx).router,
        principal=principal,
        charger_id=charger_id,
        data=body,
        timeout=ctx.settings.ocpp_call_timeout,
    )


@router.delete(
    "/chargers/{charger_id}/charging-profile",
    response_model=CommandResult,
    responses=CHARGER_ERRORS,
)
async def clear_charging_limit(
    charger_id: IdPath,
    ctx: ContextDep,
    session: SessionDep,
    principal: CurrentStaff,
    profile_id: Annotated[int | None, Query(ge=1)] = None,
    connector_no: Annotated[int | None, Query(ge=0, le=99)] = None,
    purpose: Annotated[
        str | None, Query(pattern="^(ChargePointMaxProfile|TxDefaultProfile|TxProfile)$")
    ] = None,
    stack_level: Annotated[int | None, Query(ge=0, le=100)] = None,
) -> CommandResult:
    """ClearChargingProfile; ``Unknown`` means no profile matched."""
    return await ocpp_operations.clear_charging_limit(
        session,
        gateway_of(ctx).router,
        principal=principal,
        charger_id=charger_id,
        profile_id=profile_id,
        connector_no=connector_no,
        purpose=purpose,
        stack_level=stack_level,
        timeout=ctx.settings.ocpp_call_timeout,
    )
