"""Reports by day, week or month (charts on both terminals, CSV export in the console).

The ranges are fixed per grouping so the phone needs one tap: the last 14 days, the last 12
ISO weeks, or the last 12 months, each ending today (operator local dates are the server's
business; it buckets in the operator's timezone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import flet as ft

from apps.operator_mobile.state.base import Ctx, Outcome
from backend_client.models import Report, ReportGroup
from shared import Loadable

__all__ = ["ReportsState", "report_range"]


def report_range(group: ReportGroup, today: date) -> tuple[date, date]:
    """The date range shown for ``group``, ending ``today`` (inclusive)."""
    if group == ReportGroup.DAY:
        return today - timedelta(days=13), today
    if group == ReportGroup.WEEK:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(weeks=11), today
    first = today.replace(day=1)
    month_index = first.year * 12 + first.month - 1 - 11
    return date(month_index // 12, month_index % 12 + 1, 1), today


@dataclass(eq=False)
class ReportsState(ft.Observable):
    """The report for the chosen grouping, and the last CSV export's outcome."""

    group: ReportGroup = ReportGroup.DAY
    report: Loadable[Report] = field(default_factory=Loadable.loading)
    outcome: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)
    _today: Callable[[], date] = field(default=date.today, repr=False)

    def range(self) -> tuple[date, date]:
        return report_range(self.group, self._today())

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        start, end = self.range()
        self.report = await ctx.load(
            lambda: ctx.client.reports.summary(start, end, group=self.group)
        )

    async def set_group(self, group: ReportGroup) -> None:
        self.group, self.report = group, Loadable.loading()
        await self.reload()

    async def export_csv(self) -> tuple[str, bytes] | None:
        """``(file name, CSV bytes)`` of the current report, or ``None`` (see :attr:`outcome`)."""
        assert self._ctx is not None
        ctx = self._ctx
        start, end = self.range()
        holder: list[bytes] = []

        async def run() -> str:
            holder.append(await ctx.client.reports.summary_csv(start, end, group=self.group))
            return ctx.t("reports.exported", size=len(holder[0]))

        self.outcome = await ctx.act(run)
        if not holder:
            return None
        return f"chargepile-report-{self.group.value}-{start}-{end}.csv", holder[0]
