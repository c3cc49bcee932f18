"""Provider calls, exactly once: persist the key, claim, call, apply the answer once.

Every call to the provider is a :class:`PaymentOperation` row whose deterministic idempotency
key (``chargepile:pi<payment>:<step>``) is committed *before* the first attempt. Running an
operation:

1. **claim** it with a conditional UPDATE (pending and not leased) in its own transaction, so
   two workers — or a worker and a webhook — never call for it at the same time;
2. **call** the provider outside any database transaction (no lock held during network I/O),
   bounded by a timeout;
3. **apply** the answer in one transaction guarded by ``status='pending'``: the first writer
   applies the side effects (capture row, wallet credit, intent status), any later one —
   a retry, a re-delivered webhook — finds nothing to do.

A timeout or provider 5xx leaves the row pending with exponential back-off; the outbox worker
retries it with the same key until the provider answers.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import (
    ChargingSession,
    EntryKind,
    OperationStatus,
    PaymentCapture,
    PaymentIntent,
    PaymentOperation,
    PaymentPurpose,
    PaymentStatus,
)
from backend.payments import ledger
from backend.payments.config import PaymentsRuntime, runtime_of
from backend.payments.errors import ProviderDeclined, ProviderRequestError, ProviderUnavailable
from backend.payments.provider import ProviderPayment

log = logging.getLogger(__name__)


def operation_key(payment_id: int, step: str) -> str:
    """The deterministic idempotency key of ``step`` for payment ``payment_id``."""
    return f"chargepile:pi{payment_id}:{step}"


def add_operation(
    db: AsyncSession,
    intent: PaymentIntent,
    step: str,
    amount_minor: int,
    *,
    now: datetime,
    lease_until: datetime | None = None,
) -> PaymentOperation:
    """Queue ``step`` for ``intent`` in the caller's transaction (the outbox write).

    ``lease_until`` keeps the worker off it while the caller runs it inline: the row is
    created already claimed (its first attempt counted), so the inline run needs no claim
    transaction of its own.
    """
    op = PaymentOperation(
        payment_id=intent.id,
        step=step,
        idempotency_key=operation_key(intent.id, step),
        amount_minor=amount_minor,
        status=OperationStatus.PENDING,
        next_attempt_at=now,
        lease_until=lease_until,
        attempts=1 if lease_until is not None else 0,
    )
    db.add(op)
    return op


async def claim(ctx: AppContext, op_id: int, *, lease_seconds: float, inline: bool = False) -> bool:
    """Take the lease on a due operation; False when someone else has it or it is done.

    ``inline`` claims an operation its creator leased to itself.
    """
    now = ctx.clock()
    conditions = [PaymentOperation.id == op_id, PaymentOperation.status == OperationStatus.PENDING]
    if not inline:
        conditions.append(
            or_(PaymentOperation.lease_until.is_(None), PaymentOperation.lease_until <= now)
        )
    async with ctx.sessions() as db:
        result = await db.execute(
            update(PaymentOperation)
            .where(*conditions)
            .values(
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=PaymentOperation.attempts + 1,
            )
        )
        await db.commit()
    return bool(getattr(result, "rowcount", 0))


async def run_operation(ctx: AppContext, op_id: int, *, inline: bool = False) -> PaymentOperation:
    """Claim, call and apply one operation; returns its row as it stands afterwards.

    Raises nothing for provider trouble: the outcome is recorded on the row (and the intent).
    """
    runtime = runtime_of(ctx)
    settings = runtime.settings
    # ``inline``: the caller created the operation leased to itself a moment ago (see
    # add_operation), so it is ours already; claiming it again would cost a write transaction
    # on the start path for nothing.
    if inline or await claim(ctx, op_id, lease_seconds=settings.outbox_lease_seconds):
        async with ctx.sessions() as db:
            row = (
                await db.execute(
                    select(PaymentOperation, PaymentIntent)
                    .join(PaymentIntent, PaymentIntent.id == PaymentOperation.payment_id)
                    .where(PaymentOperation.id == op_id)
                )
            ).one()
        op, intent = row
        outcome: ProviderPayment | Exception
        try:
            async with asyncio.timeout(settings.provider_timeout_seconds):
                outcome = await _call(runtime, op, intent)
        except TimeoutError:
            outcome = ProviderUnavailable("the payment provider did not answer in time")
        except (ProviderDeclined, ProviderRequestError, ProviderUnavailable) as exc:
            outcome = exc
        async with ctx.sessions() as db:
            await _apply(ctx, db, op_id, outcome)
            await db.commit()
    async with ctx.sessions() as db:
        final = await db.get(PaymentOperation, op_id)
    assert final is not None
    return final


async def _call(
    runtime: PaymentsRuntime, op: PaymentOperation, intent: PaymentIntent
) -> ProviderPayment:
    provider = runtime.provider
    key = op.idempotency_key
    if op.step in ("authorize", "sale"):
        return await provider.authorize(
            idempotency_key=key,
            amount_minor=op.amount_minor,
            currency=intent.currency,
            payment_method=intent.payment_method_token or "",
            capture=op.step == "sale",
        )
    if intent.provider_ref is None:
        raise ProviderRequestError("no provider payment to act on")
    if op.step == "capture":
        return await provider.capture(
            idempotency_key=key, ref=intent.provider_ref, amount_minor=op.amount_minor
        )
    if op.step == "release":
        return await provider.release(idempotency_key=key, ref=intent.provider_ref)
    if op.step.startswith("refund"):
        return await provider.refund(
            idempotency_key=key, ref=intent.provider_ref, amount_minor=op.amount_minor
        )
    raise ProviderRequestError(f"unknown step {op.step}")


def _backoff(runtime_settings_poll: float, cap: float, attempts: int) -> timedelta:
    return timedelta(seconds=min(cap, runtime_settings_poll * (2 ** max(0, attempts - 1))))


async def _apply(
    ctx: AppContext, db: AsyncSession, op_id: int, outcome: ProviderPayment | Exception
) -> None:
    settings = runtime_of(ctx).settings
    now = ctx.clock()
    op = await db.get(PaymentOperation, op_id)
    assert op is not None
    if isinstance(outcome, ProviderUnavailable):
        await db.execute(
            update(PaymentOperation)
            .where(PaymentOperation.id == op_id, PaymentOperation.status == OperationStatus.PENDING)
            .values(
                lease_until=None,
                last_error=str(outcome)[:200],
                next_attempt_at=now
                + _backoff(
                    settings.outbox_poll_seconds, settings.outbox_max_backoff_seconds, op.attempts
                ),
            )
        )
        log.info("payment operation %s will be retried: %s", op.idempotency_key, outcome)
        return
    if isinstance(outcome, ProviderPayment):
        await complete_operation(ctx, db, op_id, outcome)
        return
    # A definitive refusal: declined card or a request the provider will never accept.
    finished = await _finish(db, op_id, OperationStatus.FAILED, now, error=str(outcome))
    if not finished:
        return
    intent = await db.get(PaymentIntent, op.payment_id, with_for_update=True)
    assert intent is not None
    if isinstance(outcome, ProviderDeclined) and op.step in ("authorize", "sale"):
        if intent.status == PaymentStatus.AUTHORIZING:
            intent.status = PaymentStatus.DECLINED
        intent.decline_code = outcome.decline_code
        intent.message = outcome.message[:200]
    else:
        log.error("payment operation %s refused: %s", op.idempotency_key, outcome)
        intent.message = f"{op.step} refused by the provider: {outcome}"[:200]


async def _finish(
    db: AsyncSession,
    op_id: int,
    status: OperationStatus,
    now: datetime,
    *,
    error: str | None = None,
    response: ProviderPayment | None = None,
) -> bool:
    """Move a pending operation to ``status``; False when it was no longer pending."""
    values: dict[str, object] = {"status": status, "completed_at": now, "lease_until": None}
    if error is not None:
        values["last_error"] = error[:200]
    if response is not None:
        values["provider_response"] = response.to_json()
    result = await db.execute(
        update(PaymentOperation)
        .where(PaymentOperation.id == op_id, PaymentOperation.status == OperationStatus.PENDING)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


async def complete_operation(
    ctx: AppContext, db: AsyncSession, op_id: int, payment: ProviderPayment
) -> bool:
    """Record that the provider carried out operation ``op_id`` and apply its effects, once.

    Shared by the worker (an answer) and webhooks (the provider says it happened even though
    our call timed out). False when it had already been applied.
    """
    now = ctx.clock()
    if not await _finish(db, op_id, OperationStatus.SUCCEEDED, now, response=payment):
        return False
    op = await db.get(PaymentOperation, op_id)
    assert op is not None
    if op.step == "capture" or op.step.startswith("refund"):
        # Session row before intent row: the lock order of a StopTransaction's settlement.
        await touch_paid_session(db, op.payment_id, now=now)
    intent = await db.get(PaymentIntent, op.payment_id, with_for_update=True)
    assert intent is not None
    if op.step == "authorize":
        intent.provider_ref = payment.ref
        if intent.status == PaymentStatus.AUTHORIZING:
            intent.status = PaymentStatus.AUTHORIZED
        elif intent.status in (PaymentStatus.FAILED, PaymentStatus.DECLINED):
            # The start was abandoned (provider timed out, we told the driver it failed) but
            # the hold went through after all: give it back.
            add_operation(db, intent, "release", 0, now=now)
    elif op.step == "sale":
        intent.provider_ref = payment.ref
        await credit_topup(db, intent, now=now)
    elif op.step == "capture":
        await record_capture(db, intent, payment.amount_captured, now=now)
    elif op.step == "release":
        if intent.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURE_PENDING):
            intent.status = PaymentStatus.RELEASED
    elif op.step.startswith("refund"):
        intent.refunded_minor += op.amount_minor
        capture = await db.scalar(
            select(PaymentCapture).where(PaymentCapture.payment_id == intent.id)
        )
        if capture is not None:
            capture.refunded_minor += op.amount_minor
    return True


async def credit_topup(db: AsyncSession, intent: PaymentIntent, *, now: datetime) -> None:
    """Credit a top-up's money to its wallet (once: the entry key is per intent)."""
    assert intent.purpose == PaymentPurpose.TOPUP and intent.driver_id is not None
    wallet = await ledger.lock_wallet(db, intent.driver_id, intent.currency)
    await ledger.post(
        db, wallet, EntryKind.TOPUP, intent.authorized_minor, key=f"pi{intent.id}:topup",
        payment_id=intent.id, note="top-up",
    )  # fmt: skip
    intent.status = PaymentStatus.CAPTURED
    intent.captured_minor = intent.authorized_minor


async def record_capture(
    db: AsyncSession, intent: PaymentIntent, amount_minor: int, *, now: datetime
) -> None:
    """Mark a session payment captured and add its revenue row (one per payment)."""
    intent.status = PaymentStatus.CAPTURED
    intent.captured_minor = amount_minor
    assert intent.session_id is not None
    assert intent.operator_id is not None and intent.station_id is not None
    assert intent.charger_id is not None
    await ledger.insert_ignore(
        db,
        PaymentCapture,
        {
            "payment_id": intent.id,
            "session_id": intent.session_id,
            "operator_id": intent.operator_id,
            "station_id": intent.station_id,
            "charger_id": intent.charger_id,
            "method": intent.method,
            "currency": intent.currency,
            "amount_minor": amount_minor,
            "refunded_minor": 0,
            "captured_at": now,
        },
        ["payment_id"],
    )
    await touch_session(db, intent.session_id, now=now)


async def touch_session(db: AsyncSession, session_id: int, *, now: datetime) -> None:
    """Mark the session changed because money for it moved (a capture or a refund).

    Report rollups fold a day again when one of its sessions' ``updated_at`` passes their
    watermark (:mod:`backend.services.report_rollup`); a card capture or a refund lands after
    the session row was last written, and without this its revenue would never be counted.
    """
    await db.execute(
        update(ChargingSession)
        .where(ChargingSession.id == session_id)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def touch_paid_session(db: AsyncSession, payment_id: int, *, now: datetime) -> None:
    """:func:`touch_session` for the session payment ``payment_id`` belongs to (if any).

    Takes the session's row lock before the caller locks the intent, in the same order as
    settling a session at its stop, so the two never deadlock on PostgreSQL.
    """
    session_of = (
        select(PaymentIntent.session_id).where(PaymentIntent.id == payment_id).scalar_subquery()
    )
    await db.execute(
        update(ChargingSession)
        .where(ChargingSession.id == session_of)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def due_operations(ctx: AppContext, *, limit: int) -> list[int]:
    """Ids of pending operations whose time has come and whose lease (if any) expired."""
    now = ctx.clock()
    async with ctx.sessions() as db:
        rows = await db.scalars(
            select(PaymentOperation.id)
            .where(
                PaymentOperation.status == OperationStatus.PENDING,
                PaymentOperation.next_attempt_at <= now,
                or_(PaymentOperation.lease_until.is_(None), PaymentOperation.lease_until <= now),
            )
            .order_by(PaymentOperation.next_attempt_at, PaymentOperation.id)
            .limit(limit)
        )
        return list(rows)
