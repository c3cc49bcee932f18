"""Stations: the drivers' map search and station page, and the operator's station records.

Search must stay fast at 10,000 stations: a bounding box around the point uses the
``(latitude, longitude)`` index to cut candidates to the neighbourhood, exact great-circle
distances are computed only for those, and full rows are loaded only for the page returned.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Charger, Connector, Operator, RecordStatus, Station, Tariff
from backend.errors import Invalid, NotFound
from backend.security import Principal
from backend.services import audit
from backend.services.scope import operator_of, owned
from backend.services.tariffs import price_now, tariff_public, usable_tariff
from backend_client.models import (
    ChargerStatus,
    ConnectorStatus,
    ConnectorType,
    Page,
    StationCreate,
    StationDetail,
    StationPublic,
    StationSummary,
    StationUpdate,
)

EARTH_RADIUS_KM = 6371.0088
_KM_PER_DEGREE_LAT = 111.32


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _connector_available(connector: Connector, charger: Charger) -> bool:
    return (
        connector.ocpp_status == "Available"
        and charger.is_online
        and connector.status == RecordStatus.ACTIVE
        and charger.status == RecordStatus.ACTIVE
    )


@dataclass
class _Candidate:
    id: int
    distance_km: float


async def search_stations(
    session: AsyncSession,
    *,
    lat: float,
    lon: float,
    radius_km: float,
    connector_type: ConnectorType | str | None = None,
    min_kw: float | None = None,
    available_only: bool = False,
    limit: int = 20,
    offset: int = 0,
    operator_id: int | None = None,
) -> Page[StationSummary]:
    """Active stations within ``radius_km`` of (``lat``, ``lon``), nearest first.

    Filters: a connector of ``connector_type`` with at least ``min_kw`` that, with
    ``available_only``, is free right now (all conditions on the same connector).
    ``operator_id`` restricts to one operator's network (staff searching their own).
    """
    dlat = radius_km / _KM_PER_DEGREE_LAT
    cos_lat = math.cos(math.radians(lat))
    where = [
        Station.status == RecordStatus.ACTIVE,
        Station.latitude.between(lat - dlat, lat + dlat),
    ]
    if cos_lat > 0.01:
        dlon = radius_km / (_KM_PER_DEGREE_LAT * cos_lat)
        if dlon < 180:
            lo, hi = lon - dlon, lon + dlon
            if lo < -180:  # the box crosses the antimeridian: two ranges
                where.append(Station.longitude.between(lo + 360, 180) | (Station.longitude <= hi))
            elif hi > 180:
                where.append(Station.longitude.between(-180, hi - 360) | (Station.longitude >= lo))
            else:
                where.append(Station.longitude.between(lo, hi))
    if operator_id is not None:
        where.append(Station.operator_id == operator_id)
    if connector_type is not None or min_kw is not None or available_only:
        conditions = [
            Charger.station_id == Station.id,
            Charger.status == RecordStatus.ACTIVE,
            Connector.status == RecordStatus.ACTIVE,
        ]
        if connector_type is not None:
            conditions.append(Connector.connector_type == str(connector_type))
        if min_kw is not None:
            conditions.append(Connector.max_kw >= min_kw)
        if available_only:
            conditions += [Charger.is_online.is_(True), Connector.ocpp_status == "Available"]
        where.append(
            exists(
                select(Connector.id)
                .join(Charger, Charger.id == Connector.charger_id)
                .where(and_(*conditions))
            )
        )
    rows = await session.execute(
        select(Station.id, Station.latitude, Station.longitude).where(*where)
    )
    candidates = [
        _Candidate(sid, d)
        for sid, slat, slon in rows
        if (d := haversine_km(lat, lon, slat, slon)) <= radius_km
    ]
    candidates.sort(key=lambda c: (c.distance_km, c.id))
    page = candidates[offset : offset + limit]
    items = await _summaries(session, page)
    return Page[StationSummary](items=items, total=len(candidates), limit=limit, offset=offset)


async def _summaries(session: AsyncSession, page: list[_Candidate]) -> list[StationSummary]:
    """Summaries for one page of hits: two column-only queries (no ORM objects), because
    this runs on every map pan."""
    if not page:
        return []
    ids = [c.id for c in page]
    stations = {
        row.id: row
        for row in await session.execute(
            select(
                Station.id,
                Station.name,
                Station.address,
                Station.city,
                Station.latitude,
                Station.longitude,
                Station.operator_id,
                Station.opening_hours,
                Operator.name.label("operator_name"),
            )
            .join(Operator, Operator.id == Station.operator_id)
            .where(Station.id.in_(ids))
        )
    }
    plugs: dict[int, list[tuple[str, float, bool]]] = defaultdict(list)
    for station_id, kind, max_kw, ocpp_status, online in await session.execute(
        select(
            Charger.station_id,
            Connector.connector_type,
            Connector.max_kw,
            Connector.ocpp_status,
            Charger.is_online,
        )
        .join(Charger, Charger.id == Connector.charger_id)
        .where(
            Charger.station_id.in_(ids),
            Charger.status == RecordStatus.ACTIVE,
            Connector.status == RecordStatus.ACTIVE,
        )
    ):
        plugs[station_id].append((kind, max_kw, bool(online) and ocpp_status == "Available"))
    items = []
    for candidate in page:
        row = stations[candidate.id]
        mine = plugs[candidate.id]
        items.append(
            StationSummary(
                id=row.id,
                name=row.name,
                address=row.address,
                city=row.city,
                latitude=row.latitude,
                longitude=row.longitude,
                distance_km=round(candidate.distance_km, 3),
                operator_id=row.operator_id,
                operator_name=row.operator_name,
                opening_hours=row.opening_hours,
                connector_types=sorted({ConnectorType(kind) for kind, _, _ in mine}),
                max_kw=max((kw for _, kw, _ in mine), default=0.0),
                connectors_total=len(mine),
                connectors_available=sum(free for _, _, free in mine),
            )
        )
    return items


def station_public(station: Station) -> StationPublic:
    return StationPublic(
        id=station.id,
        operator_id=station.operator_id,
        name=station.name,
        address=station.address,
        city=station.city,
        latitude=station.latitude,
        longitude=station.longitude,
        opening_hours=station.opening_hours,
        photos=list(station.photos),
        tariff_id=station.tariff_id,
        status=station.status,
        created_at=station.created_at,
    )


async def station_detail(
    session: AsyncSession, *, station_id: int, principal: Principal | None, now: datetime
) -> StationDetail:
    """A station page: live connector status and the tariff and price in force ``now``.

    Drivers and anonymous visitors see active stations of every operator; staff see their
    own operator's stations (retired ones too) and nobody else's.
    """
    query = select(Station, Operator).join(Operator, Operator.id == Station.operator_id)
    query = query.where(Station.id == station_id)
    if principal is not None and principal.kind == "staff":
        query = query.where(Station.operator_id == operator_of(principal))
    else:
        query = query.where(Station.status == RecordStatus.ACTIVE)
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise NotFound(f"No station with id {station_id}.")
    station, operator = row
    chargers = list(
        await session.scalars(
            select(Charger)
            .where(Charger.station_id == station.id, Charger.status == RecordStatus.ACTIVE)
            .order_by(Charger.ocpp_id)
        )
    )
    connectors: dict[int, list[Connector]] = defaultdict(list)
    if chargers:
        for connector in await session.scalars(
            select(Connector)
            .where(
                Connector.charger_id.in_([c.id for c in chargers]),
                Connector.status == RecordStatus.ACTIVE,
            )
            .order_by(Connector.connector_no)
        ):
            connectors[connector.charger_id].append(connector)
    tariff = await session.get(Tariff, station.tariff_id) if station.tariff_id else None
    base = station_public(station)
    return StationDetail(
        **base.model_dump(),
        operator_name=operator.name,
        chargers=[
            ChargerStatus(
                id=charger.id,
                ocpp_id=charger.ocpp_id,
                vendor=charger.vendor,
                model=charger.model,
                is_online=charger.is_online,
                connectors=[connector_status(c, charger) for c in connectors[charger.id]],
            )
            for charger in chargers
        ],
        tariff=tariff_public(tariff) if tariff else None,
        price_now=price_now(tariff, now=now, timezone=operator.timezone) if tariff else None,
    )


def connector_status(connector: Connector, charger: Charger) -> ConnectorStatus:
    return ConnectorStatus(
        connector_no=connector.connector_no,
        connector_type=ConnectorType(connector.connector_type),
        max_kw=connector.max_kw,
        ocpp_status=connector.ocpp_status,
        error_code=connector.error_code,
        status_updated_at=connector.status_updated_at,
        available=_connector_available(connector, charger),
    )


# --- operator CRUD -----------------------------------------------------------------------


async def list_stations(
    session: AsyncSession,
    *,
    principal: Principal,
    q: str | None = None,
    include_retired: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page[StationPublic]:
    """The operator's stations by name, optionally filtered by a name/address/city fragment."""
    where = [Station.operator_id == operator_of(principal)]
    if not include_retired:
        where.append(Station.status == RecordStatus.ACTIVE)
    if q:
        pattern = f"%{q.lower()}%"
        where.append(
            func.lower(Station.name).like(pattern)
            | func.lower(Station.address).like(pattern)
            | func.lower(Station.city).like(pattern)
        )
    total = await session.scalar(select(func.count()).select_from(Station).where(*where))
    rows = await session.scalars(
        select(Station).where(*where).order_by(Station.name, Station.id).limit(limit).offset(offset)
    )
    return Page[StationPublic](
        items=[station_public(s) for s in rows], total=total or 0, limit=limit, offset=offset
    )


async def create_station(
    session: AsyncSession, *, principal: Principal, data: StationCreate
) -> StationPublic:
    operator_id = operator_of(principal)
    if data.tariff_id is not None:
        await usable_tariff(session, principal=principal, tariff_id=data.tariff_id)
    station = Station(operator_id=operator_id, **data.model_dump())
    session.add(station)
    await session.flush()
    audit.record(
        session,
        principal=principal,
        action="station.created",
        target_type="station",
        target_id=station.id,
        detail=data.model_dump(mode="json"),
    )
    await session.commit()
    return station_public(station)


async def update_station(
    session: AsyncSession, *, principal: Principal, station_id: int, data: StationUpdate
) -> StationPublic:
    station = await owned(session, Station, station_id, principal=principal, what="station")
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "tariff_id":
            raise Invalid(f"{name} may not be null.", field_name=f"body.{name}")
    # Validate every reference before touching the row (a query would autoflush changes).
    if changes.get("tariff_id") is not None:
        await usable_tariff(session, principal=principal, tariff_id=changes["tariff_id"])
    for name, value in changes.items():
        setattr(station, name, value)
    audit.record(
        session,
        principal=principal,
        action="station.updated",
        target_type="station",
        target_id=station.id,
        detail=data.model_dump(mode="json", exclude_unset=True),
    )
    await session.commit()
    return station_public(station)


async def retire_station(
    session: AsyncSession, *, principal: Principal, station_id: int
) -> StationPublic:
    """Take a station off the map; its chargers are retired with it."""
    station = await owned(session, Station, station_id, principal=principal, what="station")
    if station.status != RecordStatus.RETIRED:
        station.status = RecordStatus.RETIRED
        chargers = await session.scalars(
            select(Charger).where(
                Charger.station_id == station.id, Charger.status == RecordStatus.ACTIVE
            )
        )
        retired = []
        for charger in chargers:
            charger.status = RecordStatus.RETIRED
            retired.append(charger.ocpp_id)
        audit.record(
            session,
            principal=principal,
            action="station.retired",
            target_type="station",
            target_id=station.id,
            detail={"retired_chargers": retired},
        )
        await session.commit()
    return station_public(station)


async def get_station(
    session: AsyncSession, *, principal: Principal, station_id: int
) -> StationPublic:
    return station_public(
        await owned(session, Station, station_id, principal=principal, what="station")
    )
