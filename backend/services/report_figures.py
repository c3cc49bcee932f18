"""The figures behind a report, gathered per (period, station/charger) from the database.

- installed connector-time of active chargers (the denominator of both percentages);
- completed sessions from the daily rollup, with busy time spilled to the following days;
- running sessions, read live (at most one per connector);
- faults: counts per period, and faulted/offline connector-time as a union of intervals.

Times are handled as POSIX seconds: a month of a large network spreads thousands of fault
intervals and chargers over the periods, and float arithmetic keeps that cheap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Label,
    Result,
    Select,
    SQLColumnExpression,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    Fault,
    FaultSource,
    RecordStatus,
    SessionDailyRollup,
)
from backend.services.report_periods import Calendar, Sums, merge_intervals
from backend.services.report_rollup import SPILL_DAYS, epoch_seconds, local_day, local_midnight
from backend_client.models import ReportBreakdown, ReportGroup

_DOWNTIME_SOURCES = frozenset({FaultSource.CHARGER.value, FaultSource.WATCHDOG.value})

RUNNING: ColumnElement[bool] = ChargingSession.status == literal_column("'active'")
"""Running sessions, spelled with a literal so the partial index ``ix_sessions_running``
applies (a bound parameter cannot prove the index's ``status = 'active'`` condition; without
it SQLite scans a million completed rows)."""


@dataclass(frozen=True)
class ChargerInfo:
    id: int
    station_id: int
    created_ts: float  # POSIX seconds: reports do arithmetic on thousands of these
    connectors: tuple[int, ...]


async def _rows(session: AsyncSession, stmt: Select[*tuple[Any, ...]]) -> Result[*tuple[Any, ...]]:
    """Run a column query through Core on the session's connection (same transaction): it
    skips the ORM's per-row loading machinery, which costs more than the query itself at
    tens of thousands of rows."""
    connection = await session.connection()
    return await connection.execute(stmt)


@dataclass(frozen=True)
class ChargerSet:
    """The operator's chargers as reports need them."""

    installed: dict[int, ChargerInfo]  # active chargers, with their active plugs
    retired: list[int]
    station_of: dict[int, int]  # every charger
    ocpp_id_of: dict[int, str]


async def load_chargers(
    session: AsyncSession, operator_id: int, station_id: int | None, dialect: str
) -> ChargerSet:
    """Every charger of the operator (of one station, if given) and its active plugs, in one
    query: each round trip counts when the database shares a busy machine."""
    stmt = (
        select(
            Charger.id,
            Charger.station_id,
            Charger.status,
            Charger.ocpp_id,
            epoch_seconds(Charger.created_at, dialect),
            Connector.connector_no,
        )
        .outerjoin(
            Connector,
            and_(Connector.charger_id == Charger.id, Connector.status == RecordStatus.ACTIVE),
        )
        .where(Charger.operator_id == operator_id)
    )
    if station_id is not None:
        stmt = stmt.where(Charger.station_id == station_id)
    active: dict[int, tuple[int, float]] = {}
    plugs: dict[int, list[int]] = defaultdict(list)
    retired: set[int] = set()
    station_of: dict[int, int] = {}
    ocpp_id_of: dict[int, str] = {}
    for cid, sid, status, ocpp_id, created_ts, connector_no in await _rows(session, stmt):
        station_of[cid] = sid
        ocpp_id_of[cid] = ocpp_id
        if status != RecordStatus.ACTIVE:
            retired.add(cid)
            continue
        active[cid] = (sid, float(created_ts))
        if connector_no is not None:
            plugs[cid].append(connector_no)
    installed = {
        cid: ChargerInfo(cid, sid, created_ts, tuple(sorted(plugs[cid])))
        for cid, (sid, created_ts) in active.items()
    }
    return ChargerSet(installed, sorted(retired), station_of, ocpp_id_of)


class Figures:
    """Accumulates sums per (period index, key) where key is 0, a station or a charger id."""

    def __init__(self, cal: Calendar, by: ReportBreakdown, chargers: ChargerSet):
        self.cal = cal
        self.by = by
        self.chargers = chargers.installed
        self.retired = chargers.retired
        # Row key of every charger, looked up for each of thousands of faults.
        self.key_of = {cid: self.key(cid, sid) for cid, sid in chargers.station_of.items()}
        self.sums: dict[tuple[int, int], Sums] = defaultdict(Sums)
        self.fault_codes: dict[str, int] = defaultdict(int)

    def key(self, charger_id: int, station_id: int) -> int:
        if self.by is ReportBreakdown.STATION:
            return station_id
        if self.by is ReportBreakdown.CHARGER:
            return charger_id
        return 0

    def add_installed(self, now: datetime) -> None:
        until = now.timestamp()
        # Chargers older than the range all count whole periods: add them up per key first.
        plugs_by_key: dict[int, int] = defaultdict(int)
        for info in self.chargers.values():
            if not info.connectors:
                continue
            key = self.key(info.id, info.station_id)
            if info.created_ts <= self.cal.start_ts:
                plugs_by_key[key] += len(info.connectors)
                continue
            for index, seconds in self.cal.spread(info.created_ts, until):
                self.sums[index, key].connector_s += seconds * len(info.connectors)
        for index in range(len(self.cal.periods)):
            seconds = self.cal.seconds(index, until)
            if seconds > 0:
                for key, plugs in plugs_by_key.items():
                    self.sums[index, key].connector_s += seconds * plugs

    def add_downtime(
        self, charger_id: int, intervals: dict[int, list[tuple[float, float]]]
    ) -> None:
        """Faulted/offline connector-time; ``intervals`` maps a plug (0: the whole charger)
        to its fault spans. Plugs with no fault of their own share one computation."""
        info = self.chargers[charger_id]
        key = self.key(info.id, info.station_id)
        born = info.created_ts
        whole = intervals.get(0, [])
        own = {plug: spans for plug, spans in intervals.items() if plug != 0}
        jobs = [(spans + whole, 1) for spans in own.values()]
        if whole and len(own) < len(info.connectors):
            jobs.append((whole, len(info.connectors) - len(own)))
        cal, sums = self.cal, self.sums
        for spans, plugs in jobs:
            for start, end in merge_intervals(spans) if len(spans) > 1 else spans:
                start = max(start, born)
                index = cal.index_of_ts(start)
                if index is not None and end <= cal.end_ts(index):
                    # Most faults last minutes: they fall inside one period.
                    if end > start:
                        sums[index, key].down_s += (end - start) * plugs
                    continue
                for index, seconds in cal.spread(start, end):
                    sums[index, key].down_s += seconds * plugs


def _active_factor(b: Figures) -> ColumnElement[int]:
    """1 for installed chargers, 0 for retired ones: busy time only counts against chargers
    that have connector-time to compare with. Retired chargers are few, so a literal list."""
    if not b.retired:
        return literal(1)
    return case((SessionDailyRollup.charger_id.in_(b.retired), 0), else_=1)


def _key_column(by: ReportBreakdown) -> SQLColumnExpression[int]:
    r = SessionDailyRollup
    return {
        ReportBreakdown.NETWORK: literal(0),
        ReportBreakdown.STATION: r.station_id,
        ReportBreakdown.CHARGER: r.charger_id,
    }[by]


async def add_rollup(
    session: AsyncSession, b: Figures, operator_id: int, station_id: int | None
) -> None:
    """Sessions completed so far, from the daily rollup (busy time spilled to later days)."""
    if b.cal.group is not ReportGroup.DAY:
        await _add_rollup_bucketed(session, b, operator_id, station_id)
        return
    r = SessionDailyRollup
    key_col = _key_column(b.by)
    active = _active_factor(b)
    stmt = (
        select(
            r.day,
            key_col,
            func.sum(r.sessions),
            func.sum(r.energy_wh),
            func.sum(r.revenue_minor),
            func.sum(r.busy_s0 * active),
            func.sum(r.busy_s1 * active),
            func.sum(r.busy_s2 * active),
        )
        .where(
            r.operator_id == operator_id,
            r.day >= b.cal.date_from - timedelta(days=SPILL_DAYS),
            r.day <= b.cal.date_to,
        )
        .group_by(r.day, key_col)
    )
    if station_id is not None:
        stmt = stmt.where(r.station_id == station_id)
    day_index = b.cal.day_index
    sums_of = b.sums
    one_day = timedelta(days=1)
    for day, key, sessions, energy, revenue, busy0, busy1, busy2 in await _rows(session, stmt):
        index = day_index.get(day)
        if index is not None:
            sums = sums_of[index, key]
            sums.sessions += int(sessions)
            sums.energy_wh += int(energy)
            sums.revenue_minor += int(revenue)
            if busy0:
                sums.busy_s += float(busy0)
        if busy1 and (spill := day_index.get(day + one_day)) is not None:
            sums_of[spill, key].busy_s += float(busy1)
        if busy2 and (spill := day_index.get(day + 2 * one_day)) is not None:
            sums_of[spill, key].busy_s += float(busy2)


async def _add_rollup_bucketed(
    session: AsyncSession, b: Figures, operator_id: int, station_id: int | None
) -> None:
    """Weeks and months: the database buckets days into periods, so a month of 2,000
    chargers returns 2,000 rows rather than 62,000."""
    r = SessionDailyRollup
    key_col: Label[int] = _key_column(b.by).label("k")
    active = _active_factor(b)
    busy_cols = (r.busy_s0, r.busy_s1, r.busy_s2)
    for shift in range(SPILL_DAYS + 1):
        # Busy time of sessions started ``shift`` days earlier lands in the period of day+shift.
        delta = timedelta(days=shift)
        bucket = case(
            *[(r.day <= p.last - delta, i) for i, p in enumerate(b.cal.periods)], else_=-1
        ).label("p")
        figures = (
            [func.sum(r.sessions), func.sum(r.energy_wh), func.sum(r.revenue_minor)]
            if shift == 0
            else []
        )
        stmt = (
            select(bucket, key_col, func.sum(busy_cols[shift] * active), *figures)
            .where(
                r.operator_id == operator_id,
                r.day >= b.cal.date_from - delta,
                r.day <= b.cal.date_to - delta,
                # Only sessions crossing midnight spill: skip the rest early.
                *([busy_cols[shift] > 0] if shift else []),
            )
            .group_by(bucket, key_col)
        )
        if station_id is not None:
            stmt = stmt.where(r.station_id == station_id)
        for row in await _rows(session, stmt):
            index, key, busy = int(row[0]), int(row[1]), row[2]
            if index < 0:
                continue
            sums = b.sums[index, key]
            if busy:
                sums.busy_s += float(busy)
            if shift == 0:
                sums.sessions += int(row[3])
                sums.energy_wh += int(row[4])
                sums.revenue_minor += int(row[5])


async def add_running(
    session: AsyncSession,
    b: Figures,
    operator_id: int,
    station_id: int | None,
    now: datetime,
) -> None:
    """Sessions still running: few (at most one per connector), read live up to ``now``.

    They add no revenue: revenue is money collected, and a session is captured after it ends.
    """
    s = ChargingSession
    stmt = select(s.charger_id, s.station_id, s.started_at, s.energy_wh).where(
        s.operator_id == operator_id, RUNNING
    )
    if station_id is not None:
        stmt = stmt.where(s.station_id == station_id)
    for charger_id, sess_station, started_at, energy_wh in await _rows(session, stmt):
        key = b.key(charger_id, sess_station)
        start_day = local_day(started_at, b.cal.tz)
        index = b.cal.index_of_day(start_day)
        if index is not None:
            sums = b.sums[index, key]
            sums.sessions += 1
            sums.energy_wh += energy_wh
        if charger_id in b.chargers:
            cap = local_midnight(start_day + timedelta(days=SPILL_DAYS + 1), b.cal.tz)
            for spill, seconds in b.cal.spread(started_at, min(now, cap)):
                b.sums[spill, key].busy_s += seconds


async def add_faults(
    session: AsyncSession,
    b: Figures,
    operator_id: int,
    station_id: int | None,
    now: datetime,
    dialect: str,
) -> None:
    """Fault counts per period, and faulted/offline connector-time of installed chargers."""
    f = Fault
    stmt = select(
        f.charger_id,
        f.connector_no,
        f.source,
        f.error_code,
        epoch_seconds(f.opened_at, dialect),
        epoch_seconds(f.cleared_at, dialect),
    ).where(
        f.operator_id == operator_id,
        f.opened_at < b.cal.end,
        or_(f.cleared_at.is_(None), f.cleared_at > b.cal.start),
    )
    if station_id is not None:
        stmt = stmt.join(Charger, Charger.id == f.charger_id).where(
            Charger.station_id == station_id
        )
    down: dict[int, dict[int, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    until = now.timestamp()
    for charger_id, connector_no, source, code, opened_at, cleared_at in await _rows(session, stmt):
        if code != "NoError":
            index = b.cal.index_of_ts(opened_at)
            if index is not None:
                b.sums[index, b.key_of.get(charger_id, 0)].faults += 1
                b.fault_codes[code] += 1
        info = b.chargers.get(charger_id)
        if info is None or source not in _DOWNTIME_SOURCES:
            continue
        if connector_no == 0 or connector_no in info.connectors:
            span = (opened_at, until if cleared_at is None else min(cleared_at, until))
            down[charger_id][connector_no].append(span)
    for charger_id, intervals in down.items():
        b.add_downtime(charger_id, intervals)
