"""Chargers and their connectors, as the operator manages them.

A new charger gets a generated OCPP password, returned exactly once (only its hash is kept);
chargers and connectors are retired, never deleted, because sessions and reports refer to them.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Charger, Connector, ConnectorType, RecordStatus, Station
from backend.errors import Conflict, Invalid, NotFound
from backend.security import Principal, hash_charger_password, new_charger_password
from backend.services import audit
from backend.services.scope import flush_unique, operator_of, owned, taken
from backend.services.stations import connector_status
from backend_client.models import (
    ChargerCreate,
    ChargerCreated,
    ChargerCredentials,
    ChargerPublic,
    ChargerUpdate,
    ConnectorCreate,
    ConnectorPublic,
    ConnectorUpdate,
    Page,
)


def connector_public(connector: Connector, charger: Charger) -> ConnectorPublic:
    return ConnectorPublic(
        **connector_status(connector, charger).model_dump(),
        id=connector.id,
        status=connector.status,
    )


def charger_public(charger: Charger, connectors: list[Connector]) -> ChargerPublic:
    return ChargerPublic(
        id=charger.id,
        operator_id=charger.operator_id,
        station_id=charger.station_id,
        ocpp_id=charger.ocpp_id,
        vendor=charger.vendor,
        model=charger.model,
        serial_number=charger.serial_number,
        firmware_version=charger.firmware_version,
        boot_policy=charger.boot_policy,
        is_online=charger.is_online,
        last_seen_at=charger.last_seen_at,
        last_boot_at=charger.last_boot_at,
        status=charger.status,
        created_at=charger.created_at,
        connectors=[connector_public(c, charger) for c in connectors],
    )


async def _connectors(session: AsyncSession, charger_ids: list[int]) -> dict[int, list[Connector]]:
    found: dict[int, list[Connector]] = defaultdict(list)
    if charger_ids:
        for connector in await session.scalars(
            select(Connector)
            .where(Connector.charger_id.in_(charger_ids))
            .order_by(Connector.connector_no)
        ):
            found[connector.charger_id].append(connector)
    return found


async def _own_station(session: AsyncSession, principal: Principal, station_id: int) -> Station:
    station = await session.scalar(
        select(Station).where(
            Station.id == station_id,
            Station.operator_id == operator_of(principal),
            Station.status == RecordStatus.ACTIVE,
        )
    )
    if station is None:
        raise Invalid(f"No active station with id {station_id}.", field_name="body.station_id")
    return station


async def list_chargers(
    session: AsyncSession,
    *,
    principal: Principal,
    station_id: int | None = None,
    online: bool | None = None,
    include_retired: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page[ChargerPublic]:
    where = [Charger.operator_id == operator_of(principal)]
    if station_id is not None:
        where.append(Charger.station_id == station_id)
    if online is not None:
        where.append(Charger.is_online.is_(online))
    if not include_retired:
        where.append(Charger.status == RecordStatus.ACTIVE)
    total = await session.scalar(select(func.count()).select_from(Charger).where(*where))
    chargers = list(
        await session.scalars(
            select(Charger).where(*where).order_by(Charger.ocpp_id).limit(limit).offset(offset)
        )
    )
    connectors = await _connectors(session, [c.id for c in chargers])
    return Page[ChargerPublic](
        items=[charger_public(c, connectors[c.id]) for c in chargers],
        total=total or 0,
        limit=limit,
        offset=offset,
    )


async def get_charger(
    session: AsyncSession, *, principal: Principal, charger_id: int
) -> ChargerPublic:
    charger = await owned(session, Charger, charger_id, principal=principal, what="charger")
    return charger_public(charger, (await _connectors(session, [charger.id]))[charger.id])


async def create_charger(
    session: AsyncSession, *, principal: Principal, data: ChargerCreate
) -> ChargerCreated:
    """Register a charger with its connectors; the answer carries its new OCPP password."""
    operator_id = operator_of(principal)
    await _own_station(session, principal, data.station_id)
    message = f"A charger with OCPP id {data.ocpp_id!r} already exists."
    if await session.scalar(select(Charger.id).where(Charger.ocpp_id == data.ocpp_id)):
        raise Conflict(message, fields=taken("ocpp_id"))
    password = new_charger_password()
    charger = Charger(
        operator_id=operator_id,
        station_id=data.station_id,
        ocpp_id=data.ocpp_id,
        vendor=data.vendor,
        model=data.model,
        serial_number=data.serial_number,
        ocpp_password_hash=hash_charger_password(password),
    )
    session.add(charger)
    await flush_unique(session, "ocpp_id", message)
    connectors = [_new_connector(charger, c) for c in data.connectors]
    session.add_all(connectors)
    await flush_unique(session, "ocpp_id", message)
    audit.record(
        session,
        principal=principal,
        action="charger.created",
        target_type="charger",
        target_id=charger.id,
        detail=data.model_dump(mode="json"),
    )
    await session.commit()
    public = charger_public(charger, connectors)
    return ChargerCreated(**public.model_dump(), ocpp_password=password)


def _new_connector(charger: Charger, data: ConnectorCreate) -> Connector:
    return Connector(
        charger_id=charger.id,
        connector_no=data.connector_no,
        connector_type=ConnectorType(data.connector_type.value),
        max_kw=data.max_kw,
    )


async def update_charger(
    session: AsyncSession, *, principal: Principal, charger_id: int, data: ChargerUpdate
) -> ChargerPublic:
    charger = await owned(session, Charger, charger_id, principal=principal, what="charger")
    if charger.status == RecordStatus.RETIRED:
        raise Conflict("This charger is retired and can no longer be changed.")
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "serial_number":
            raise Invalid(f"{name} may not be null.", field_name=f"body.{name}")
    if "station_id" in changes:
        await _own_station(session, principal, changes["station_id"])
    for name, value in changes.items():
        setattr(charger, name, value)
    audit.record(
        session,
        principal=principal,
        action="charger.updated",
        target_type="charger",
        target_id=charger.id,
        detail=data.model_dump(mode="json", exclude_unset=True),
    )
    await session.commit()
    return await get_charger(session, principal=principal, charger_id=charger.id)


async def retire_charger(
    session: AsyncSession, *, principal: Principal, charger_id: int
) -> ChargerPublic:
    """Retire a charger: it disappears from the map and its OCPP login is refused."""
    charger = await owned(session, Charger, charger_id, principal=principal, what="charger")
    if charger.status != RecordStatus.RETIRED:
        charger.status = RecordStatus.RETIRED
        audit.record(
            session,
            principal=principal,
            action="charger.retired",
            target_type="charger",
            target_id=charger.id,
            detail={"ocpp_id": charger.ocpp_id},
        )
        await session.commit()
    return await get_charger(session, principal=principal, charger_id=charger.id)


async def reset_charger_password(
    session: AsyncSession, *, principal: Principal, charger_id: int
) -> ChargerCredentials:
    """Replace the charger's OCPP password (e.g. after a technician leaked it); shown once."""
    charger = await owned(session, Charger, charger_id, principal=principal, what="charger")
    if charger.status == RecordStatus.RETIRED:
        raise Conflict("This charger is retired.")
    password = new_charger_password()
    charger.ocpp_password_hash = hash_charger_password(password)
    audit.record(
        session,
        principal=principal,
        action="charger.password_reset",
        target_type="charger",
        target_id=charger.id,
        detail={"ocpp_id": charger.ocpp_id},
    )
    await session.commit()
    return ChargerCredentials(ocpp_id=charger.ocpp_id, ocpp_password=password)


async def add_connector(
    session: AsyncSession, *, principal: Principal, charger_id: int, data: ConnectorCreate
) -> ChargerPublic:
    charger = await owned(session, Charger, charger_id, principal=principal, what="charger")
    existing = (await _connectors(session, [charger.id]))[charger.id]
    if any(c.connector_no == data.connector_no for c in existing):
        raise Conflict(
            f"Connector {data.connector_no} already exists on this charger.",
            fields=taken("connector_no"),
        )
    session.add(_new_connector(charger, data))
    await flush_unique(session, "connector_no", "This connector number is taken.")
    audit.record(
        session,
        principal=principal,
        action="connector.created",
        target_type="charger",
        target_id=charger.id,
        detail=data.model_dump(mode="json"),
    )
    await session.commit()
    return await get_charger(session, principal=principal, charger_id=charger.id)


async def _own_connector(
    session: AsyncSession, principal: Principal, charger_id: int, connector_no: int
) -> tuple[Charger, Connector]:
    charger = await owned(session, Charger, charger_id, principal=principal, what="charger")
    connector = await session.scalar(
        select(Connector).where(
            Connector.charger_id == charger.id, Connector.connector_no == connector_no
        )
    )
    if connector is None:
        raise NotFound(f"Charger {charger_id} has no connector {connector_no}.")
    return charger, connector


async def update_connector(
    session: AsyncSession,
    *,
    principal: Principal,
    charger_id: int,
    connector_no: int,
    data: ConnectorUpdate,
) -> ChargerPublic:
    charger, connector = await _own_connector(session, principal, charger_id, connector_no)
    if data.connector_type is not None:
        connector.connector_type = ConnectorType(data.connector_type.value)
    if data.max_kw is not None:
        connector.max_kw = data.max_kw
    audit.record(
        session,
        principal=principal,
        action="connector.updated",
        target_type="charger",
        target_id=charger.id,
        detail={"connector_no": connector_no, **data.model_dump(mode="json", exclude_unset=True)},
    )
    await session.commit()
    return await get_charger(session, principal=principal, charger_id=charger.id)


async def retire_connector(
    session: AsyncSession, *, principal: Principal, charger_id: int, connector_no: int
) -> ChargerPublic:
    charger, connector = await _own_connector(session, principal, charger_id, connector_no)
    if connector.status != RecordStatus.RETIRED:
        connector.status = RecordStatus.RETIRED
        audit.record(
            session,
            principal=principal,
            action="connector.retired",
            target_type="charger",
            target_id=charger.id,
            detail={"connector_no": connector_no},
        )
        await session.commit()
    return await get_charger(session, principal=principal, charger_id=charger.id)
