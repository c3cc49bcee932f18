"""Charging sessions as the OCPP central system writes them: authorisation of RFID cards and
app starts, StartTransaction, MeterValues and StopTransaction — each idempotent, because
chargers re-send transaction messages after reconnects and retries.

Deduplication (OCPP 1.6 §4.10, see notes/ocpp.md §6):

* StartTransaction: keyed on (charger, connector, idTag|timestamp|meterStart); a repeat gets
  the same transactionId back and changes nothing.
* MeterValues: one row per (session, sample timestamp); repeats are skipped by the database's
  unique constraint, and the session totals only move forward.
* StopTransaction: a session already completed is answered again unchanged.

The transactionId handed to the charger is the ``charging_sessions`` primary key. A remote start
first creates a *pending* session (so the driver owns it from the start); the charger's
StartTransaction then activates it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    CardStatus,
    Charger,
    ChargingSession,
    MeterSample,
    Operator,
    RfidCard,
    SessionStatus,
    Station,
    Tariff,
)
from backend.payments.settlement import settle_session
from backend.payments.tariff import EnergyPoint, snapshot_tariff
from backend.services.events import Audience, EventBus
from backend.services.ocpp_chargers import ChargerRef, SessionFactory, Writer
from backend.services.ocpp_meter import parse_meter_value
from backend.services.session_figures import apply_costs, apply_meter_update, store_samples
from backend.services.sessions import session_public

PENDING_START_TTL = timedelta(minutes=3)
"""A remote start the charger has not turned into a transaction by then has failed."""

APP_TAG_PREFIX = "APP"
"""idTags the backend makes up for app (remote) starts of drivers without a card."""


def app_id_tag(driver_id: int) -> str:
    return f"{APP_TAG_PREFIX}{driver_id:08d}"


@dataclass(frozen=True, slots=True)
class IdTagInfo:
    status: str
    expiry_date: datetime | None = None

    def as_ocpp(self) -> dict[str, Any]:
        """The OCPP 1.6 ``IdTagInfo`` as sent on the wire (camelCase)."""
        data: dict[str, Any] = {"status": self.status}
        if self.expiry_date is not None:
            data["expiryDate"] = self.expiry_date.isoformat()
        return data


# ------------------------------------------------------------------ authorisation
async def _tag_info(
    session: AsyncSession, ref: ChargerRef, id_tag: str, now: datetime
) -> tuple[IdTagInfo, RfidCard | None]:
    card = (
        await session.execute(
            select(RfidCard).where(RfidCard.operator_id == ref.operator_id, RfidCard.uid == id_tag)
        )
    ).scalar_one_or_none()
    if card is not None:
        if card.status == CardStatus.BLOCKED:
            return IdTagInfo("Blocked"), card
        if card.expires_at is not None and card.expires_at <= now:
            return IdTagInfo("Expired", card.expires_at), card
        return IdTagInfo("Accepted", card.expires_at), card
    pending = await _pending_for_tag(session, ref, id_tag, None, now)
    if pending is not None:
        return IdTagInfo("Accepted"), None
    return IdTagInfo("Invalid"), None


async def authorize(
    sessions: SessionFactory, ref: ChargerRef, *, id_tag: str, now: datetime
) -> IdTagInfo:
    """Authorize: the operator's RFID cards (blocked/expired/unknown), or a pending app start."""
    async with sessions() as session:
        info, _card = await _tag_info(session, ref, id_tag, now)
    return info


async def _pending_for_tag(
    session: AsyncSession,
    ref: ChargerRef,
    id_tag: str,
    connector_no: int | None,
    now: datetime,
) -> ChargingSession | None:
    where = [
        ChargingSession.charger_id == ref.id,
        ChargingSession.status == SessionStatus.PENDING,
        ChargingSession.id_tag == id_tag,
        ChargingSession.started_at >= now - PENDING_START_TTL,
    ]
    if connector_no is not None:
        where.append(ChargingSession.connector_no == connector_no)
    return (
        (await session.execute(select(ChargingSession).where(*where).order_by(ChargingSession.id)))
        .scalars()
        .first()
    )


# ------------------------------------------------------------------ events
def _audiences(ref: ChargerRef, row: ChargingSession) -> list[Audience]:
    out = [ref.audience]
    if row.driver_id is not None:
        out.append(Audience.driver(row.driver_id))
    return out


def publish_session(events: EventBus, kind: str, ref: ChargerRef, row: ChargingSession) -> None:
    data = session_public(row, ref.station_name, ref.ocpp_id).model_dump(mode="json")
    events.publish(kind, data, *_audiences(ref, row))


# ------------------------------------------------------------------ remote start bookkeeping
async def create_pending_session(
    session: AsyncSession,
    *,
    charger: Charger,
    station: Station,
    connector_no: int,
    id_tag: str,
    driver_id: int | None,
    now: datetime,
) -> ChargingSession:
    """The session a remote start will become (flushed, not committed: caller commits)."""
    row = ChargingSession(
        operator_id=charger.operator_id,
        station_id=station.id,
        charger_id=charger.id,
        connector_no=connector_no,
        driver_id=driver_id,
        id_tag=id_tag,
        status=SessionStatus.PENDING,
        started_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def fail_pending_session(
    writer: Writer,
    events: EventBus,
    ref: ChargerRef,
    *,
    session_id: int,
    reason: str,
    now: datetime,
) -> None:
    """The charger refused or never answered the remote start."""

    async def work(session: AsyncSession) -> ChargingSession | None:
        row = await session.get(ChargingSession, session_id)
        if row is None or row.status != SessionStatus.PENDING:
            return None
        row.status = SessionStatus.FAILED
        row.stop_reason = reason[:32]
        row.stopped_at = now
        row.updated_at = now
        return row

    failed = await writer.write(work)
    if failed is not None:
        publish_session(events, "session.failed", ref, failed)


# ------------------------------------------------------------------ StartTransaction
async def _tariff_snapshot(
    session: AsyncSession, ref: ChargerRef, now: datetime
) -> tuple[dict[str, Any], str]:
    tariff = (
        await session.execute(
            select(Tariff)
            .join(Station, Station.tariff_id == Tariff.id)
            .where(Station.id == ref.station_id)
        )
    ).scalar_one_or_none()
    if tariff is None:
        currency = await session.scalar(
            select(Operator.currency).where(Operator.id == ref.operator_id)
        )
        return {}, currency or "CNY"
    return snapshot_tariff(tariff, timezone=ref.timezone, now=now), tariff.currency


async def start_transaction(
    writer: Writer,
    events: EventBus,
    ref: ChargerRef,
    *,
    connector_no: int,
    id_tag: str,
    meter_start: int,
    timestamp: datetime,
    now: datetime,
) -> tuple[int, IdTagInfo]:
    """Open (or find again) the session; returns (transactionId, idTagInfo).

    The transaction is recorded even for a refused idTag — OCPP requires a transactionId in
    the answer; the charger stops it itself on a non-Accepted status.
    """
    key = f"{id_tag}|{timestamp.isoformat()}|{meter_start}"[:80]

    async def work(session: AsyncSession) -> tuple[ChargingSession, IdTagInfo, bool]:
        existing = (
            await session.execute(
                select(ChargingSession).where(
                    ChargingSession.charger_id == ref.id,
                    ChargingSession.connector_no == connector_no,
                    ChargingSession.start_dedup_key == key,
                )
            )
        ).scalar_one_or_none()
        info, card = await _tag_info(session, ref, id_tag, now)
        if existing is not None:
            return existing, info, False
        row = await _pending_for_tag(session, ref, id_tag, connector_no, now)
        if row is None:
            row = ChargingSession(
                operator_id=ref.operator_id,
                station_id=ref.station_id,
                charger_id=ref.id,
                connector_no=connector_no,
                id_tag=id_tag,
                driver_id=card.driver_id if card is not None else None,
            )
            session.add(row)
        row.card_id = card.id if card is not None else row.card_id
        if row.driver_id is None and card is not None:
            row.driver_id = card.driver_id
        row.status = SessionStatus.ACTIVE
        row.start_dedup_key = key
        row.started_at = timestamp
        row.meter_start_wh = meter_start
        row.updated_at = now
        row.tariff_snapshot, row.currency = await _tariff_snapshot(session, ref, timestamp)
        await session.flush()
        return row, info, True

    for _attempt in range(2):
        try:
            row, info, created = await writer.write(work)
        except IntegrityError:
            continue  # a concurrent duplicate won the race: read its id on the next pass
        if created:
            publish_session(events, "session.started", ref, row)
        return row.id, info
    raise RuntimeError("StartTransaction deduplication did not converge")


# ------------------------------------------------------------------ MeterValues
async def meter_values(
    writer: Writer,
    events: EventBus,
    ref: ChargerRef,
    *,
    connector_no: int,
    transaction_id: int | None,
    meter_value: Sequence[Mapping[str, Any]],
    now: datetime,
) -> None:
    """Persist every sample of a transaction; move the session's live figures forward.

    (The central system batches these through :class:`backend.ocpp.meters.MeterBatcher`; this
    is the one-message path, used while the batcher is not running.)
    """
    if transaction_id is None:
        return  # connector-level readings outside a transaction are not kept
    parsed = [parse_meter_value(element, now) for element in meter_value]

    async def work(session: AsyncSession) -> ChargingSession | None:
        row = await session.get(ChargingSession, transaction_id)
        if row is None or row.charger_id != ref.id:
            return None
        await store_samples(session, [(row.id, parsed)])
        return row if apply_meter_update(row, parsed, now) else None

    changed = await writer.write(work)
    if changed is not None:
        publish_session(events, "session.updated", ref, changed)


# ------------------------------------------------------------------ StopTransaction
async def stop_transaction(
    writer: Writer,
    events: EventBus,
    ref: ChargerRef,
    *,
    transaction_id: int,
    meter_stop: int,
    timestamp: datetime,
    reason: str | None,
    id_tag: str | None,
    transaction_data: Sequence[Mapping[str, Any]] | None,
    now: datetime,
    settled: Callable[[], None] | None = None,
) -> IdTagInfo | None:
    """Close the session with its final meter reading and bill; repeats change nothing.

    A paid session is settled in the same transaction (``backend.payments.settlement``);
    ``settled`` runs after the commit (the app passes ``backend.payments.notify``).
    """
    parsed = [parse_meter_value(e, timestamp) for e in transaction_data or []]

    async def work(session: AsyncSession) -> tuple[IdTagInfo | None, ChargingSession | None]:
        info = None
        if id_tag:
            info, _card = await _tag_info(session, ref, id_tag, now)
        row = await session.get(ChargingSession, transaction_id)
        if row is None or row.charger_id != ref.id or row.status == SessionStatus.COMPLETED:
            return info, None
        await store_samples(session, [(row.id, parsed)])
        row.status = SessionStatus.COMPLETED
        row.stopped_at = max(timestamp, row.started_at)
        row.meter_stop_wh = meter_stop
        row.stop_reason = (reason or "Local")[:32]
        row.energy_wh = max(meter_stop - row.meter_start_wh, 0)
        row.last_power_w = 0.0
        row.updated_at = now
        samples = (
            await session.execute(
                select(MeterSample.sampled_at, MeterSample.energy_wh)
                .where(MeterSample.session_id == row.id, MeterSample.energy_wh.is_not(None))
                .order_by(MeterSample.sampled_at)
            )
        ).all()
        points = [
            EnergyPoint(at, max(0, wh - row.meter_start_wh))
            for at, wh in samples
            if wh is not None and at <= row.stopped_at
        ]
        points.append(EnergyPoint(row.stopped_at, row.energy_wh))
        apply_costs(row, row.stopped_at, points, row.tariff_snapshot)
        # Paid sessions: capture from the hold under the intent's tariff snapshot.
        await settle_session(session, row, now=now, events=events)
        return info, row

    info, stopped = await writer.write(work)
    if stopped is not None:
        publish_session(events, "session.stopped", ref, stopped)
        if settled is not None:
            settled()
    return info


def payments_charging_port() -> Any:
    """The :class:`backend.payments.charging_port.ChargingPort` payments uses to start and stop
    paid sessions (found by ``backend.payments.charging_adapter``)."""
    from backend.services.ocpp_commands import PaymentsChargingPort

    return PaymentsChargingPort()


__all__ = [
    "APP_TAG_PREFIX",
    "PENDING_START_TTL",
    "IdTagInfo",
    "app_id_tag",
    "authorize",
    "create_pending_session",
    "fail_pending_session",
    "meter_values",
    "payments_charging_port",
    "publish_session",
    "start_transaction",
    "stop_transaction",
]
