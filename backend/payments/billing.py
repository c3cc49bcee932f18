"""Starting a paid session: hold the money first, then start the charger.

:func:`start_paid_session` (routes) holds money — a wallet reservation or a card
authorization — then asks the charging layer to remote-start; a declined card starts nothing
(402), a charger that does not start gets its hold back. What happens at the end of the
session is in :mod:`backend.payments.settlement`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    EntryKind,
    Operator,
    PaymentIntent,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    RecordStatus,
    Station,
    Tariff,
)
from backend.errors import ChargerUnavailable, Conflict, DomainError, NotFound
from backend.payments import ledger
from backend.payments.config import runtime_of
from backend.payments.errors import InsufficientBalance, PaymentDeclined, PaymentUnavailable
from backend.payments.operations import add_operation, run_operation
from backend.payments.settlement import payment_tag
from backend.payments.tariff import (
    format_minor,
    snapshot_tariff,
)

log = logging.getLogger(__name__)

STARTABLE = {"Available", "Preparing"}


@dataclass(frozen=True)
class ChargeTarget:
    """A connector a session can be started on, with the tariff and zone that will bill it."""

    charger: Charger
    connector: Connector
    station: Station
    tariff: Tariff
    operator: Operator


async def load_target(db: AsyncSession, ocpp_id: str, connector_no: int) -> ChargeTarget:
    """The charger ``ocpp_id``'s connector ``connector_no`` with its station's tariff.

    One query (joins) rather than one per object: on the start path every database round
    trip is a thread hop, and on a busy machine each hop costs milliseconds.
    """
    row = (
        await db.execute(
            select(Charger, Connector, Station, Tariff, Operator)
            .join(Station, Station.id == Charger.station_id)
            .join(Operator, Operator.id == Charger.operator_id)
            .outerjoin(
                Connector,
                and_(
                    Connector.charger_id == Charger.id,
                    Connector.connector_no == connector_no,
                    Connector.status == RecordStatus.ACTIVE,
                ),
            )
            .outerjoin(Tariff, Tariff.id == Station.tariff_id)
            .where(Charger.ocpp_id == ocpp_id, Charger.status == RecordStatus.ACTIVE)
        )
    ).first()
    if row is None:
        raise NotFound(f"No charger {ocpp_id!r}.")
    charger, connector, station, tariff, operator = row
    if connector is None:
        raise NotFound(f"Charger {ocpp_id!r} has no connector {connector_no}.")
    if tariff is None or tariff.status != RecordStatus.ACTIVE:
        raise Conflict("This charger has no price set; it cannot be started with payment.")
    return ChargeTarget(charger, connector, station, tariff, operator)


def _check_startable(target: ChargeTarget) -> None:
    if not target.charger.is_online:
        raise ChargerUnavailable("The charger is offline; nothing was charged.")
    if target.connector.ocpp_status not in STARTABLE:
        raise Conflict(
            f"Connector {target.connector.connector_no} is {target.connector.ocpp_status}; "
            "nothing was charged."
        )


async def start_paid_session(
    ctx: AppContext,
    *,
    driver_id: int | None,
    ocpp_id: str,
    connector_no: int,
    method: PaymentMethod,
    payment_method_token: str | None,
) -> PaymentIntent:
    """Hold the money, then start the charger; returns the intent linked to its session.

    Guests (``driver_id`` None) must pay by card and get a ``receipt_token``.
    """
    runtime = runtime_of(ctx)
    settings = runtime.settings
    if runtime.charging is None:
        raise ChargerUnavailable("Remote start is not available on this server.")
    now = ctx.clock()
    async with ctx.sessions() as db:
        target = await load_target(db, ocpp_id, connector_no)
        _check_startable(target)
        snapshot = snapshot_tariff(target.tariff, timezone=target.operator.timezone, now=now)
        currency = target.tariff.currency
        intent = PaymentIntent(
            purpose=PaymentPurpose.SESSION,
            method=method,
            currency=currency,
            driver_id=driver_id,
            operator_id=target.charger.operator_id,
            station_id=target.station.id,
            charger_id=target.charger.id,
            connector_no=connector_no,
            provider=runtime.provider.name if method == PaymentMethod.CARD else "wallet",
            payment_method_token=payment_method_token,
            tariff_snapshot=snapshot,
            created_at=now,
            updated_at=now,
            receipt_token=secrets.token_urlsafe(24) if driver_id is None else None,
        )
        if method == PaymentMethod.WALLET:
            assert driver_id is not None
            wallet = await ledger.lock_wallet(db, driver_id, currency)
            available = await ledger.balance(db, wallet.id)
            if available < settings.wallet_min_start_minor:
                raise InsufficientBalance(
                    f"Your wallet has {format_minor(available, currency)}; at least "
                    f"{format_minor(settings.wallet_min_start_minor, currency)} is needed to "
                    "start. Top up first."
                )
            intent.authorized_minor = min(available, settings.wallet_hold_max_minor)
            intent.status = PaymentStatus.AUTHORIZED
            intent.wallet_id = wallet.id
            db.add(intent)
            await db.flush()
            await ledger.post(
                db, wallet, EntryKind.HOLD, -intent.authorized_minor,
                key=f"pi{intent.id}:hold", payment_id=intent.id, note="hold for charging",
            )  # fmt: skip
            await db.commit()
        else:
            intent.authorized_minor = (
                settings.card_hold_minor if driver_id is not None else settings.guest_hold_minor
            )
            db.add(intent)
            await db.flush()
            lease = now + timedelta(seconds=settings.outbox_lease_seconds)
            op = add_operation(
                db, intent, "authorize", intent.authorized_minor, now=now, lease_until=lease
            )
            await db.commit()
            op_id = op.id
    if method == PaymentMethod.CARD:
        await _authorize_inline(ctx, intent.id, op_id)
    try:
        session_id = await runtime.charging.remote_start(
            ctx,
            charger_id=target.charger.id,
            connector_no=connector_no,
            id_tag=payment_tag(intent.id),
            driver_id=driver_id,
        )
    except DomainError as exc:
        await abandon_start(ctx, intent.id, f"charger did not start: {exc.message}")
        raise
    except BaseException:
        await abandon_start(ctx, intent.id, "start interrupted")
        raise
    async with ctx.sessions() as db:
        intent = await _link(db, intent.id, session_id)
        await db.commit()
    return intent


async def _authorize_inline(ctx: AppContext, payment_id: int, op_id: int) -> None:
    op = await run_operation(ctx, op_id, inline=True)
    async with ctx.sessions() as db:
        intent = await db.get(PaymentIntent, payment_id)
        assert intent is not None
        if intent.status == PaymentStatus.AUTHORIZED:
            return
        if intent.status == PaymentStatus.DECLINED:
            reason = (intent.decline_code or "card_declined").replace("_", " ")
            raise PaymentDeclined(
                f"Your card was declined ({reason}). The charger was not started.",
                decline_code=intent.decline_code or "card_declined",
            )
        # No answer (timeout / provider down): give up on this start. The authorize stays in
        # the outbox: if it went through after all, the worker releases the hold.
        intent.status = PaymentStatus.FAILED
        intent.message = (op.last_error or "payment provider unavailable")[:200]
        await db.commit()
    runtime_of(ctx).kick()
    raise PaymentUnavailable(
        "The payment service did not answer; nothing was charged and the charger was not "
        "started. Please try again."
    )


async def abandon_start(ctx: AppContext, payment_id: int, reason: str) -> None:
    """Give back the hold of a start that did not happen."""
    now = ctx.clock()
    async with ctx.sessions() as db:
        intent = await db.get(PaymentIntent, payment_id, with_for_update=True)
        assert intent is not None
        intent.message = reason[:200]
        if intent.status == PaymentStatus.AUTHORIZED:
            await _release_hold(db, intent, now=now)
        await db.commit()
    runtime_of(ctx).kick()


async def _release_hold(db: AsyncSession, intent: PaymentIntent, *, now: datetime) -> None:
    if intent.method == PaymentMethod.WALLET:
        assert intent.driver_id is not None
        wallet = await ledger.lock_wallet(db, intent.driver_id, intent.currency)
        await ledger.post(
            db, wallet, EntryKind.HOLD_RELEASE, intent.authorized_minor,
            key=f"pi{intent.id}:release", payment_id=intent.id, note="hold released",
        )  # fmt: skip
        intent.status = PaymentStatus.RELEASED
    else:
        add_operation(db, intent, "release", 0, now=now)


async def _link(db: AsyncSession, payment_id: int, session_id: int) -> PaymentIntent:
    intent = await db.get(PaymentIntent, payment_id)
    session = await db.get(ChargingSession, session_id)
    assert intent is not None
    intent.session_id = session_id
    if session is not None and not session.tariff_snapshot:
        # The price shown and held for is the one billed: the session carries our snapshot.
        session.tariff_snapshot = dict(intent.tariff_snapshot)
        session.currency = intent.currency
    return intent
