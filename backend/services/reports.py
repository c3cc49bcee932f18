"""Operator reports: energy, revenue, sessions, utilization, availability and faults by local
day/week/month, for the whole network or per station or charger.

(The "today" dashboard is in :mod:`backend.services.dashboard`, CSV in
:mod:`backend.services.report_export`.)

Every query filters on the caller's ``operator_id``: staff only ever see their own network.
Session figures come from the daily rollup (:mod:`backend.services.report_rollup`, refreshed
first) plus the few sessions still running, read live; connector-time and faults are small
and read directly. Utilization = in-session connector-time / installed connector-time;
availability = 1 - faulted-or-offline connector-time / installed connector-time, where
installed time counts each active connector of each active charger from its creation to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Operator, Station
from backend.errors import Invalid, NotFound
from backend.services.report_figures import (
    Figures,
    add_faults,
    add_rollup,
    add_running,
    load_chargers,
)
from backend.services.report_periods import Calendar, Sums
from backend.services.report_rollup import refresh_rollups
from backend_client.models import Report, ReportBreakdown, ReportGroup, ReportRow

MAX_RANGE_DAYS = 731
"""Longest range one report may cover (two years), so one request cannot run for minutes."""

EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)
"""Dates outside these are typing mistakes (and would overflow the calendar arithmetic)."""


@dataclass(frozen=True)
class ReportQuery:
    """What to report: local dates ``date_from``..``date_to`` inclusive, bucketed and split."""

    date_from: date
    date_to: date
    group: ReportGroup = ReportGroup.DAY
    by: ReportBreakdown = ReportBreakdown.NETWORK
    station_id: int | None = None

    def validate(self) -> None:
        for name, value in (("query.from", self.date_from), ("query.to", self.date_to)):
            if not EARLIEST <= value <= LATEST:
                raise Invalid(f"must be between {EARLIEST} and {LATEST}", field_name=name)
        if self.date_to < self.date_from:
            raise Invalid("must not be before 'from'", field_name="query.to")
        if (self.date_to - self.date_from).days + 1 > MAX_RANGE_DAYS:
            raise Invalid(f"the range must not exceed {MAX_RANGE_DAYS} days", field_name="query.to")


@dataclass(frozen=True)
class _Head:
    """What a report shows of its operator (read before the rollup refresh may roll back)."""

    id: int
    currency: str
    timezone: str


async def _operator(session: AsyncSession, operator_id: int) -> Operator:
    operator = await session.get(Operator, operator_id)
    if operator is None:
        raise NotFound("operator not found")
    return operator


async def build_report(
    session: AsyncSession, operator_id: int, query: ReportQuery, *, now: datetime
) -> Report:
    """The report ``query`` asks for, over the operator's own network only."""
    query.validate()
    operator = await _operator(session, operator_id)
    names: dict[int, str] = {}
    if query.by is not ReportBreakdown.NETWORK or query.station_id is not None:
        station_rows = await session.execute(
            select(Station.id, Station.name).where(Station.operator_id == operator_id)
        )
        names = {sid: name for sid, name in station_rows}
    if query.station_id is not None and query.station_id not in names:
        raise NotFound("station not found")
    head = _Head(operator.id, operator.currency, operator.timezone)
    await refresh_rollups(session, operator_id, head.timezone, now=now)
    tz = ZoneInfo(head.timezone)
    cal = Calendar(query.date_from, query.date_to, query.group, tz)
    dialect = session.get_bind().dialect.name
    chargers = await load_chargers(session, operator_id, query.station_id, dialect)
    b = Figures(cal, query.by, chargers)
    b.add_installed(now)
    await add_rollup(session, b, operator_id, query.station_id)
    await add_running(session, b, operator_id, query.station_id, now)
    await add_faults(session, b, operator_id, query.station_id, now, dialect)
    labels = {
        cid: (ocpp_id, chargers.station_of[cid]) for cid, ocpp_id in chargers.ocpp_id_of.items()
    }
    return _assemble(b, head, query, names, labels, now)


def _assemble(
    b: Figures,
    operator: _Head,
    query: ReportQuery,
    names: dict[int, str],
    labels: dict[int, tuple[str, int]],
    now: datetime,
) -> Report:
    # Keys shown in every period: installed chargers/stations, plus any key with data.
    keys: set[int] = {b.key(c.id, c.station_id) for c in b.chargers.values()}
    keys.update(key for (_i, key), sums in b.sums.items() if sums.has_data())
    rows: list[ReportRow] = []
    totals = Sums()

    def order(key: int) -> tuple[str, int]:
        if query.by is ReportBreakdown.STATION:
            return names.get(key, ""), key
        if query.by is ReportBreakdown.CHARGER:
            return labels.get(key, ("", 0))[0], key
        return "", key

    ordered = sorted(keys, key=order)
    for index, period in enumerate(b.cal.periods):
        for key in ordered:
            sums = b.sums.get((index, key), Sums())
            totals.add(sums)
            extra: dict[str, object] = {}
            if query.by is ReportBreakdown.STATION:
                extra = {"station_id": key, "station_name": names.get(key)}
            elif query.by is ReportBreakdown.CHARGER:
                ocpp_id, station_id = labels.get(key, ("", 0))
                extra = {
                    "charger_id": key,
                    "charger_ocpp_id": ocpp_id,
                    "station_id": station_id,
                    "station_name": names.get(station_id),
                }
            rows.append(
                ReportRow(
                    **sums.figures(),
                    period=period.label,
                    period_start=period.first,
                    period_end=period.last,
                    **extra,
                )
            )
    return Report(
        operator_id=operator.id,
        currency=operator.currency,
        timezone=operator.timezone,
        date_from=query.date_from,
        date_to=query.date_to,
        group=query.group,
        by=query.by,
        station_id=query.station_id,
        rows=rows,
        totals=totals.metrics(),
        fault_codes=dict(sorted(b.fault_codes.items())),
        generated_at=now,
    )
