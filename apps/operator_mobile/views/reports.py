"""Reports by day, week or month: totals, energy and revenue charts, CSV export."""

from __future__ import annotations

import flet as ft

from apps.operator_mobile.state.reports import ReportsState
from apps.operator_mobile.views.common import save_file, screen, use_services
from backend_client.models import Report, ReportGroup
from shared import (
    ChartCard,
    ChartData,
    ChartKind,
    ChartSeries,
    KpiGrid,
    KpiTile,
    LoadableView,
    UiState,
    action_button,
    bind,
    outcome_line,
    use_ui,
)

__all__ = ["ReportsScreen"]


def short_period(period: str) -> str:
    """Axis label that fits a phone: ``2026-11-24`` → ``11-24``, ``2026-W48`` → ``W48``;
    months stay ``2026-11``."""
    if len(period) == 10:
        return period[5:]
    if "-W" in period:
        return period.split("-", 1)[1]
    return period


def _body(ui: UiState, report: Report) -> ft.Control:
    labels = [short_period(row.period) for row in report.rows]
    totals = report.totals
    util = totals.utilization_pct
    energy = ChartData(
        labels, (ChartSeries(ui.t("dash.energy"), [r.energy_kwh for r in report.rows]),)
    )
    revenue = ChartData(
        labels, (ChartSeries(ui.t("dash.revenue"), [r.revenue_minor / 100 for r in report.rows]),)
    )
    sessions = ChartData(
        labels, (ChartSeries(ui.t("dash.sessions"), [float(r.sessions) for r in report.rows]),)
    )
    return ft.Column(
        [
            KpiGrid(
                [
                    KpiTile(
                        ui.t("dash.energy"),
                        ui.energy(totals.energy_kwh),
                        "report-energy",
                        ft.Icons.BOLT,
                    ),
                    KpiTile(
                        ui.t("dash.revenue"),
                        ui.money(totals.revenue_minor, report.currency),
                        "report-revenue",
                        ft.Icons.PAYMENTS,
                    ),
                    KpiTile(
                        ui.t("dash.sessions"),
                        str(totals.sessions),
                        "report-sessions",
                        ft.Icons.EV_STATION,
                    ),
                    KpiTile(
                        ui.t("dash.utilization"),
                        "-" if util is None else ui.percent(util / 100),
                        "report-utilization",
                        ft.Icons.TIMER,
                    ),
                ],
                ident="kpis-report",
            ),
            ChartCard(
                ui.t("reports.energy_chart"),
                energy,
                "report-energy",
                ChartKind.BAR,
                value_format=lambda v: f"{v:,.0f} kWh",
            ),
            ChartCard(
                ui.t("reports.revenue_chart"),
                revenue,
                "report-revenue",
                ChartKind.LINE,
                value_format=lambda v: ui.money(round(v * 100), report.currency),
            ),
            ChartCard(ui.t("reports.sessions_chart"), sessions, "report-sessions", ChartKind.BAR),
            ft.Text(
                ui.t(
                    "reports.range",
                    start=str(report.date_from),
                    end=str(report.date_to),
                    tz=report.timezone,
                ),
                size=12,
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
        ],
        spacing=12,
    )


@ft.component
def ReportsScreen(reports: ReportsState) -> ft.Control:
    ui = use_ui()
    services = use_services()

    async def export() -> None:
        result = await reports.export_csv()
        if result is not None:
            await save_file(services, *result)

    groups = ft.Row(
        [
            action_button(
                f"report-group-{g.value}",
                ui.t(f"reports.{g.value}"),
                bind(reports.set_group, g),
                kind="filled" if g == reports.group else "outlined",
            )
            for g in ReportGroup
        ],
        wrap=True,
    )
    return screen(
        ui.t("nav.reports"),
        [
            action_button(
                "report-export",
                ui.t("reports.export_csv"),
                export,
                icon=ft.Icons.DOWNLOAD,
                kind="tonal",
            )
        ],
        [
            groups,
            outcome_line(reports.outcome, "report-outcome"),
            LoadableView(
                reports.report, lambda r: _body(ui, r), on_retry=reports.reload, ident="report"
            ),
        ],
        "screen-reports",
    )
