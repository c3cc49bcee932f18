"""Calendar arithmetic for reports: local periods, their UTC bounds, and the running sums.

Reports bucket by the operator's *local* calendar (a Shanghai day starts at 16:00 UTC the day
before), and a week or month at the edge of the requested range is cut to the range. Period
bounds are computed once here so the services only add up numbers.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.services.report_rollup import local_midnight
from backend_client.models import ReportGroup, ReportMetrics


@dataclass(frozen=True)
class Period:
    """One row's time span: local dates ``first``..``last`` and their UTC bounds ``[start, end)``."""

    label: str
    first: date
    last: date
    start: datetime
    end: datetime


def _natural(day: date, group: ReportGroup) -> tuple[str, date, date]:
    """The label, first day and day after the end of the whole period containing ``day``."""
    if group is ReportGroup.DAY:
        return day.isoformat(), day, day + timedelta(days=1)
    if group is ReportGroup.WEEK:
        iso = day.isocalendar()
        first = day - timedelta(days=day.weekday())
        return f"{iso.year}-W{iso.week:02d}", first, first + timedelta(days=7)
    first = day.replace(day=1)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return f"{first.year}-{first.month:02d}", first, after


class Calendar:
    """The periods covering ``date_from``..``date_to`` and fast lookups into them."""

    def __init__(self, date_from: date, date_to: date, group: ReportGroup, tz: ZoneInfo) -> None:
        self.tz = tz
        self.group = group
        self.date_from = date_from
        self.date_to = date_to
        periods: list[Period] = []
        day = date_from
        while day <= date_to:
            label, _first, after = _natural(day, group)
            last = min(after - timedelta(days=1), date_to)
            periods.append(
                Period(
                    label,
                    day,
                    last,
                    local_midnight(day, tz),
                    local_midnight(last + timedelta(days=1), tz),
                )
            )
            day = last + timedelta(days=1)
        self.periods = periods
        self._starts = [p.start.timestamp() for p in periods]
        self._ends = [p.end.timestamp() for p in periods]
        self.day_index: dict[date, int] = {}
        for index, p in enumerate(periods):
            for k in range((p.last - p.first).days + 1):
                self.day_index[p.first + timedelta(days=k)] = index

    @property
    def start(self) -> datetime:
        return self.periods[0].start

    @property
    def end(self) -> datetime:
        return self.periods[-1].end

    def index_of_day(self, day: date) -> int | None:
        """The period holding local ``day``, or ``None`` outside the range."""
        return self.day_index.get(day)

    @property
    def start_ts(self) -> float:
        return self._starts[0]

    def index_of_instant(self, instant: datetime) -> int | None:
        return self.index_of_ts(instant.timestamp())

    def index_of_ts(self, ts: float) -> int | None:
        """The period holding POSIX time ``ts``, or ``None`` outside the range."""
        if ts < self._starts[0] or ts >= self._ends[-1]:
            return None
        return bisect.bisect_right(self._starts, ts) - 1

    def end_ts(self, index: int) -> float:
        """POSIX time at which period ``index`` ends."""
        return self._ends[index]

    def seconds(self, index: int, until: float) -> float:
        """Length of period ``index`` in seconds, counting only time before ``until``."""
        return max(0.0, min(self._ends[index], until) - self._starts[index])

    def spread(self, start: datetime | float, end: datetime | float) -> list[tuple[int, float]]:
        """Seconds of ``[start, end)`` falling in each period, as (index, seconds).

        Takes datetimes or POSIX timestamps (faster: reports spread thousands of intervals).
        """
        lo = start.timestamp() if isinstance(start, datetime) else start
        hi = end.timestamp() if isinstance(end, datetime) else end
        starts, ends = self._starts, self._ends
        lo, hi = max(lo, starts[0]), min(hi, ends[-1])
        if hi <= lo:
            return []
        out: list[tuple[int, float]] = []
        index = bisect.bisect_right(starts, lo) - 1
        count = len(starts)
        while index < count and starts[index] < hi:
            seconds = min(hi, ends[index]) - max(lo, starts[index])
            if seconds > 0:
                out.append((index, seconds))
            index += 1
        return out


@dataclass
class Sums:
    """Running totals behind one report row."""

    sessions: int = 0
    energy_wh: int = 0
    revenue_minor: int = 0
    busy_s: float = 0.0
    connector_s: float = 0.0
    down_s: float = 0.0
    faults: int = 0

    def add(self, other: Sums) -> None:
        self.sessions += other.sessions
        self.energy_wh += other.energy_wh
        self.revenue_minor += other.revenue_minor
        self.busy_s += other.busy_s
        self.connector_s += other.connector_s
        self.down_s += other.down_s
        self.faults += other.faults

    def has_data(self) -> bool:
        return bool(self.sessions or self.connector_s or self.faults or self.busy_s)

    def figures(self) -> dict[str, Any]:
        """The :class:`ReportMetrics` fields (as keyword arguments: rows add their own)."""
        utilization = availability = None
        if self.connector_s > 0:
            utilization = round(min(100.0, 100.0 * self.busy_s / self.connector_s), 2)
            availability = round(max(0.0, 100.0 - 100.0 * self.down_s / self.connector_s), 2)
        return {
            "sessions": self.sessions,
            "energy_kwh": round(self.energy_wh / 1000.0, 3),
            "revenue_minor": self.revenue_minor,
            "utilization_pct": utilization,
            "availability_pct": availability,
            "outage_minutes": round(self.down_s / 60.0),
            "faults": self.faults,
        }

    def metrics(self) -> ReportMetrics:
        return ReportMetrics(**self.figures())


def merge_intervals(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The union of half-open intervals (POSIX seconds), sorted and non-overlapping."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
