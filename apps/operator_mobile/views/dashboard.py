"""Today's dashboard: energy, revenue, sessions, utilization and charger states right now."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from apps.operator_mobile.state.monitor import DashboardState
from apps.operator_mobile.views.common import screen
from backend_client.models import TodayDashboard
from shared import KpiGrid, KpiTile, LoadableView, UiState, action_button, use_ui

__all__ = ["DashboardScreen", "utilization"]


def utilization(today: TodayDashboard) -> float:
    """Share of online chargers charging right now (0 when none is online)."""
    return today.chargers_charging / today.chargers_online if today.chargers_online else 0.0


def _tiles(
    ui: UiState, d: TodayDashboard, open_faults: Callable[[], Awaitable[None]]
) -> ft.Control:
    return ft.Column(
        [
            KpiGrid(
                [
                    KpiTile(ui.t("dash.energy"), ui.energy(d.energy_kwh), "energy", ft.Icons.BOLT),
                    KpiTile(
                        ui.t("dash.revenue"),
                        ui.money(d.revenue_minor, d.currency),
                        "revenue",
                        ft.Icons.PAYMENTS,
                    ),
                    KpiTile(
                        ui.t("dash.sessions"),
                        str(d.sessions),
                        "sessions",
                        ft.Icons.EV_STATION,
                        caption=ui.t("dash.active", count=d.active_sessions),
                    ),
                    KpiTile(
                        ui.t("dash.utilization"),
                        ui.percent(utilization(d)),
                        "utilization",
                        ft.Icons.TIMER,
                    ),
                ],
                ident="kpis-today",
            ),
            ft.Text(ui.t("dash.chargers_now"), weight=ft.FontWeight.BOLD, size=16),
            KpiGrid(
                [
                    KpiTile(
                        ui.t("dash.online"),
                        f"{d.chargers_online}/{d.chargers_total}",
                        "online",
                        ft.Icons.WIFI,
                        caption=ui.t("dash.offline", count=d.chargers_offline),
                    ),
                    KpiTile(
                        ui.t("dash.charging"), str(d.chargers_charging), "charging", ft.Icons.POWER
                    ),
                    KpiTile(
                        ui.t("dash.faulted"),
                        str(d.chargers_faulted),
                        "faulted",
                        ft.Icons.WARNING_AMBER,
                    ),
                    KpiTile(
                        ui.t("dash.open_faults"),
                        str(d.open_faults),
                        "open-faults",
                        ft.Icons.REPORT_PROBLEM,
                        on_click=open_faults,
                    ),
                ],
                ident="kpis-now",
            ),
            ft.Text(
                ui.t("dash.updated", time=ui.date_time(d.generated_at)),
                size=12,
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
        ],
        spacing=12,
    )


@ft.component
def DashboardScreen(
    dashboard: DashboardState, open_faults: Callable[[], Awaitable[None]]
) -> ft.Control:
    ui = use_ui()
    return screen(
        ui.t("nav.dashboard"),
        [
            action_button(
                "dash-refresh",
                ui.t("common.refresh"),
                dashboard.reload,
                icon=ft.Icons.REFRESH,
                kind="text",
            )
        ],
        [
            LoadableView(
                dashboard.today,
                lambda d: _tiles(ui, d, open_faults),
                on_retry=dashboard.reload,
                ident="dashboard",
            )
        ],
        "screen-dashboard",
    )
