"""Keeps :class:`~backend.db.models.SessionDailyRollup` in step with ``charging_sessions``.

Reports must stay fast at a million sessions a month, so they read daily per-charger sums
instead of sessions. Rather than asking every writer of sessions to also maintain those sums,
the rollup refreshes itself before each report: completed sessions whose ``updated_at`` is
newer than the operator's watermark mark their start day dirty, and each dirty day is
recomputed in the database with one ``INSERT ... SELECT`` (rows never travel to Python).
The watermark trails the clock by :data:`COMMIT_LAG` because a concurrent writer may commit
a row stamped slightly earlier than one already seen; recomputing a day twice is harmless.

Revenue is money actually collected: each session's capture (``payment_captures``, at most one
per session) minus what was refunded of it, counted on the session's start day like the rest
of its figures. A capture or refund lands after the session row was written, so the payments
code bumps ``charging_sessions.updated_at`` when it records one
(:func:`backend.payments.operations.touch_session`) and the day is folded again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Float,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from backend.db.models import (
    ChargingSession,
    PaymentCapture,
    ReportRollupState,
    SessionDailyRollup,
    SessionStatus,
)

COMMIT_LAG = timedelta(seconds=60)
"""Changes newer than this are re-read on the next refresh, for writers that commit late."""

REFRESH_ATTEMPTS = 3
"""Retries when a concurrent refresher wins a race (see :func:`refresh_rollups`)."""

SPILL_DAYS = 2
"""Busy time of a session counts on its start day and at most this many following days."""


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant the operator's local ``day`` begins."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    """The operator's local date at ``instant``."""
    return instant.astimezone(tz).date()


def epoch_seconds(
    column: ColumnElement[datetime]
    | ColumnElement[datetime | None]
    | InstrumentedAttribute[datetime]
    | InstrumentedAttribute[datetime | None],
    dialect: str,
) -> ColumnElement[float]:
    """Seconds since 1970 of a UTC timestamp column, as a float, on either database."""
    if dialect == "sqlite":
        # UTCDateTime stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) on SQLite.
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(extract("epoch", column), Float)


def _clip_between(value: ColumnElement[float], lo: float, hi: float) -> ColumnElement[float]:
    """``min(max(value, lo), hi) - lo``: the part of [lo, value) inside [lo, hi)."""
    upper = case((value < hi, value), else_=hi)
    return case((upper > lo, upper - lo), else_=0.0)


async def _recompute_day(
    session: AsyncSession, operator_id: int, day: date, tz: ZoneInfo, dialect: str
) -> None:
    """Replace the rollup rows of ``day`` from the completed sessions that started on it."""
    bounds = [local_midnight(day + timedelta(days=k), tz) for k in range(SPILL_DAYS + 2)]
    ends = [b.timestamp() for b in bounds[1:]]
    s = ChargingSession
    start = epoch_seconds(s.started_at, dialect)
    stop = epoch_seconds(func.coalesce(s.stopped_at, s.started_at), dialect)
    # Busy time on the start day: from start until the stop or the day's end.
    busy0 = func.sum(
        case((stop < ends[0], stop), else_=ends[0]) - case((start < stop, start), else_=stop)
    )
    busy1 = func.sum(_clip_between(stop, ends[0], ends[1]))
    busy2 = func.sum(_clip_between(stop, ends[1], ends[2]))
    c = PaymentCapture
    # ``payment_captures.session_id`` is unique: the outer join never duplicates a session.
    net_captured = func.coalesce(c.amount_minor - c.refunded_minor, 0)
    source = (
        select(
            literal(operator_id),
            literal(day, Date()),
            s.charger_id,
            s.station_id,
            func.count(),
            func.coalesce(func.sum(s.energy_wh), 0),
            func.coalesce(func.sum(net_captured), 0),
            cast(func.round(busy0), BigInteger),
            cast(func.round(busy1), BigInteger),
            cast(func.round(busy2), BigInteger),
        )
        .where(
            s.operator_id == operator_id,
            s.started_at >= bounds[0],
            s.started_at < bounds[1],
            s.status == SessionStatus.COMPLETED,
        )
        .outerjoin(c, c.session_id == s.id)
        .group_by(s.charger_id, s.station_id)
    )
    r = SessionDailyRollup
    await session.execute(delete(r).where(r.operator_id == operator_id, r.day == day))
    await session.execute(
        insert(r).from_select(
            [
                r.operator_id,
                r.day,
                r.charger_id,
                r.station_id,
                r.sessions,
                r.energy_wh,
                r.revenue_minor,
                r.busy_s0,
                r.busy_s1,
                r.busy_s2,
            ],
            source,
        )
    )


async def _changed_start_days(
    session: AsyncSession, operator_id: int, since: datetime, tz: ZoneInfo
) -> tuple[set[date], datetime | None]:
    """Start days of completed sessions changed after ``since``, and the newest change seen."""
    s = ChargingSession
    rows = await session.execute(
        select(s.started_at, s.updated_at).where(
            s.operator_id == operator_id,
            s.updated_at > since,
            s.status == SessionStatus.COMPLETED,
        )
    )
    days: set[date] = set()
    newest: datetime | None = None
    for started_at, updated_at in rows:
        days.add(local_day(started_at, tz))
        if newest is None or updated_at > newest:
            newest = updated_at
    return days, newest


async def _all_days(
    session: AsyncSession, operator_id: int, tz: ZoneInfo, now: datetime
) -> Iterable[date]:
    s = ChargingSession
    first = await session.scalar(select(func.min(s.started_at)).where(s.operator_id == operator_id))
    if first is None:
        return []
    lo, hi = local_day(first, tz), local_day(now, tz)
    return [lo + timedelta(days=k) for k in range((hi - lo).days + 1)]


async def refresh_rollups(
    session: AsyncSession, operator_id: int, timezone: str, *, now: datetime
) -> int:
    """Bring the operator's rollup up to date and commit; returns how many days were redone.

    Rolls the session back on a lost race, so ORM objects loaded before the call are expired:
    read what you need from them first.

    The first call (or the first after a timezone change) builds the whole history.
    Concurrent refreshers may race on the same day: the loser's work is rolled back and the
    winner's rows stand, which are equally fresh.
    """
    for attempt in range(REFRESH_ATTEMPTS):
        try:
            return await _refresh(session, operator_id, timezone, now)
        except IntegrityError:
            # Another refresher inserted the same rows first: its work stands.
            await session.rollback()
        except OperationalError:
            # SQLite refuses to turn a read into a write once another writer has committed
            # ("database is locked"): start over on a fresh snapshot.
            await session.rollback()
            if attempt == REFRESH_ATTEMPTS - 1:
                raise
    return 0


async def _refresh(session: AsyncSession, operator_id: int, timezone: str, now: datetime) -> int:
    tz = ZoneInfo(timezone)
    dialect = session.get_bind().dialect.name
    state = await session.get(ReportRollupState, operator_id)
    s = ChargingSession
    days: Iterable[date]
    if state is None or state.timezone != timezone:
        newest = await session.scalar(
            select(func.max(s.updated_at)).where(s.operator_id == operator_id)
        )
        await session.execute(
            delete(SessionDailyRollup).where(SessionDailyRollup.operator_id == operator_id)
        )
        days = await _all_days(session, operator_id, tz, now)
        if state is None:
            state = ReportRollupState(operator_id=operator_id, timezone=timezone)
            session.add(state)
        state.timezone = timezone
        state.watermark = None
    else:
        since = state.watermark or datetime(1970, 1, 1, tzinfo=UTC)
        days, newest = await _changed_start_days(session, operator_id, since, tz)
        if not days:
            return 0  # nothing changed: no write, so reports never queue behind a lock
    count = 0
    for day in sorted(days):
        await _recompute_day(session, operator_id, day, tz, dialect)
        count += 1
    # Everything stamped up to COMMIT_LAG ago is surely committed and now folded in; newer
    # rows are read again next time, in case a slower writer commits one stamped earlier.
    if newest is not None:
        mark = min(newest, now - COMMIT_LAG)
        if state.watermark is None or mark > state.watermark:
            state.watermark = mark
    state.built_at = now
    await session.commit()
    return count
