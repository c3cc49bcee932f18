"""The operator's "today" dashboard: sessions, energy and revenue (money collected) so far in
the operator's local day, and how many chargers are online, charging or faulted right now.

Separate from the period reports because it reads live state (``is_online``, connector status)
rather than history, and must answer quickly on every refresh of the office app.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    Fault,
    Operator,
    PaymentCapture,
    RecordStatus,
    SessionStatus,
)
from backend.errors import NotFound
from backend.services.report_figures import RUNNING
from backend.services.report_rollup import local_day, local_midnight
from backend_client.models import TodayDashboard

_IN_USE = ("Charging", "SuspendedEV", "SuspendedEVSE", "Finishing")


async def today_dashboard(
    session: AsyncSession, operator_id: int, *, now: datetime
) -> TodayDashboard:
    """Today's sessions, energy and revenue so far, and the chargers' state right now."""
    operator = await session.get(Operator, operator_id)
    if operator is None:
        raise NotFound("operator not found")
    tz = ZoneInfo(operator.timezone)
    today = local_day(now, tz)
    s = ChargingSession
    p = PaymentCapture
    # Revenue is money collected (captures minus refunds) for today's sessions, as in the
    # reports; ``payment_captures.session_id`` is unique, so the join never doubles a session.
    sessions, energy, revenue = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(s.energy_wh), 0),
                func.coalesce(func.sum(p.amount_minor - p.refunded_minor), 0),
            )
            .select_from(s)
            .outerjoin(p, p.session_id == s.id)
            .where(
                s.operator_id == operator_id,
                s.started_at >= local_midnight(today, tz),
                s.started_at < local_midnight(today + timedelta(days=1), tz),
                s.status.in_((SessionStatus.ACTIVE, SessionStatus.COMPLETED)),
            )
        )
    ).one()
    # Sessions started before today and still running count as running now.
    active_now = await session.scalar(
        select(func.count()).select_from(s).where(s.operator_id == operator_id, RUNNING)
    )
    c = Charger
    chargers = (
        await session.execute(
            select(
                c.id,
                c.is_online,
                func.max(case((Connector.ocpp_status.in_(_IN_USE), 1), else_=0)),
                func.max(case((Connector.ocpp_status == "Faulted", 1), else_=0)),
            )
            .outerjoin(
                Connector,
                and_(Connector.charger_id == c.id, Connector.status == RecordStatus.ACTIVE),
            )
            .where(c.operator_id == operator_id, c.status == RecordStatus.ACTIVE)
            .group_by(c.id, c.is_online)
        )
    ).all()
    open_faults = await session.scalar(
        select(func.count()).where(Fault.operator_id == operator_id, Fault.cleared_at.is_(None))
    )
    online = [row for row in chargers if row[1]]
    return TodayDashboard(
        date=today,
        timezone=operator.timezone,
        currency=operator.currency,
        sessions=int(sessions),
        active_sessions=int(active_now or 0),
        energy_kwh=round(int(energy) / 1000.0, 3),
        revenue_minor=int(revenue),
        chargers_total=len(chargers),
        chargers_online=len(online),
        chargers_offline=len(chargers) - len(online),
        chargers_charging=sum(1 for row in online if row[2]),
        chargers_faulted=sum(1 for row in online if row[3]),
        open_faults=int(open_faults or 0),
        generated_at=now,
    )
