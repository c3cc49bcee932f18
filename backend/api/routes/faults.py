"""Faults (operator staff): open ones or all, and acknowledging with a note."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from backend.api.auth_deps import CurrentStaff
from backend.api.deps import ContextDep, SessionDep
from backend.api.params import IdPath, IdQuery, LimitQuery, OffsetQuery
from backend.api.responses import errors
from backend.services import faults
from backend_client.models import FaultAcknowledge, FaultPublic, Page

router = APIRouter(prefix="/faults", tags=["faults"])


@router.get("", response_model=Page[FaultPublic], responses=errors())
async def list_faults(
    session: SessionDep,
    principal: CurrentStaff,
    state: Literal["open", "all"] = "open",
    charger_id: IdQuery = None,
    station_id: IdQuery = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[FaultPublic]:
    return await faults.list_faults(
        session,
        principal=principal,
        open_only=state == "open",
        charger_id=charger_id,
        station_id=station_id,
        limit=limit,
        offset=offset,
    )


@router.get("/{fault_id}", response_model=FaultPublic, responses=errors(404))
async def get_fault(fault_id: IdPath, session: SessionDep, principal: CurrentStaff) -> FaultPublic:
    return await faults.get_fault(session, principal=principal, fault_id=fault_id)


@router.post("/{fault_id}/acknowledge", response_model=FaultPublic, responses=errors(404))
async def acknowledge_fault(
    fault_id: IdPath,
    body: FaultAcknowledge,
    session: SessionDep,
    ctx: ContextDep,
    principal: CurrentStaff,
) -> FaultPublic:
    """Say who is handling the fault and how; the team sees it live."""
    return await faults.acknowledge_fault(
        session, ctx, principal=principal, fault_id=fault_id, note=body.note
    )
