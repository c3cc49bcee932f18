"""Charger card, station card, KPI tiles and the live session gauge."""

from __future__ import annotations

from datetime import datetime

import flet as ft

from shared import (
    ChargerCard,
    ChargerInfo,
    ConnectorInfo,
    ConnectorStatus,
    KpiGrid,
    KpiTile,
    Language,
    LiveSession,
    SessionGauge,
    StationCard,
    StationInfo,
)
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import Props, mount, strict_ui, with_props

CHARGER = ChargerInfo(
    "CP-001",
    "Depot North 1",
    (
        ConnectorInfo(1, ConnectorStatus.CHARGING, "CCS2", 150),
        ConnectorInfo(2, ConnectorStatus.AVAILABLE, "CCS2", 150),
    ),
    model="Terra 184",
)


async def test_charger_card_shows_each_connector_and_opens() -> None:
    opened: list[str] = []
    ui = strict_ui()
    main = mount(ui, lambda: ChargerCard(CHARGER, on_open=lambda: opened.append("CP-001")))
    async with FakeApp(main) as app:
        assert app.by_key("charger-CP-001-available").value == "1 of 2 available"
        assert app.by_key("status-CP-001-1").data == "Charging"
        assert app.by_key("status-CP-001-2").data == "Available"
        assert app.has_text("Connector 1 · CCS2 · 150 kW")
        assert app.by_identifier("charger-CP-001").button
        await app.click("charger-CP-001")
        assert opened == ["CP-001"]


async def test_offline_charger_shows_every_connector_offline_and_last_seen() -> None:
    charger = ChargerInfo(
        "CP-9",
        "Yard",
        (ConnectorInfo(1, ConnectorStatus.CHARGING),),
        online=False,
        last_seen=datetime(2026, 11, 24, 7, 55),
    )
    ui = strict_ui(language=Language.ZH_CN)
    async with FakeApp(mount(ui, lambda: ChargerCard(charger))) as app:
        assert app.by_key("status-CP-9-1").data == "Offline"
        assert app.has_text("离线")
        assert app.has_text("最后在线 2026年11月24日 07:55")
        assert app.by_key("charger-CP-9-available").value == "0/1 可用"
        # Without on_open the card is not a button for screen readers or tests.
        assert not app.find(lambda c: isinstance(c, ft.Semantics))


async def test_station_card_facts_and_full_station() -> None:
    station = StationInfo("S-1", "Harbour", "1 Quay St", 0, 4, 120, 0.4, 150, "CNY")
    ui = strict_ui()
    async with FakeApp(mount(ui, lambda: StationCard(station, on_open=lambda: None))) as app:
        free = app.by_key("station-S-1-available")
        assert free.value == "0 of 4 available"
        assert free.color == ft.Colors.ERROR
        assert app.has_text("Up to 120 kW · From ¥1.50/kWh · 400 m away")
        assert app.by_key("status-S-1").data == "Unavailable"


async def test_kpi_tiles_show_value_and_signed_change() -> None:
    clicked: list[str] = []
    ui = strict_ui()

    def build() -> ft.Control:
        return KpiGrid(
            [
                KpiTile("Energy", ui.energy(1234.5), "energy", change=0.12),
                KpiTile(
                    "Revenue",
                    ui.money(99000, "CNY"),
                    "revenue",
                    change=-0.04,
                    on_click=lambda: clicked.append("revenue"),
                ),
            ]
        )

    async with FakeApp(mount(ui, build)) as app:
        assert app.by_key("kpi-energy-value").value == "1,234.5 kWh"
        assert app.has_text("+12% vs previous period")
        assert app.has_text("-4% vs previous period")
        assert app.by_identifier("kpi-revenue")
        await app.click("kpi-revenue")
        assert clicked == ["revenue"]


async def test_gauge_shows_live_figures_and_updates_on_push() -> None:
    props = Props(LiveSession(48.6, 12.345, 1852, "CNY", 1509, max_power_kw=150))
    ui = strict_ui()
    main = mount(ui, with_props(props, lambda s: SessionGauge(s, ticking=False)))
    async with FakeApp(main) as app:
        assert app.by_key("gauge-power").value == "48.6 kW"
        assert app.by_key("gauge-energy").value == "12.35 kWh"
        assert app.by_key("gauge-cost").value == "¥18.52"
        assert app.by_key("gauge-elapsed").value == "0:25:09"
        ring = app.find_all(ft.ProgressRing)[0]
        assert ring.value is not None and abs(ring.value - 48.6 / 150) < 1e-9
        props.value = LiveSession(50.0, 13.0, 1950, "CNY", 1569, max_power_kw=150)
        await app.settle()
        assert app.by_key("gauge-energy").value == "13.00 kWh"
        assert app.by_key("gauge-elapsed").value == "0:26:09"
        ui.set_language(Language.ZH_CN)
        await app.settle()
        assert app.has_text("电量") and app.has_text("费用")


async def test_gauge_clock_ticks_between_pushes() -> None:
    ui = strict_ui()
    session = LiveSession(7.0, 1.0, 100, "CNY", 59)
    async with FakeApp(mount(ui, lambda: SessionGauge(session, ticking=True))) as app:
        assert app.by_key("gauge-elapsed").value == "0:00:59"
        await app.wait_for(lambda: app.by_key("gauge-elapsed").value == "0:01:00", timeout=3)
        # without a maximum the ring is full while power flows, never a spinner
        assert app.find_all(ft.ProgressRing)[0].value == 1.0
