"""Charging sessions as people read them: operators see their network's, drivers their own.

Sessions are written by the OCPP charging service; this module only reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Charger, ChargingSession, MeterSample, Station
from backend.errors import NotFound
from backend.security import Principal
from backend_client.models import MeterSamplePublic, Page, SessionDetail, SessionPublic
from backend_client.models.sessions import SessionStatus


def _scope(principal: Principal) -> ColumnElement[bool]:
    """The sessions ``principal`` may read."""
    if principal.kind == "driver":
        return ChargingSession.driver_id == principal.id
    assert principal.operator_id is not None
    return ChargingSession.operator_id == principal.operator_id


def session_public(row: ChargingSession, station_name: str, ocpp_id: str) -> SessionPublic:
    return SessionPublic(
        id=row.id,
        operator_id=row.operator_id,
        station_id=row.station_id,
        station_name=station_name,
        charger_id=row.charger_id,
        ocpp_id=ocpp_id,
        connector_no=row.connector_no,
        driver_id=row.driver_id,
        id_tag=row.id_tag,
        status=SessionStatus(row.status),
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        energy_wh=row.energy_wh,
        last_power_w=row.last_power_w,
        last_soc=row.last_soc,
        idle_seconds=row.idle_seconds,
        stop_reason=row.stop_reason,
        currency=row.currency,
        energy_cost_minor=row.energy_cost_minor,
        time_cost_minor=row.time_cost_minor,
        idle_cost_minor=row.idle_cost_minor,
        cost_minor=row.cost_minor,
    )


async def list_sessions(
    session: AsyncSession,
    *,
    principal: Principal,
    station_id: int | None = None,
    charger_id: int | None = None,
    status: SessionStatus | None = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[SessionPublic]:
    """Sessions newest first; ``started_from`` inclusive, ``started_to`` exclusive."""
    where = [_scope(principal)]
    if station_id is not None:
        where.append(ChargingSession.station_id == station_id)
    if charger_id is not None:
        where.append(ChargingSession.charger_id == charger_id)
    if status is not None:
        where.append(ChargingSession.status == status.value)
    if started_from is not None:
        where.append(ChargingSession.started_at >= started_from)
    if started_to is not None:
        where.append(ChargingSession.started_at < started_to)
    total = await session.scalar(select(func.count()).select_from(ChargingSession).where(*where))
    rows = await session.execute(
        select(ChargingSession, Station.name, Charger.ocpp_id)
        .join(Station, Station.id == ChargingSession.station_id)
        .join(Charger, Charger.id == ChargingSession.charger_id)
        .where(*where)
        .order_by(ChargingSession.started_at.desc(), ChargingSession.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return Page[SessionPublic](
        items=[session_public(s, name, ocpp) for s, name, ocpp in rows],
        total=total or 0,
        limit=limit,
        offset=offset,
    )


async def get_session(
    session: AsyncSession, *, principal: Principal, session_id: int
) -> SessionDetail:
    """One session with its meter samples, oldest first."""
    row = (
        await session.execute(
            select(ChargingSession, Station.name, Charger.ocpp_id)
            .join(Station, Station.id == ChargingSession.station_id)
            .join(Charger, Charger.id == ChargingSession.charger_id)
            .where(ChargingSession.id == session_id, _scope(principal))
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No session with id {session_id}.")
    charging, station_name, ocpp_id = row
    samples = await session.scalars(
        select(MeterSample)
        .where(MeterSample.session_id == charging.id)
        .order_by(MeterSample.sampled_at)
    )
    return SessionDetail(
        **session_public(charging, station_name, ocpp_id).model_dump(),
        meter_start_wh=charging.meter_start_wh,
        meter_stop_wh=charging.meter_stop_wh,
        tariff_snapshot=charging.tariff_snapshot,
        samples=[
            MeterSamplePublic(
                sampled_at=s.sampled_at,
                energy_wh=s.energy_wh,
                power_w=s.power_w,
                current_a=s.current_a,
                voltage_v=s.voltage_v,
                soc=s.soc,
            )
            for s in samples
        ],
    )
