"""Faults for operator staff: the open ones to act on, history, and acknowledging with a note.

Faults are opened and cleared by the OCPP side (charger status, watchdog) and by drivers'
problem reports; acknowledging tells the team someone is on it and is pushed live.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import Charger, Fault, Station
from backend.errors import NotFound
from backend.security import Principal
from backend.services import audit
from backend.services.events import Audience
from backend.services.scope import operator_of
from backend_client.models import FaultPublic, Page
from backend_client.models.faults import FaultSource


def fault_public(fault: Fault, ocpp_id: str, station_id: int, station_name: str) -> FaultPublic:
    return FaultPublic(
        id=fault.id,
        operator_id=fault.operator_id,
        charger_id=fault.charger_id,
        ocpp_id=ocpp_id,
        station_id=station_id,
        station_name=station_name,
        connector_no=fault.connector_no,
        source=FaultSource(fault.source),
        error_code=fault.error_code,
        vendor_error_code=fault.vendor_error_code,
        info=fault.info,
        opened_at=fault.opened_at,
        cleared_at=fault.cleared_at,
        acknowledged_at=fault.acknowledged_at,
        acknowledged_by=fault.acknowledged_by,
        note=fault.note,
    )


def _query() -> Select[Fault, str, int, str]:
    return (
        select(Fault, Charger.ocpp_id, Station.id, Station.name)
        .join(Charger, Charger.id == Fault.charger_id)
        .join(Station, Station.id == Charger.station_id)
    )


async def list_faults(
    session: AsyncSession,
    *,
    principal: Principal,
    open_only: bool = True,
    charger_id: int | None = None,
    station_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[FaultPublic]:
    """The operator's faults, newest first; by default only those not yet cleared."""
    where = [Fault.operator_id == operator_of(principal)]
    if open_only:
        where.append(Fault.cleared_at.is_(None))
    if charger_id is not None:
        where.append(Fault.charger_id == charger_id)
    if station_id is not None:
        where.append(Charger.station_id == station_id)
    total = await session.scalar(
        select(func.count())
        .select_from(Fault)
        .join(Charger, Charger.id == Fault.charger_id)
        .where(*where)
    )
    rows = await session.execute(
        _query()
        .where(*where)
        .order_by(Fault.opened_at.desc(), Fault.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return Page[FaultPublic](
        items=[fault_public(f, o, sid, name) for f, o, sid, name in rows],
        total=total or 0,
        limit=limit,
        offset=offset,
    )


async def get_fault(session: AsyncSession, *, principal: Principal, fault_id: int) -> FaultPublic:
    row = (
        await session.execute(
            _query().where(Fault.id == fault_id, Fault.operator_id == operator_of(principal))
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No fault with id {fault_id}.")
    fault, ocpp_id, station_id, station_name = row
    return fault_public(fault, ocpp_id, station_id, station_name)


async def acknowledge_fault(
    session: AsyncSession,
    ctx: AppContext,
    *,
    principal: Principal,
    fault_id: int,
    note: str,
) -> FaultPublic:
    """Record who is handling the fault and how; the team sees it live."""
    current = await get_fault(session, principal=principal, fault_id=fault_id)
    fault = await session.get(Fault, current.id)
    assert fault is not None
    fault.acknowledged_at = ctx.clock()
    fault.acknowledged_by = principal.id
    fault.note = note
    audit.record(
        session,
        principal=principal,
        action="fault.acknowledged",
        target_type="fault",
        target_id=fault.id,
        detail={"note": note},
    )
    await session.commit()
    public = current.model_copy(
        update={
            "acknowledged_at": fault.acknowledged_at,
            "acknowledged_by": principal.id,
            "note": note,
        }
    )
    ctx.events.publish(
        "fault.acknowledged",
        public.model_dump(mode="json"),
        Audience.operator(operator_of(principal)),
    )
    return public
