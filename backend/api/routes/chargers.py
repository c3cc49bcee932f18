"""Chargers and connectors (operator staff). Creating a charger or resetting its password
answers the OCPP password once; it cannot be read back later."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from backend.api.auth_deps import CurrentStaff
from backend.api.deps import SessionDep
from backend.api.params import IdPath, IdQuery, LimitQuery, OffsetQuery
from backend.api.responses import errors
from backend.services import chargers
from backend_client.models import (
    ChargerCreate,
    ChargerCreated,
    ChargerCredentials,
    ChargerPublic,
    ChargerUpdate,
    ConnectorCreate,
    ConnectorUpdate,
    Page,
)

router = APIRouter(prefix="/chargers", tags=["chargers"])

ConnectorNo = Annotated[int, Path(ge=1, le=99)]


@router.get("", response_model=Page[ChargerPublic], responses=errors())
async def list_chargers(
    session: SessionDep,
    principal: CurrentStaff,
    station_id: IdQuery = None,
    online: bool | None = None,
    include_retired: bool = False,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[ChargerPublic]:
    return await chargers.list_chargers(
        session,
        principal=principal,
        station_id=station_id,
        online=online,
        include_retired=include_retired,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=ChargerCreated, status_code=201, responses=errors(409))
async def create_charger(
    body: ChargerCreate, session: SessionDep, principal: CurrentStaff
) -> ChargerCreated:
    """Register a charger; the answer holds its OCPP password (shown this once)."""
    return await chargers.create_charger(session, principal=principal, data=body)


@router.get("/{charger_id}", response_model=ChargerPublic, responses=errors(404))
async def get_charger(
    charger_id: IdPath, session: SessionDep, principal: CurrentStaff
) -> ChargerPublic:
    return await chargers.get_charger(session, principal=principal, charger_id=charger_id)


@router.patch("/{charger_id}", response_model=ChargerPublic, responses=errors(404, 409))
async def update_charger(
    charger_id: IdPath, body: ChargerUpdate, session: SessionDep, principal: CurrentStaff
) -> ChargerPublic:
    return await chargers.update_charger(
        session, principal=principal, charger_id=charger_id, data=body
    )


@router.post("/{charger_id}/retire", response_model=ChargerPublic, responses=errors(404))
async def retire_charger(
    charger_id: IdPath, session: SessionDep, principal: CurrentStaff
) -> ChargerPublic:
    return await chargers.retire_charger(session, principal=principal, charger_id=charger_id)


@router.post(
    "/{charger_id}/password", response_model=ChargerCredentials, responses=errors(404, 409)
)
async def reset_password(
    charger_id: IdPath, session: SessionDep, principal: CurrentStaff
) -> ChargerCredentials:
    """Replace the charger's OCPP password; the new one is shown this once."""
    return await chargers.reset_charger_password(
        session, principal=principal, charger_id=charger_id
    )


@router.post(
    "/{charger_id}/connectors",
    response_model=ChargerPublic,
    status_code=201,
    responses=errors(404, 409),
)
async def add_connector(
    charger_id: IdPath, body: ConnectorCreate, session: SessionDep, principal: CurrentStaff
) -> ChargerPublic:
    return await chargers.add_connector(
        session, principal=principal, charger_id=charger_id, data=body
    )


@router.patch(
    "/{charger_id}/connectors/{connector_no}", response_model=ChargerPublic, responses=errors(404)
)
async def update_connector(
    charger_id: IdPath,
    connector_no: ConnectorNo,
    body: ConnectorUpdate,
    session: SessionDep,
    principal: CurrentStaff,
) -> ChargerPublic:
    return await chargers.update_connector(
        session, principal=principal, charger_id=charger_id, connector_no=connector_no, data=body
    )


@router.post(
    "/{charger_id}/connectors/{connector_no}/retire",
    response_model=ChargerPublic,
    responses=errors(404),
)
async def retire_connector(
    charger_id: IdPath, connector_no: ConnectorNo, session: SessionDep, principal: CurrentStaff
) -> ChargerPublic:
    return await chargers.retire_connector(
        session, principal=principal, charger_id=charger_id, connector_no=connector_no
    )
