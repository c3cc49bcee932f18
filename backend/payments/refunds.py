"""Refunds of captured session payments, by the operator's admins.

A refund never edits the capture: a wallet gets a ``refund`` ledger entry, a card gets a
provider refund (an outbox operation keyed ``chargepile:pi<id>:refund<n>``), and the amounts
refunded are added up on the intent and the revenue row. The total refunded — including
refunds still in flight — can never exceed what was captured.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from backend.context import AppContext
from backend.db.models import (
    EntryKind,
    OperationStatus,
    PaymentCapture,
    PaymentIntent,
    PaymentMethod,
    PaymentOperation,
    PaymentPurpose,
    PaymentStatus,
)
from backend.errors import Conflict, Invalid, NotFound
from backend.payments import ledger
from backend.payments.config import runtime_of
from backend.payments.operations import add_operation, run_operation, touch_paid_session
from backend.payments.tariff import format_minor
from backend.security import Principal
from backend.services import audit


async def refund_payment(
    ctx: AppContext,
    *,
    operator_id: int,
    payment_id: int,
    amount_minor: int,
    reason: str,
    by: Principal | None = None,
) -> PaymentIntent:
    """Give back ``amount_minor`` of a captured session payment of ``operator_id``.

    ``by`` is the staff member refunding: the audit entry is written in the refund's own
    transaction, so there is never a refund without its entry (or an entry without a refund).
    """
    if amount_minor <= 0:
        raise Invalid("A refund must be a positive amount.", field_name="body.amount_minor")
    now = ctx.clock()
    op_id: int | None = None
    async with ctx.sessions() as db:
        # The refund changes the session's revenue: mark it for the report rollups (session
        # row first, as settlement locks it). Rolled back with the rest if refused below.
        await touch_paid_session(db, payment_id, now=now)
        # Lock the intent first: concurrent refunds of one payment are serialized.
        await db.execute(
            update(PaymentIntent)
            .where(PaymentIntent.id == payment_id, PaymentIntent.operator_id == operator_id)
            .values(updated_at=now)
        )
        intent = await db.get(PaymentIntent, payment_id)
        if (
            intent is None
            or intent.operator_id != operator_id
            or intent.purpose != PaymentPurpose.SESSION
        ):
            raise NotFound(f"No payment with id {payment_id}.")
        if intent.status != PaymentStatus.CAPTURED:
            raise Conflict("Only a captured payment can be refunded.")
        in_flight = await db.scalar(
            select(func.coalesce(func.sum(PaymentOperation.amount_minor), 0)).where(
                PaymentOperation.payment_id == intent.id,
                PaymentOperation.step.like("refund%"),
                PaymentOperation.status == OperationStatus.PENDING,
            )
        )
        left = intent.captured_minor - intent.refunded_minor - int(in_flight or 0)
        if amount_minor > left:
            raise Invalid(
                f"At most {format_minor(left, intent.currency)} can still be refunded.",
                field_name="body.amount_minor",
            )
        count = await db.scalar(
            select(func.count())
            .select_from(PaymentOperation)
            .where(PaymentOperation.payment_id == intent.id, PaymentOperation.step.like("refund%"))
        )
        number = int(count or 0) + 1
        if intent.method == PaymentMethod.WALLET:
            assert intent.driver_id is not None
            wallet = await ledger.lock_wallet(db, intent.driver_id, intent.currency)
            await ledger.post(
                db, wallet, EntryKind.REFUND, amount_minor, key=f"pi{intent.id}:refund{number}",
                payment_id=intent.id, session_id=intent.session_id, note=reason or "refund",
            )  # fmt: skip
            intent.refunded_minor += amount_minor
            capture = await db.scalar(
                select(PaymentCapture).where(PaymentCapture.payment_id == intent.id)
            )
            if capture is not None:
                capture.refunded_minor += amount_minor
            # The sequence number is taken by a finished operation row, so the next refund
            # of this wallet payment gets the next number.
            op = add_operation(db, intent, f"refund{number}", amount_minor, now=now)
            op.status = OperationStatus.SUCCEEDED
            op.completed_at = now
        else:
            op = add_operation(db, intent, f"refund{number}", amount_minor, now=now)
        if by is not None:
            audit.record(
                db, principal=by, action="payment.refunded", target_type="payment",
                target_id=intent.id,
                detail={"amount_minor": amount_minor, "reason": reason, "refund": number},
            )  # fmt: skip
        await db.commit()
        op_id = op.id if intent.method == PaymentMethod.CARD else None
    if op_id is not None:
        await run_operation(ctx, op_id)
        runtime_of(ctx).kick()
    async with ctx.sessions() as db:
        refreshed = await db.get(PaymentIntent, payment_id)
    assert refreshed is not None
    return refreshed
