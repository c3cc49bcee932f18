"""A driver's prepaid wallet: balance, statement, and card top-ups through the provider.

A top-up is a provider *sale* (authorize + capture in one) keyed ``chargepile:pi<id>:sale``;
the wallet is credited by the same guarded step that records the provider's answer, so a
top-up whose answer was lost (timeout) is finished by the outbox worker or the webhook and
credited exactly once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.context import AppContext
from backend.db.models import (
    PaymentIntent,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    WalletEntry,
)
from backend.errors import Invalid
from backend.payments import ledger
from backend.payments.config import runtime_of
from backend.payments.errors import PaymentDeclined
from backend.payments.operations import add_operation, run_operation
from backend.payments.tariff import format_minor
from backend_client.models import Page, WalletEntryPublic, WalletPublic


async def wallet_view(ctx: AppContext, driver_id: int, currency: str) -> WalletPublic:
    async with ctx.sessions() as db:
        wallet = await ledger.wallet_for(db, driver_id, currency)
        result = WalletPublic(
            currency=currency,
            balance_minor=await ledger.balance(db, wallet.id),
            held_minor=await ledger.held(db, wallet.id),
        )
        await db.commit()
    return result


async def wallet_entries(
    ctx: AppContext, driver_id: int, currency: str, *, limit: int, offset: int
) -> Page[WalletEntryPublic]:
    """The wallet's movements, newest first."""
    async with ctx.sessions() as db:
        wallet = await ledger.wallet_for(db, driver_id, currency)
        await db.commit()
        total = await db.scalar(
            select(func.count()).select_from(WalletEntry).where(WalletEntry.wallet_id == wallet.id)
        )
        rows = await db.scalars(
            select(WalletEntry)
            .where(WalletEntry.wallet_id == wallet.id)
            .order_by(WalletEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [
            WalletEntryPublic(
                id=e.id,
                kind=e.kind,
                amount_minor=e.amount_minor,
                session_id=e.session_id,
                note=e.note,
                created_at=e.created_at,
            )
            for e in rows
        ]
    return Page(items=items, total=int(total or 0), limit=limit, offset=offset)


async def top_up(
    ctx: AppContext, *, driver_id: int, amount_minor: int, currency: str, payment_method_token: str
) -> PaymentIntent:
    """Charge the card and credit the wallet.

    Declined → :class:`PaymentDeclined` (nothing credited). Provider silent → the intent is
    returned still ``authorizing``: the worker keeps retrying with the same key and credits
    the wallet when the provider answers.
    """
    settings = runtime_of(ctx).settings
    if not settings.topup_min_minor <= amount_minor <= settings.topup_max_minor:
        raise Invalid(
            f"A top-up must be between {format_minor(settings.topup_min_minor, currency)} and "
            f"{format_minor(settings.topup_max_minor, currency)}.",
            field_name="body.amount_minor",
        )
    now = ctx.clock()
    async with ctx.sessions() as db:
        intent = PaymentIntent(
            purpose=PaymentPurpose.TOPUP,
            method=PaymentMethod.CARD,
            status=PaymentStatus.AUTHORIZING,
            currency=currency,
            driver_id=driver_id,
            provider=runtime_of(ctx).provider.name,
            payment_method_token=payment_method_token,
            authorized_minor=amount_minor,
            created_at=now,
            updated_at=now,
        )
        db.add(intent)
        await db.flush()
        lease = now + timedelta(seconds=settings.outbox_lease_seconds)
        op = add_operation(db, intent, "sale", amount_minor, now=now, lease_until=lease)
        await db.commit()
        op_id, payment_id = op.id, intent.id
    await run_operation(ctx, op_id, inline=True)
    async with ctx.sessions() as db:
        intent = await db.get(PaymentIntent, payment_id)  # type: ignore[assignment]
    assert intent is not None
    if intent.status == PaymentStatus.DECLINED:
        reason = (intent.decline_code or "card_declined").replace("_", " ")
        raise PaymentDeclined(
            f"Your card was declined ({reason}); the wallet was not topped up.",
            decline_code=intent.decline_code or "card_declined",
        )
    return intent
