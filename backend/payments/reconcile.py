"""Safety nets the outbox worker runs on every pass, so money follows sessions even when a
caller forgot a step or crashed half-way:

- :func:`settle_finished`: a paid session that ended (completed or failed to start) but whose
  payment is still ``authorized`` gets settled — the capture goes into the outbox.
- :func:`enforce_budgets`: a running paid session whose cost reached the hold (minus the
  margin) is stopped through the charging layer's remote stop.
- :func:`release_orphans`: a hold whose start never got a session (the process died between
  the authorization and the remote start) is given back.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select

from backend.context import AppContext
from backend.db.models import (
    ChargingSession,
    PaymentIntent,
    PaymentPurpose,
    PaymentStatus,
    SessionStatus,
)
from backend.errors import DomainError
from backend.payments.billing import abandon_start
from backend.payments.config import runtime_of
from backend.payments.settlement import adopt_by_tag, payment_tag, settle_session_by_id

log = logging.getLogger(__name__)

STOP_RETRY = timedelta(minutes=1)
ORPHAN_AFTER = timedelta(minutes=10)
"""Far longer than a remote start can take (the OCPP call timeout is seconds)."""


async def settle_finished(ctx: AppContext, *, limit: int) -> int:
    """Settle ended sessions whose payment is still held; returns how many."""
    async with ctx.sessions() as db:
        ids = list(
            await db.scalars(
                select(ChargingSession.id)
                .join(PaymentIntent, PaymentIntent.session_id == ChargingSession.id)
                .where(
                    PaymentIntent.status == PaymentStatus.AUTHORIZED,
                    ChargingSession.status.in_([SessionStatus.COMPLETED, SessionStatus.FAILED]),
                )
                .limit(limit)
            )
        )
    for session_id in ids:
        await settle_session_by_id(ctx, session_id)
    return len(ids)


async def enforce_budgets(ctx: AppContext, *, limit: int) -> int:
    """Ask the charger to stop running sessions that used up their hold; returns how many."""
    runtime = runtime_of(ctx)
    if runtime.charging is None:
        return 0
    margin = runtime.settings.stop_margin_percent
    now = ctx.clock()
    async with ctx.sessions() as db:
        rows = (
            await db.execute(
                select(ChargingSession.id)
                .join(PaymentIntent, PaymentIntent.session_id == ChargingSession.id)
                .where(
                    PaymentIntent.status == PaymentStatus.AUTHORIZED,
                    ChargingSession.status == SessionStatus.ACTIVE,
                    ChargingSession.cost_minor * 100
                    >= PaymentIntent.authorized_minor * (100 - margin),
                )
                .limit(limit)
            )
        ).all()
    asked = 0
    for (session_id,) in rows:
        last = runtime.stop_requested.get(session_id)
        if last is not None and now - last < STOP_RETRY:
            continue
        runtime.stop_requested[session_id] = now
        asked += 1
        try:
            async with asyncio.timeout(runtime.settings.provider_timeout_seconds):
                await runtime.charging.remote_stop(ctx, session_id=session_id)
            log.info("session %s stopped: its cost reached the payment hold", session_id)
        except (DomainError, TimeoutError) as exc:
            log.warning("could not stop over-budget session %s: %s", session_id, exc)
    for session_id in [s for s, at in runtime.stop_requested.items() if now - at > STOP_RETRY * 10]:
        del runtime.stop_requested[session_id]
    return asked


async def release_orphans(ctx: AppContext, *, limit: int) -> int:
    """Give back holds of starts that never got their session; returns how many."""
    cutoff = ctx.clock() - ORPHAN_AFTER
    async with ctx.sessions() as db:
        ids = list(
            await db.scalars(
                select(PaymentIntent.id)
                .where(
                    PaymentIntent.status == PaymentStatus.AUTHORIZED,
                    PaymentIntent.purpose == PaymentPurpose.SESSION,
                    PaymentIntent.session_id.is_(None),
                    PaymentIntent.created_at < cutoff,
                )
                .limit(limit)
            )
        )
    for payment_id in ids:
        if await _adopted(ctx, payment_id):
            continue
        log.warning("payment %s held for a start that never happened: releasing", payment_id)
        await abandon_start(ctx, payment_id, "the start never completed")
    return len(ids)


async def _adopted(ctx: AppContext, payment_id: int) -> bool:
    """Whether the start did happen after all (the backend stopped before linking it): the
    charger runs a session under the payment's id tag. Link it instead of giving the hold
    back, and bill it now if it already ended."""
    async with ctx.sessions() as db:
        intent = await db.get(PaymentIntent, payment_id)
        if intent is None or intent.charger_id is None:
            return False
        session = await db.scalar(
            select(ChargingSession)
            .where(
                ChargingSession.charger_id == intent.charger_id,
                ChargingSession.id_tag == payment_tag(payment_id),
            )
            .order_by(ChargingSession.id.desc())
            .limit(1)
        )
        if session is None or await adopt_by_tag(db, session) is None:
            return False
        ended = session.status in (SessionStatus.COMPLETED, SessionStatus.FAILED)
        session_id = session.id
        await db.commit()
    if ended:
        await settle_session_by_id(ctx, session_id)
    return True
