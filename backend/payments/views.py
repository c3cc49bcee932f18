"""Who may see which session's money, and the wire shapes of payments.

A driver sees only their own sessions, staff only their operator's, a guest only the session
of their receipt token; anything else is "not found" so existence never leaks.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChargingSession, PaymentIntent
from backend.errors import NotFound
from backend.payments.settlement import intent_for_session, payment_display_status
from backend.security import Principal
from backend_client.models import PaymentPublic, PaymentState, PayWith


def payment_public(intent: PaymentIntent) -> PaymentPublic:
    return PaymentPublic(
        id=intent.id,
        session_id=intent.session_id,
        pay_with=PayWith(intent.method),
        state=PaymentState(payment_display_status(intent.status)),
        currency=intent.currency,
        held_minor=intent.authorized_minor,
        final_cost_minor=intent.final_cost_minor,
        captured_minor=intent.captured_minor,
        refunded_minor=intent.refunded_minor,
        shortfall_minor=intent.shortfall_minor,
        decline_code=intent.decline_code,
        message=intent.message,
        created_at=intent.created_at,
        updated_at=intent.updated_at,
    )


async def visible_session(
    db: AsyncSession, session_id: int, principal: Principal
) -> tuple[ChargingSession, PaymentIntent | None]:
    """The session and its payment if ``principal`` may see them, else :class:`NotFound`."""
    session = await db.get(ChargingSession, session_id)
    allowed = session is not None and (
        (principal.kind == "driver" and session.driver_id == principal.id)
        or (principal.kind == "staff" and session.operator_id == principal.operator_id)
    )
    if not allowed or session is None:
        raise NotFound(f"No session with id {session_id}.")
    return session, await intent_for_session(db, session_id)


async def guest_session(db: AsyncSession, token: str) -> tuple[ChargingSession, PaymentIntent]:
    """The session a guest's receipt token opens, else :class:`NotFound`."""
    intent = (
        await db.scalar(select(PaymentIntent).where(PaymentIntent.receipt_token == token))
        if 16 <= len(token) <= 64
        else None
    )
    session = (
        await db.get(ChargingSession, intent.session_id) if intent and intent.session_id else None
    )
    if intent is None or session is None:
        raise NotFound("No session for this link.")
    return session, intent
