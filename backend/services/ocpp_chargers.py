"""Charger-level OCPP facts: who may connect, boot, heartbeat, live status, faults, liveness.

Called by the thin handlers in :mod:`backend.ocpp` (never SQL there). Each function is one
short transaction and publishes what operators watch live: ``charger.online``/``offline``,
``connector.status``, ``fault.opened``/``fault.cleared``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    Fault,
    FaultSource,
    Operator,
    RecordStatus,
    SessionStatus,
    Station,
)
from backend.errors import NotFound, Unauthenticated
from backend.security import verify_charger_password
from backend.services.events import Audience, EventBus

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""Where reads come from: ``ctx.sessions``."""

T = TypeVar("T")


class Writer(Protocol):
    """Runs one unit of write work in a transaction and commits it.

    ``work`` gets the session, issues its statements and returns a value; it never commits
    (the writer does, possibly together with other chargers' work: see
    :mod:`backend.services.ocpp_writes`). Events are published by the caller after ``write``
    returns, i.e. after the commit.
    """

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T: ...


WATCHDOG_CODE = "Offline"
"""``Fault.error_code`` of the fault the liveness watchdog opens for a charger gone silent."""

IDLE_STATES = ("SuspendedEV", "Finishing")


@dataclass(frozen=True, slots=True)
class ChargerRef:
    """What the OCPP layer keeps about a connected charger (loaded once at the handshake)."""

    id: int
    ocpp_id: str
    operator_id: int
    station_id: int
    station_name: str
    timezone: str

    @property
    def audience(self) -> Audience:
        return Audience.operator(self.operator_id)

    def event_data(self) -> dict[str, object]:
        return {
            "charger_id": self.id,
            "ocpp_id": self.ocpp_id,
            "station_id": self.station_id,
            "station_name": self.station_name,
        }


@dataclass(frozen=True, slots=True)
class Disconnect:
    ref: ChargerRef
    dead: bool
    """No clean close: ping or heartbeat lost, connection reset."""
    reason: str
    now: datetime


async def chargers_disconnected(
    writer: Writer, events: EventBus, items: list[Disconnect]
) -> list[None]:
    """Mark chargers offline; one that died (no clean close, ping or heartbeat lost) also gets
    an operator fault that its reconnect clears. One unit of work for the batch."""

    async def work(session: AsyncSession) -> list[tuple[Disconnect, int]]:
        await session.execute(
            update(Charger).where(Charger.id.in_([d.ref.id for d in items])).values(is_online=False)
        )
        faults = [
            (
                d,
                Fault(
                    operator_id=d.ref.operator_id,
                    charger_id=d.ref.id,
                    connector_no=0,
                    source=FaultSource.WATCHDOG,
                    error_code=WATCHDOG_CODE,
                    info=d.reason[:255],
                    opened_at=d.now,
                ),
            )
            for d in items
            if d.dead
        ]
        if faults:
            session.add_all([fault for _, fault in faults])
            await session.flush()
        return [(d, fault.id) for d, fault in faults]

    opened = await writer.write(work)
    for d in items:
        events.publish(
            "charger.offline", {**d.ref.event_data(), "reason": d.reason}, d.ref.audience
        )
    for d, fault_id in opened:
        events.publish(
            "fault.opened",
            {
                **d.ref.event_data(),
                "fault_id": fault_id,
                "connector_no": 0,
                "error_code": WATCHDOG_CODE,
                "source": FaultSource.WATCHDOG.value,
                "info": d.reason,
            },
            d.ref.audience,
        )
    return [None] * len(items)


async def mark_all_offline(writer: Writer) -> None:
    """At start-up of a single-process central system no charger is connected yet."""

    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(Charger).where(Charger.is_online.is_(True)).values(is_online=False)
        )

    await writer.write(work)


async def firmware_or_diagnostics_status(
    writer: Writer, ref: ChargerRef, *, kind: str, status: str
) -> None:
    """FirmwareStatusNotification / DiagnosticsStatusNotification: remember the last status."""
    values = {"firmware_status": status} if kind == "firmware" else {"diagnostics_status": status}

    async def work(session: AsyncSession) -> None:
        await session.execute(update(Charger).where(Charger.id == ref.id).values(**values))

    await writer.write(work)


async def status_notification(
    writer: Writer,
    events: EventBus,
    ref: ChargerRef,
    *,
    connector_no: int,
    status: str,
    error_code: str,
    info: str | None,
    vendor_error_code: str | None,
    timestamp: datetime | None,
    now: datetime,
) -> None:
    """Connector states become live status; error codes open faults, recovery clears them.

    A notification older than the state already stored (re-sent after a reconnect) is ignored.
    """
    at = timestamp or now

    async def work(session: AsyncSession) -> tuple[bool, list[int], list[int]]:
        opened: list[int] = []
        cleared: list[int] = []
        published_status = False
        if connector_no > 0:
            connector = (
                await session.execute(
                    select(Connector).where(
                        Connector.charger_id == ref.id, Connector.connector_no == connector_no
                    )
                )
            ).scalar_one_or_none()
            if connector is not None and (
                connector.status_updated_at is None or at >= connector.status_updated_at
            ):
                connector.ocpp_status = status
                connector.error_code = error_code
                connector.status_updated_at = at
                published_status = True
                await _track_idle(session, ref, connector_no, status, at)
        if error_code != "NoError":
            existing = await session.scalar(
                select(Fault.id).where(
                    Fault.charger_id == ref.id,
                    Fault.connector_no == connector_no,
                    Fault.source == FaultSource.CHARGER,
                    Fault.error_code == error_code,
                    Fault.cleared_at.is_(None),
                )
            )
            if existing is None:
                fault = Fault(
                    operator_id=ref.operator_id,
                    charger_id=ref.id,
                    connector_no=connector_no,
                    source=FaultSource.CHARGER,
                    error_code=error_code,
                    vendor_error_code=vendor_error_code,
                    info=info,
                    opened_at=at,
                )
                session.add(fault)
                await session.flush()
                opened.append(fault.id)
        elif status != "Faulted":
            cleared = await _clear_faults(session, ref, connector_no, FaultSource.CHARGER, at)
        return published_status, opened, cleared

    published_status, opened, cleared = await writer.write(work)
    base = ref.event_data()
    if published_status:
        events.publish(
            "connector.status",
            {
                **base,
                "connector_no": connector_no,
                "status": status,
                "error_code": error_code,
                "at": at.isoformat(),
            },
            ref.audience,
        )
    for fault_id in opened:
        events.publish(
            "fault.opened",
            {
                **base,
                "fault_id": fault_id,
                "connector_no": connector_no,
                "error_code": error_code,
                "source": FaultSource.CHARGER.value,
                "info": info,
            },
            ref.audience,
        )
    for fault_id in cleared:
        events.publish(
            "fault.cleared",
            {**base, "fault_id": fault_id, "connector_no": connector_no},
            ref.audience,
        )


async def _track_idle(
    session: AsyncSession, ref: ChargerRef, connector_no: int, status: str, at: datetime
) -> None:
    """Idle fees count from when the car stopped drawing power (SuspendedEV/Finishing)."""
    active = (
        await session.execute(
            select(ChargingSession).where(
                ChargingSession.charger_id == ref.id,
                ChargingSession.connector_no == connector_no,
                ChargingSession.status == SessionStatus.ACTIVE,
            )
        )
    ).scalar_one_or_none()
    if active is None:
        return
    if status in IDLE_STATES and active.idle_since is None:
        active.idle_since = at
    elif status == "Charging" and active.idle_since is not None:
        active.idle_since = None


async def _clear_faults(
    session: AsyncSession,
    ref: ChargerRef,
    connector_no: int | None,
    source: FaultSource,
    at: datetime,
) -> list[int]:
    where = [Fault.charger_id == ref.id, Fault.source == source, Fault.cleared_at.is_(None)]
    if connector_no is not None:
        where.append(Fault.connector_no == connector_no)
    ids = list((await session.scalars(select(Fault.id).where(*where))).all())
    if ids:
        await session.execute(update(Fault).where(Fault.id.in_(ids)).values(cleared_at=at))
    return ids


# ---------------------------------------------------------------------------------------------
# Many chargers at once. A reconnect storm brings thousands of handshakes, connects and boots
# within seconds; these variants do each step for a whole batch in a few statements (see
# backend.services.ocpp_writes.Batcher). Results come back in the order of the input.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BootInfo:
    ref: ChargerRef
    vendor: str
    model: str
    serial_number: str | None
    firmware_version: str | None
    now: datetime


async def authenticate_chargers(
    sessions: SessionFactory, requests: list[tuple[str, str | None]]
) -> list[ChargerRef | NotFound | Unauthenticated]:
    """Security Profile 1 check at the websocket handshake, for many (ocpp_id, password)
    pairs with one query: unknown identity → NotFound (404), wrong/missing password →
    Unauthenticated (401), else the charger's :class:`ChargerRef`."""
    wanted = {ocpp_id for ocpp_id, _ in requests}
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Charger, Station.name, Operator.timezone)
                .join(Station, Station.id == Charger.station_id)
                .join(Operator, Operator.id == Charger.operator_id)
                .where(Charger.ocpp_id.in_(wanted), Charger.status == RecordStatus.ACTIVE)
            )
        ).all()
    found = {charger.ocpp_id: (charger, name, tz) for charger, name, tz in rows}
    out: list[ChargerRef | NotFound | Unauthenticated] = []
    for ocpp_id, password in requests:
        entry = found.get(ocpp_id)
        if entry is None:
            out.append(NotFound(f"unknown charge point {ocpp_id!r}"))
            continue
        charger, station_name, timezone = entry
        if password is None or not verify_charger_password(password, charger.ocpp_password_hash):
            out.append(Unauthenticated("wrong or missing charge point password"))
            continue
        out.append(
            ChargerRef(
                id=charger.id,
                ocpp_id=charger.ocpp_id,
                operator_id=charger.operator_id,
                station_id=charger.station_id,
                station_name=station_name,
                timezone=timezone,
            )
        )
    return out


async def chargers_connected(
    writer: Writer, events: EventBus, refs: list[ChargerRef], *, now: datetime
) -> list[None]:
    """Mark chargers online and close their watchdog "Offline" faults (one unit of work)."""
    ids = [ref.id for ref in refs]

    async def work(session: AsyncSession) -> list[tuple[int, int]]:
        await session.execute(
            update(Charger).where(Charger.id.in_(ids)).values(is_online=True, last_seen_at=now)
        )
        open_faults = (
            await session.execute(
                select(Fault.id, Fault.charger_id).where(
                    Fault.charger_id.in_(ids),
                    Fault.source == FaultSource.WATCHDOG,
                    Fault.cleared_at.is_(None),
                )
            )
        ).all()
        if open_faults:
            await session.execute(
                update(Fault)
                .where(Fault.id.in_([fid for fid, _ in open_faults]))
                .values(cleared_at=now)
            )
        return [(fid, cid) for fid, cid in open_faults]

    cleared = await writer.write(work)
    by_charger = {ref.id: ref for ref in refs}
    for ref in by_charger.values():
        events.publish("charger.online", ref.event_data(), ref.audience)
    for fault_id, charger_id in cleared:
        ref = by_charger[charger_id]
        events.publish("fault.cleared", {**ref.event_data(), "fault_id": fault_id}, ref.audience)
    return [None] * len(refs)


async def boot_notifications(writer: Writer, boots: list[BootInfo]) -> list[str]:
    """Record boots (vendor, model, firmware …); answer each charger's configured boot policy
    (Accepted/Pending/Rejected). One executemany and one query for the batch."""
    table = Charger.__table__
    assert isinstance(table, Table)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            vendor=bindparam("b_vendor"),
            model=bindparam("b_model"),
            serial_number=func.coalesce(bindparam("b_serial"), table.c.serial_number),
            firmware_version=func.coalesce(bindparam("b_firmware"), table.c.firmware_version),
            last_boot_at=bindparam("b_now"),
            last_seen_at=bindparam("b_now"),
        )
    )
    params = [
        {
            "b_id": b.ref.id,
            "b_vendor": b.vendor[:20],
            "b_model": b.model[:20],
            "b_serial": b.serial_number[:25] if b.serial_number else None,
            "b_firmware": b.firmware_version[:50] if b.firmware_version else None,
            "b_now": b.now,
        }
        for b in boots
    ]

    async def work(session: AsyncSession) -> dict[int, str]:
        await session.execute(stmt, params)
        rows = await session.execute(
            select(Charger.id, Charger.boot_policy).where(Charger.id.in_([b.ref.id for b in boots]))
        )
        return {cid: policy for cid, policy in rows.all()}

    policies = await writer.write(work)
    return [policies.get(b.ref.id) or "Accepted" for b in boots]


async def heartbeats(writer: Writer, items: list[tuple[ChargerRef, datetime]]) -> list[None]:
    """Heartbeats: remember when each charger was last heard of (one statement)."""
    ids = [ref.id for ref, _ in items]
    now = max(at for _, at in items)

    async def work(session: AsyncSession) -> None:
        await session.execute(update(Charger).where(Charger.id.in_(ids)).values(last_seen_at=now))

    await writer.write(work)
    return [None] * len(items)


__all__ = [
    "WATCHDOG_CODE",
    "BootInfo",
    "ChargerRef",
    "Disconnect",
    "SessionFactory",
    "Writer",
    "authenticate_chargers",
    "boot_notifications",
    "chargers_connected",
    "chargers_disconnected",
    "firmware_or_diagnostics_status",
    "heartbeats",
    "mark_all_offline",
    "status_notification",
]
