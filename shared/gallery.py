"""A gallery app rendering every shared component with demo data (for screenshots and eyeballing).

Run it in the browser, offline::

    FLET_FORCE_WEB_SERVER=1 FLET_SERVER_PORT=8560 FLET_WEB_NO_CDN=1 .venv/bin/python -m shared.gallery

The CJK font is copied into ``shared/gallery_assets/fonts`` on start (not committed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import flet as ft

from shared.components import (
    ChargerCard,
    ChartCard,
    ChartKind,
    ConnectionBanner,
    ConnectionState,
    EmptyState,
    ErrorState,
    KpiGrid,
    KpiTile,
    LanguageSwitch,
    LoadingState,
    QrCode,
    ResponsiveScaffold,
    SessionGauge,
    StationCard,
    StatusBadge,
    ThemeToggle,
    show_confirmation,
)
from shared.fonts import install_cjk_font
from shared.i18n import I18n, Language
from shared.models import (
    ChargerInfo,
    ChartData,
    ChartSeries,
    ConnectorInfo,
    LiveSession,
    NavItem,
    StationInfo,
)
from shared.state import UiState, start_app, use_ui
from shared.status import ConnectorStatus

__all__ = ["ASSETS_DIR", "GALLERY_TEXTS", "Gallery", "main"]

ASSETS_DIR = Path(__file__).resolve().parent / "gallery_assets"

# The gallery's own texts, merged over the library's: the same way each app adds its screens'.
GALLERY_TEXTS: dict[Language, dict[str, str]] = {
    Language.EN: {
        "gallery.title": "chargepile UI",
        "gallery.overview": "Overview",
        "gallery.charts": "Charts",
        "gallery.states": "States",
        "gallery.qr": "QR",
        "gallery.sessions": "Sessions",
        "gallery.utilisation": "Utilisation",
        "gallery.energy_per_day": "Energy per day",
        "gallery.trend": "Trend",
        "gallery.confirm_demo": "Confirmation dialog",
        "gallery.reset_title": "Reset charger {charger}?",
        "gallery.reset_message": "Charging sessions on it will stop.",
    },
    Language.ZH_CN: {
        "gallery.title": "充电桩组件库",
        "gallery.overview": "总览",
        "gallery.charts": "图表",
        "gallery.states": "状态",
        "gallery.qr": "二维码",
        "gallery.sessions": "充电次数",
        "gallery.utilisation": "利用率",
        "gallery.energy_per_day": "每日电量",
        "gallery.trend": "趋势",
        "gallery.confirm_demo": "确认对话框",
        "gallery.reset_title": "重启充电桩 {charger}？",
        "gallery.reset_message": "桩上正在进行的充电将停止。",
    },
}

DEMO_CHARGERS = (
    ChargerInfo(
        "CP-001",
        "Depot North 1",
        (
            ConnectorInfo(1, ConnectorStatus.CHARGING, "CCS2", 150),
            ConnectorInfo(2, ConnectorStatus.AVAILABLE, "CCS2", 150),
        ),
        model="ABB Terra 184",
    ),
    ChargerInfo(
        "CP-002",
        "朝阳门 2 号桩",
        (ConnectorInfo(1, ConnectorStatus.FAULTED, "GB/T DC", 60),),
        online=False,
        last_seen=datetime(2026, 11, 24, 7, 55, tzinfo=UTC),
    ),
)
DEMO_STATION = StationInfo(
    "S-1", "Harbour Plaza", "1 Quay St", 3, 8, 150, 1.2, price_minor_per_kwh=150
)
DEMO_SESSION = LiveSession(
    power_kw=48.6,
    energy_kwh=12.35,
    cost_minor=1852,
    currency="CNY",
    elapsed_s=1509,
    max_power_kw=150,
)
DEMO_CHART = ChartData(
    labels=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    series=(
        ChartSeries("Energy", (320, 410, 380, 450, 520, 610, 300)),
        ChartSeries("Sessions", (40, 52, 47, 60, 66, 71, 35)),
    ),
)


@ft.component
def _Overview() -> ft.Control:
    ui = use_ui()

    def ask() -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        show_confirmation(
            page,
            ui,
            title=ui.t("gallery.reset_title", charger="CP-001"),
            message=ui.t("gallery.reset_message"),
            on_confirm=lambda: None,
            destructive=True,
            ident="gallery-reset",
        )

    return ft.Column(
        [
            ft.Row(
                [StatusBadge(s, ident=s.value) for s in ConnectorStatus],
                wrap=True,
                spacing=8,
                run_spacing=8,
            ),
            KpiGrid(
                [
                    KpiTile(
                        ui.t("gauge.energy"),
                        ui.energy(1234.5),
                        ident="energy",
                        icon=ft.Icons.BOLT,
                        change=0.12,
                    ),
                    KpiTile(
                        ui.t("gauge.cost"),
                        ui.money(1_234_550, "CNY"),
                        ident="revenue",
                        icon=ft.Icons.PAYMENTS,
                        change=-0.04,
                    ),
                    KpiTile(
                        ui.t("gallery.sessions"), "412", ident="sessions", icon=ft.Icons.EV_STATION
                    ),
                    KpiTile(
                        ui.t("gallery.utilisation"),
                        ui.percent(0.63),
                        ident="util",
                        icon=ft.Icons.TIMER,
                    ),
                ]
            ),
            *[ChargerCard(c, on_open=lambda: None) for c in DEMO_CHARGERS],
            StationCard(DEMO_STATION, on_open=lambda: None),
            ft.Button(ui.t("gallery.confirm_demo"), key="gallery-confirm", on_click=ask),
        ],
        spacing=12,
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )


@ft.component
def _States() -> ft.Control:
    return ft.Column(
        [
            ConnectionBanner(ConnectionState.RECONNECTING, retry_in_s=5, on_retry=lambda: None),
            ConnectionBanner(ConnectionState.RECONNECTED, hide_reconnected_after_s=0),
            ft.Container(LoadingState(), height=140),
            ft.Container(EmptyState(), height=160),
            ft.Container(ErrorState("HTTP 503 from backend", on_retry=lambda: None), height=220),
        ],
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )


@ft.component
def Gallery() -> ft.View:
    """The gallery view: four sections under the responsive scaffold."""
    ui = use_ui()
    section, set_section = ft.use_state("overview")
    items = [
        NavItem("overview", ui.t("gallery.overview"), ft.Icons.DASHBOARD),
        NavItem("session", ui.t("gauge.power"), ft.Icons.BOLT),
        NavItem("charts", ui.t("gallery.charts"), ft.Icons.BAR_CHART),
        NavItem("states", ui.t("gallery.states"), ft.Icons.INFO),
        NavItem("qr", ui.t("gallery.qr"), ft.Icons.QR_CODE),
    ]
    body: ft.Control
    if section == "session":
        body = ft.Column([SessionGauge(DEMO_SESSION)], scroll=ft.ScrollMode.AUTO)
    elif section == "charts":
        body = ft.Column(
            [
                ChartCard(ui.t("gallery.energy_per_day"), DEMO_CHART, "week-bar", ChartKind.BAR),
                ChartCard(ui.t("gallery.trend"), DEMO_CHART, "week-line", ChartKind.LINE),
            ],
            scroll=ft.ScrollMode.AUTO,
        )
    elif section == "states":
        body = _States()
    elif section == "qr":
        body = ft.Column(
            [QrCode("http://127.0.0.1:8551/c/CP-001/1", "CP-001-1", "CP-001 · 1")],
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        )
    else:
        body = _Overview()
    return ResponsiveScaffold(
        title=ui.t("gallery.title"),
        items=items,
        selected=section,
        on_select=set_section,
        body=body,
        actions=[LanguageSwitch(), ThemeToggle()],
    )


def main(page: ft.Page) -> None:
    """``ft.run``-able entry point."""
    ui = UiState(i18n=I18n.default().extended(GALLERY_TEXTS), fonts=install_cjk_font(ASSETS_DIR))
    page.title = "chargepile UI gallery"
    start_app(page, ui, Gallery)


if __name__ == "__main__":
    ft.run(main, assets_dir=str(ASSETS_DIR))
