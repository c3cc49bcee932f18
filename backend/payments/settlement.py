"""Settling a paid session: keep its cost under the hold, bill it at the stop.

Entry points for the charging (OCPP) layer:

- :func:`session_budget` (after each meter update): may the session go on, or must it be
  stopped before its cost exceeds the hold? (The outbox worker enforces it too.)
- :func:`settle_session` (inside the StopTransaction transaction): bill the final cost with
  the snapshot taken at start; a card capture is written to the outbox in the same
  transaction, so it survives a crash right after the stop; a wallet is charged at once.

A paid start tells the charger the id tag ``PAY<payment id>`` (:func:`payment_tag`) before it
links the payment to the session; if the backend stops between the two, the session still
carries that tag, and :func:`adopt_by_tag` links it when the session is settled (or when the
reconciler would otherwise give the hold back), so the session is billed all the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import (
    ChargingSession,
    EntryKind,
    MeterSample,
    PaymentIntent,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    SessionStatus,
)
from backend.payments import ledger
from backend.payments.config import runtime_of
from backend.payments.operations import add_operation, record_capture
from backend.payments.tariff import (
    CostBreakdown,
    EnergyPoint,
    format_minor,
    points_from_meter,
    running_cost,
)
from backend.services.events import Audience, EventBus

log = logging.getLogger(__name__)


PAY_TAG_PREFIX = "PAY"


def payment_tag(payment_id: int) -> str:
    """The OCPP id tag a paid start runs under: it names the payment."""
    return f"{PAY_TAG_PREFIX}{payment_id}"


def payment_of_tag(id_tag: str) -> int | None:
    """The payment id a :func:`payment_tag` names, or None for any other id tag."""
    number = id_tag.removeprefix(PAY_TAG_PREFIX)
    if number == id_tag or not number.isdigit():
        return None
    return int(number)


async def intent_for_session(db: AsyncSession, session_id: int) -> PaymentIntent | None:
    return await db.scalar(select(PaymentIntent).where(PaymentIntent.session_id == session_id))


async def adopt_by_tag(db: AsyncSession, session: ChargingSession) -> PaymentIntent | None:
    """Link the paid start whose link was never written to ``session`` (by its id tag).

    Only an unlinked session payment for the same charger and connector qualifies, so an
    RFID card that happens to be called ``PAY7`` never picks up someone's payment.
    """
    payment_id = payment_of_tag(session.id_tag)
    if payment_id is None:
        return None
    intent = await db.get(PaymentIntent, payment_id)
    if (
        intent is None
        or intent.session_id is not None
        or intent.purpose != PaymentPurpose.SESSION
        or intent.charger_id != session.charger_id
        or intent.connector_no != session.connector_no
    ):
        return None
    intent.session_id = session.id
    if not session.tariff_snapshot:
        session.tariff_snapshot = dict(intent.tariff_snapshot)
        session.currency = intent.currency
    log.warning("payment %s linked to session %s by its id tag", intent.id, session.id)
    return intent


@dataclass(frozen=True)
class Budget:
    """Whether a paid session may go on: its cost against the money held for it."""

    may_continue: bool
    cost_minor: int
    limit_minor: int | None
    reason: str | None = None


async def session_budget(
    db: AsyncSession, session_id: int, cost_minor: int, *, margin_percent: int = 5
) -> Budget:
    """Call after each meter update with the running cost; stop the session when
    ``may_continue`` is False: its cost reached the hold minus ``margin_percent`` (room for
    the energy delivered until the next sample). Sessions without payment always continue."""
    intent = await intent_for_session(db, session_id)
    if intent is None or intent.status != PaymentStatus.AUTHORIZED:
        return Budget(True, cost_minor, None)
    threshold = intent.authorized_minor * (100 - margin_percent) // 100
    if cost_minor >= threshold:
        return Budget(
            False,
            cost_minor,
            intent.authorized_minor,
            f"cost {format_minor(cost_minor, intent.currency)} reached the limit of "
            f"{format_minor(intent.authorized_minor, intent.currency)} held for this session",
        )
    return Budget(True, cost_minor, intent.authorized_minor)


async def session_cost(
    db: AsyncSession, session: ChargingSession, snapshot: dict[str, object] | None = None
) -> CostBreakdown:
    """The session's cost under its snapshot (the intent's, when paid) up to its end/now."""
    samples = await db.execute(
        select(MeterSample.sampled_at, MeterSample.energy_wh)
        .where(MeterSample.session_id == session.id)
        .order_by(MeterSample.sampled_at)
    )
    points = points_from_meter(session.meter_start_wh, [(a, e) for a, e in samples.all()])
    end = session.stopped_at or max([session.started_at, *(p.at for p in points)])
    if session.meter_stop_wh is not None:
        points.append(EnergyPoint(end, max(0, session.meter_stop_wh - session.meter_start_wh)))
    elif session.energy_wh and (not points or points[-1].energy_wh < session.energy_wh):
        points.append(EnergyPoint(end, session.energy_wh))
    return running_cost(
        dict(snapshot or session.tariff_snapshot),
        points,
        session.started_at,
        end,
        session.idle_since,
    )


async def settle_session(
    db: AsyncSession,
    session: ChargingSession,
    *,
    now: datetime,
    events: EventBus | None = None,
) -> PaymentIntent | None:
    """Bill a finished (or failed-to-start) session; call in the StopTransaction transaction.

    Idempotent and race-safe: only the first call moves the intent out of ``authorized``;
    later ones (a duplicate StopTransaction, two stops racing) change nothing. Commit, then
    call :func:`backend.payments.notify` so the outbox worker captures without waiting.
    Returns None for a session without payment (e.g. an RFID start).
    """
    intent = await intent_for_session(db, session.id) or await adopt_by_tag(db, session)
    if intent is None:
        return None
    if session.status == SessionStatus.FAILED:
        total = 0
    else:
        cost = await session_cost(db, session, intent.tariff_snapshot)
        total = cost.total_minor
        session.energy_cost_minor = cost.energy_minor
        session.time_cost_minor = cost.time_minor
        session.idle_cost_minor = cost.idle_minor
        session.cost_minor = cost.total_minor
    amount = min(total, intent.authorized_minor)
    claimed = await db.execute(
        update(PaymentIntent)
        .where(PaymentIntent.id == intent.id, PaymentIntent.status == PaymentStatus.AUTHORIZED)
        .values(
            status=PaymentStatus.CAPTURE_PENDING,
            final_cost_minor=total,
            shortfall_minor=total - amount,
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        return intent  # already settled by an earlier stop
    await db.refresh(intent)
    if intent.method == PaymentMethod.WALLET:
        assert intent.driver_id is not None
        wallet = await ledger.lock_wallet(db, intent.driver_id, intent.currency)
        await ledger.post(
            db, wallet, EntryKind.HOLD_RELEASE, intent.authorized_minor,
            key=f"pi{intent.id}:release", payment_id=intent.id, session_id=session.id,
            note="hold released",
        )  # fmt: skip
        if amount > 0:
            await ledger.post(
                db, wallet, EntryKind.CHARGE, -amount, key=f"pi{intent.id}:charge",
                payment_id=intent.id, session_id=session.id, note=f"charging session {session.id}",
            )  # fmt: skip
            await record_capture(db, intent, amount, now=now)
        else:
            intent.status = PaymentStatus.RELEASED
    elif amount > 0:
        add_operation(db, intent, "capture", amount, now=now)
    else:
        add_operation(db, intent, "release", 0, now=now)
    if intent.driver_id is not None and events is not None:
        events.publish(
            "session.payment",
            {"session_id": session.id, "status": payment_display_status(intent.status),
             "amount_minor": amount, "currency": intent.currency},
            Audience.driver(intent.driver_id),
        )  # fmt: skip
    return intent


def payment_display_status(status: PaymentStatus | str) -> str:
    """What a driver is told: ``held``, ``pending`` (capture in progress), ``paid``, ..."""
    return {
        PaymentStatus.AUTHORIZING: "processing",
        PaymentStatus.AUTHORIZED: "held",
        PaymentStatus.CAPTURE_PENDING: "pending",
        PaymentStatus.CAPTURED: "paid",
        PaymentStatus.RELEASED: "released",
        PaymentStatus.DECLINED: "declined",
        PaymentStatus.FAILED: "failed",
    }[PaymentStatus(status)]


async def settle_session_by_id(ctx: AppContext, session_id: int) -> PaymentIntent | None:
    """:func:`settle_session` in a transaction of its own (for callers outside one)."""
    async with ctx.sessions() as db:
        session = await db.get(ChargingSession, session_id)
        if session is None:
            return None
        intent = await settle_session(db, session, now=ctx.clock(), events=ctx.events)
        await db.commit()
    runtime_of(ctx).kick()
    return intent
