"""Money actually collected, for operator reports: revenue is the sum of captures.

:class:`backend.db.models.PaymentCapture` rows (one per paid session, written when the capture
succeeded) minus their ``refunded_minor`` are revenue. Operator reports fold them per session
start day in the rollup (:mod:`backend.services.report_rollup`); this sums them by the day the
money was collected, e.g. to reconcile with the provider's payouts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import PaymentCapture


async def captured_revenue(
    db: AsyncSession, *, operator_id: int, since: datetime, until: datetime
) -> dict[str, int]:
    """Net captured money (captures minus refunds) by currency, captured in [since, until)."""
    rows = await db.execute(
        select(
            PaymentCapture.currency,
            func.sum(PaymentCapture.amount_minor - PaymentCapture.refunded_minor),
        )
        .where(
            PaymentCapture.operator_id == operator_id,
            PaymentCapture.captured_at >= since,
            PaymentCapture.captured_at < until,
        )
        .group_by(PaymentCapture.currency)
    )
    return {currency: int(total or 0) for currency, total in rows.all()}
