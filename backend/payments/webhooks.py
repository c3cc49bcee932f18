"""Provider webhooks: verified, recorded once per provider event id, then reconciled.

A webhook is refused (nothing changed) unless its HMAC-SHA256 signature and timestamp are
right. The event id is inserted with ON CONFLICT DO NOTHING before anything else happens, so a
re-delivered event is acknowledged and ignored. A genuine new event completes the matching
pending operation — the case where the provider did the work but our call timed out — through
the same guarded path the outbox worker uses, so the effect is applied exactly once whichever
arrives first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from backend.context import AppContext
from backend.db.models import OperationStatus, PaymentIntent, PaymentOperation, WebhookEvent
from backend.errors import NotFound
from backend.payments.config import runtime_of
from backend.payments.ledger import insert_ignore
from backend.payments.operations import complete_operation

log = logging.getLogger(__name__)

# Which of our pending steps an event type completes.
_STEPS = {
    "payment.authorized": ("authorize",),
    "payment.captured": ("capture", "sale"),
    "payment.released": ("release",),
}


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    duplicate: bool
    applied: bool


async def handle_webhook(
    ctx: AppContext, provider_name: str, body: bytes, headers: Mapping[str, str]
) -> WebhookOutcome:
    """Verify, deduplicate and apply one webhook; raises :class:`WebhookRejected` if forged."""
    runtime = runtime_of(ctx)
    if provider_name != runtime.provider.name:
        raise NotFound(f"No payment provider {provider_name!r}.")
    event = runtime.provider.parse_webhook(body, headers, int(ctx.clock().timestamp()))
    async with ctx.sessions() as db:
        fresh = await insert_ignore(
            db,
            WebhookEvent,
            {
                "provider": provider_name,
                "event_id": event.id[:80],
                "event_type": event.type[:40],
                "provider_ref": event.payment.ref[:80],
                "payload": event.payment.to_json(),
                "received_at": ctx.clock(),
            },
            ["provider", "event_id"],
        )
        if not fresh:
            await db.commit()
            return WebhookOutcome(event.id, duplicate=True, applied=False)
        applied = False
        intent = await db.scalar(
            select(PaymentIntent).where(
                PaymentIntent.provider == provider_name,
                PaymentIntent.provider_ref == event.payment.ref,
            )
        )
        steps = _STEPS.get(event.type, ())
        if intent is not None and steps:
            op_ids = await db.scalars(
                select(PaymentOperation.id).where(
                    PaymentOperation.payment_id == intent.id,
                    PaymentOperation.step.in_(steps),
                    PaymentOperation.status == OperationStatus.PENDING,
                )
            )
            for op_id in list(op_ids):
                applied = await complete_operation(ctx, db, op_id, event.payment) or applied
        await db.commit()
    if applied:
        log.info("webhook %s completed a pending payment operation", event.id)
    return WebhookOutcome(event.id, duplicate=False, applied=applied)
