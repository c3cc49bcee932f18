"""CSMS-initiated OCPP calls on behalf of people: remote start and stop (drivers, staff,
paid starts from payments), plus the shared checks the operator commands in
:mod:`backend.services.ocpp_operations` use.

Drivers may remote-start on any active charger and stop their own sessions; operator staff
may do everything on their own operator's chargers (changing configuration needs an admin).
Every staff action is written to the audit log. The call itself goes through an injected
:class:`~backend.ocpp.registry.CallRouter`; the database transaction is committed *before* the
call so no lock is held while a charger thinks (up to the call timeout).

Errors (from :mod:`backend.errors`): ``ChargerUnavailable`` 503, ``ChargerTimeout`` 504,
``ChargerRejected`` 409 when the charger answers Rejected/NotSupported/UnlockFailed; ``NotFound``
for chargers, connectors and sessions the caller may not see; ``Conflict`` for a busy connector.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Protocol

from ocpp.v16 import call
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import (
    CardStatus,
    Charger,
    ChargingSession,
    Connector,
    IdempotencyRecord,
    Operator,
    RecordStatus,
    RfidCard,
    SessionStatus,
    Station,
)
from backend.errors import ChargerRejected, ChargerUnavailable, Conflict, Forbidden, NotFound
from backend.security import Principal
from backend.services import audit
from backend.services.charging import (
    PENDING_START_TTL,
    app_id_tag,
    create_pending_session,
    fail_pending_session,
)
from backend.services.events import EventBus
from backend.services.ocpp_chargers import ChargerRef, Writer
from backend.services.sessions import session_public
from backend_client.models.remote import (
    CommandResult,
    RemoteStartRequest,
    RemoteStartResult,
)

REFUSALS = frozenset({"Rejected", "NotSupported", "NotImplemented", "UnlockFailed", "Failed"})


class CallSender(Protocol):
    """The slice of :class:`backend.ocpp.registry.CallRouter` this module needs."""

    async def call(self, ocpp_id: str, payload: Any, *, timeout: float) -> Any: ...


def refused(ocpp_id: str, action: str, status: str) -> ChargerRejected:
    return ChargerRejected(f"charger {ocpp_id} answered {action}: {status}")


async def charger_for(
    session: AsyncSession,
    principal: Principal,
    *,
    charger_id: int | None = None,
    ocpp_id: str | None = None,
) -> tuple[Charger, Station, str]:
    """The active charger the principal may act on (staff: own operator only)."""
    query = (
        select(Charger, Station, Operator.timezone)
        .join(Station, Station.id == Charger.station_id)
        .join(Operator, Operator.id == Charger.operator_id)
        .where(Charger.status == RecordStatus.ACTIVE)
    )
    query = (
        query.where(Charger.id == charger_id)
        if charger_id is not None
        else query.where(Charger.ocpp_id == ocpp_id)
    )
    row = (await session.execute(query)).first()
    if row is None or (principal.is_staff and row[0].operator_id != principal.operator_id):
        raise NotFound("charger not found")
    return row[0], row[1], row[2]


def _ref(charger: Charger, station: Station, timezone: str) -> ChargerRef:
    return ChargerRef(
        id=charger.id,
        ocpp_id=charger.ocpp_id,
        operator_id=charger.operator_id,
        station_id=station.id,
        station_name=station.name,
        timezone=timezone,
    )


async def connector_of(session: AsyncSession, charger: Charger, connector_no: int) -> Connector:
    connector = (
        await session.execute(
            select(Connector).where(
                Connector.charger_id == charger.id,
                Connector.connector_no == connector_no,
                Connector.status == RecordStatus.ACTIVE,
            )
        )
    ).scalar_one_or_none()
    if connector is None:
        raise NotFound(f"connector {connector_no} not found")
    return connector


def require_staff(principal: Principal, *, admin: bool = False) -> None:
    if not principal.is_staff or (admin and not principal.is_admin):
        raise Forbidden("operator admins only" if admin else "operator staff only")


# ------------------------------------------------------------------ remote start / stop
async def _start_tag(
    session: AsyncSession, principal: Principal, charger: Charger, wanted: str | None
) -> str:
    if principal.is_staff:
        return wanted or f"OP{principal.id:08d}"
    card_uid = await session.scalar(
        select(RfidCard.uid)
        .where(
            RfidCard.driver_id == principal.id,
            RfidCard.operator_id == charger.operator_id,
            RfidCard.status == CardStatus.ACTIVE,
        )
        .order_by(RfidCard.id)
        .limit(1)
    )
    return card_uid or app_id_tag(principal.id)


async def start_on_charger(
    session: AsyncSession,
    writer: Writer,
    events: EventBus,
    router: CallSender,
    *,
    charger: Charger,
    station: Station,
    timezone: str,
    connector_no: int,
    id_tag: str,
    driver_id: int | None,
    principal: Principal | None,
    timeout: float,
    now: datetime,
) -> tuple[ChargingSession, str]:
    """Create the pending session, commit, send RemoteStartTransaction; the session is marked
    failed (and the error raised) unless the charger accepts. Returns (session, status)."""
    await connector_of(session, charger, connector_no)
    if not charger.is_online:
        raise ChargerUnavailable(f"charger {charger.ocpp_id} is offline")
    busy = await session.scalar(
        select(ChargingSession.id).where(
            ChargingSession.charger_id == charger.id,
            ChargingSession.connector_no == connector_no,
            ChargingSession.status.in_([SessionStatus.ACTIVE, SessionStatus.PENDING]),
            ChargingSession.started_at >= now - PENDING_START_TTL,
        )
    )
    if busy is not None:
        raise Conflict("a session is already running or starting on this connector")
    row = await create_pending_session(
        session,
        charger=charger,
        station=station,
        connector_no=connector_no,
        id_tag=id_tag,
        driver_id=driver_id,
        now=now,
    )
    if principal is not None:
        audit.record(
            session,
            principal=principal,
            action="charger.remote_start",
            target_type="charger",
            target_id=charger.id,
            detail={"connector_no": connector_no, "id_tag": id_tag, "session_id": row.id},
        )
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("the same request is already being processed") from None
    ref = _ref(charger, station, timezone)
    try:
        answer = await router.call(
            charger.ocpp_id,
            call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector_no),
            timeout=timeout,
        )
    except ChargerUnavailable as exc:
        await fail_pending_session(writer, events, ref, session_id=row.id, reason=exc.code, now=now)
        raise
    status = str(answer.status)
    if status != "Accepted":
        await fail_pending_session(
            writer, events, ref, session_id=row.id, reason="RemoteStartRejected", now=now
        )
        raise refused(charger.ocpp_id, "RemoteStartTransaction", status)
    return row, status


async def remote_start(
    session: AsyncSession,
    writer: Writer,
    events: EventBus,
    router: CallSender,
    *,
    principal: Principal,
    data: RemoteStartRequest,
    idempotency_key: str | None,
    timeout: float,
    now: datetime,
) -> RemoteStartResult:
    """RemoteStartTransaction; the session exists (pending) before the charger is asked.

    With an ``Idempotency-Key`` a retried request returns the first answer instead of asking
    the charger again.
    """
    scope = f"remote-start:{principal.kind}:{principal.id}"
    request_hash = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
    if idempotency_key:
        record = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope, IdempotencyRecord.key == idempotency_key
                )
            )
        ).scalar_one_or_none()
        if record is not None:
            if record.request_hash != request_hash:
                raise Conflict("Idempotency-Key already used for a different request")
            if record.response_body:
                return RemoteStartResult.model_validate_json(record.response_body)
    charger, station, timezone = await charger_for(
        session, principal, charger_id=data.charger_id, ocpp_id=data.ocpp_id
    )
    if data.id_tag and not principal.is_staff:
        raise Forbidden("drivers start with their own card or account")
    id_tag = await _start_tag(session, principal, charger, data.id_tag)
    if idempotency_key:
        session.add(
            IdempotencyRecord(
                scope=scope, key=idempotency_key, request_hash=request_hash, created_at=now
            )
        )
    row, status = await start_on_charger(
        session,
        writer,
        events,
        router,
        charger=charger,
        station=station,
        timezone=timezone,
        connector_no=data.connector_no,
        id_tag=id_tag,
        driver_id=None if principal.is_staff else principal.id,
        principal=principal if principal.is_staff else None,
        timeout=timeout,
        now=now,
    )
    result = RemoteStartResult(
        status=status, session=session_public(row, station.name, charger.ocpp_id)
    )
    if idempotency_key:
        body = result.model_dump_json()

        async def remember(s2: AsyncSession) -> None:
            stored = (
                await s2.execute(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.scope == scope, IdempotencyRecord.key == idempotency_key
                    )
                )
            ).scalar_one()
            stored.status_code = 200
            stored.response_body = body

        await writer.write(remember)
    return result


async def remote_stop(
    session: AsyncSession,
    router: CallSender,
    *,
    principal: Principal,
    session_id: int,
    timeout: float,
) -> CommandResult:
    """RemoteStopTransaction for a running session (drivers: their own only)."""
    row = await session.get(ChargingSession, session_id)
    visible = row is not None and (
        (principal.is_staff and row.operator_id == principal.operator_id)
        or (not principal.is_staff and row.driver_id == principal.id)
    )
    if row is None or not visible:
        raise NotFound("session not found")
    if row.status != SessionStatus.ACTIVE:
        raise Conflict(f"session is {row.status}, not active")
    charger = await session.get(Charger, row.charger_id)
    assert charger is not None
    if principal.is_staff:
        audit.record(
            session,
            principal=principal,
            action="charger.remote_stop",
            target_type="charger",
            target_id=charger.id,
            detail={"session_id": row.id},
        )
    ocpp_id = charger.ocpp_id
    await session.commit()
    answer = await router.call(
        ocpp_id, call.RemoteStopTransaction(transaction_id=session_id), timeout=timeout
    )
    status = str(answer.status)
    if status in REFUSALS:
        raise refused(ocpp_id, "RemoteStopTransaction", status)
    return CommandResult(status=status)


class PaymentsChargingPort:
    """:class:`backend.payments.charging_port.ChargingPort` over this module: a paid start
    (payment authorised first) asks the charger through the app's OCPP gateway."""

    async def remote_start(
        self,
        ctx: AppContext,
        *,
        charger_id: int,
        connector_no: int,
        id_tag: str,
        driver_id: int | None,
    ) -> int:
        from backend.ocpp.gateway import gateway_of

        now = ctx.clock()
        async with ctx.sessions() as session:
            row = (
                await session.execute(
                    select(Charger, Station, Operator.timezone)
                    .join(Station, Station.id == Charger.station_id)
                    .join(Operator, Operator.id == Charger.operator_id)
                    .where(Charger.id == charger_id, Charger.status == RecordStatus.ACTIVE)
                )
            ).first()
            if row is None:
                raise NotFound("charger not found")
            gateway = gateway_of(ctx)
            pending, _status = await start_on_charger(
                session,
                gateway.writer,
                ctx.events,
                gateway.router,
                charger=row[0],
                station=row[1],
                timezone=row[2],
                connector_no=connector_no,
                id_tag=id_tag,
                driver_id=driver_id,
                principal=None,
                timeout=ctx.settings.ocpp_call_timeout,
                now=now,
            )
            return pending.id

    async def remote_stop(self, ctx: AppContext, *, session_id: int) -> None:
        from backend.ocpp.gateway import gateway_of

        async with ctx.sessions() as session:
            row = await session.get(ChargingSession, session_id)
            if row is None or row.status != SessionStatus.ACTIVE:
                return
            charger = await session.get(Charger, row.charger_id)
            assert charger is not None
            ocpp_id = charger.ocpp_id
        answer = await gateway_of(ctx).call(
            ocpp_id, call.RemoteStopTransaction(transaction_id=session_id)
        )
        if str(answer.status) in REFUSALS:
            raise refused(ocpp_id, "RemoteStopTransaction", str(answer.status))


__all__ = [
    "REFUSALS",
    "CallSender",
    "PaymentsChargingPort",
    "charger_for",
    "connector_of",
    "refused",
    "remote_start",
    "remote_stop",
    "require_staff",
    "start_on_charger",
]
