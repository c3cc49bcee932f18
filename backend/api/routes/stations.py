"""Stations: public map search and station page; operator create/update/retire."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.auth_deps import CurrentStaff, OptionalPrincipal
from backend.api.deps import ContextDep, SessionDep
from backend.api.params import IdPath, LimitQuery, OffsetQuery, SearchText
from backend.api.responses import errors
from backend.services import stations
from backend_client.models import (
    ConnectorType,
    Page,
    StationCreate,
    StationDetail,
    StationPublic,
    StationSummary,
    StationUpdate,
)

router = APIRouter(prefix="/stations", tags=["stations"])


@router.get("/search", response_model=Page[StationSummary], responses=errors())
async def search(
    session: SessionDep,
    principal: OptionalPrincipal,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius_km: Annotated[float, Query(gt=0, le=500)] = 10.0,
    connector_type: ConnectorType | None = None,
    min_kw: Annotated[float | None, Query(ge=0, le=1000)] = None,
    available: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[StationSummary]:
    """Stations near a point, nearest first. Staff search their own network only."""
    return await stations.search_stations(
        session,
        lat=lat,
        lon=lon,
        radius_km=radius_km,
        connector_type=connector_type,
        min_kw=min_kw,
        available_only=available,
        limit=limit,
        offset=offset,
        operator_id=principal.operator_id if principal and principal.is_staff else None,
    )


@router.get("", response_model=Page[StationPublic], responses=errors())
async def list_stations(
    session: SessionDep,
    principal: CurrentStaff,
    q: SearchText = None,
    include_retired: bool = False,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[StationPublic]:
    """The operator's stations (staff)."""
    return await stations.list_stations(
        session,
        principal=principal,
        q=q,
        include_retired=include_retired,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=StationPublic, status_code=201, responses=errors())
async def create_station(
    body: StationCreate, session: SessionDep, principal: CurrentStaff
) -> StationPublic:
    return await stations.create_station(session, principal=principal, data=body)


@router.get("/{station_id}", response_model=StationDetail, responses=errors(404))
async def get_station(
    station_id: IdPath, session: SessionDep, ctx: ContextDep, principal: OptionalPrincipal
) -> StationDetail:
    """A station with live connector status and the tariff in force (public)."""
    return await stations.station_detail(
        session, station_id=station_id, principal=principal, now=ctx.clock()
    )


@router.patch("/{station_id}", response_model=StationPublic, responses=errors(404))
async def update_station(
    station_id: IdPath, body: StationUpdate, session: SessionDep, principal: CurrentStaff
) -> StationPublic:
    return await stations.update_station(
        session, principal=principal, station_id=station_id, data=body
    )


@router.post("/{station_id}/retire", response_model=StationPublic, responses=errors(404))
async def retire_station(
    station_id: IdPath, session: SessionDep, principal: CurrentStaff
) -> StationPublic:
    """Take the station (and its chargers) off the map; history keeps it."""
    return await stations.retire_station(session, principal=principal, station_id=station_id)
