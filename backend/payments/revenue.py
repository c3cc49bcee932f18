"""Money actually collected, for operator reports: revenue is the sum of captures.

Reports group :class:`backend.db.models.PaymentCapture` rows (one per paid session, written
when the capture succeeded) by ``captured_at`` and operator/station/charger; refunds are
subtracted through ``refunded_minor``.
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
