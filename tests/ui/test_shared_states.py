"""Empty / loading / error states, Loadable switching, the connection banner and charts."""

from __future__ import annotations

import flet as ft
import flet_charts as fch

from shared import (
    ChartCard,
    ChartData,
    ChartKind,
    ChartSeries,
    ConnectionBanner,
    ConnectionState,
    EmptyState,
    ErrorState,
    Language,
    Loadable,
    LoadableView,
)
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import Props, mount, strict_ui, with_props


async def test_loadable_goes_through_loading_error_retry_empty_and_ready() -> None:
    retries: list[int] = []
    props: Props = Props(Loadable[list[str]].loading())
    ui = strict_ui()

    def render(data: Loadable[list[str]]) -> ft.Control:
        return LoadableView(
            data,
            render=lambda rows: ft.Column([ft.Text(r) for r in rows]),
            on_retry=lambda: retries.append(1),
            ident="stations",
        )

    async with FakeApp(mount(ui, with_props(props, render))) as app:
        assert app.has_key("stations-state") and app.has_text("Loading…")
        props.value = Loadable[list[str]].failed("Backend unreachable (timeout after 10 s)")
        await app.settle()
        assert app.has_text("Something went wrong")
        assert app.has_text("Backend unreachable (timeout after 10 s)")
        await app.click("stations-retry")
        assert retries == [1]
        props.value = Loadable.ready([])
        await app.settle()
        assert app.has_text("Nothing here yet")
        props.value = Loadable.ready(["Berlin-1", "Shanghai-2"])
        await app.settle()
        assert app.has_text("Shanghai-2") and not app.has_key("stations-state")


async def test_empty_state_action_and_chinese_defaults() -> None:
    actions: list[str] = []
    ui = strict_ui(language=Language.ZH_CN)

    def build() -> ft.Control:
        return ft.Column(
            [
                EmptyState(action_label="添加充电桩", on_action=lambda: actions.append("add")),
                ErrorState("HTTP 503", on_retry=lambda: None),
            ]
        )

    async with FakeApp(mount(ui, build)) as app:
        assert app.has_text("暂无内容") and app.has_text("出错了") and app.has_text("重试")
        await app.click("empty-action")
        assert actions == ["add"]


async def test_connection_banner_states() -> None:
    props = Props(ConnectionState.ONLINE)
    retried: list[int] = []
    ui = strict_ui()

    def render(state: ConnectionState) -> ft.Control:
        return ConnectionBanner(
            state, retry_in_s=5, on_retry=lambda: retried.append(1), hide_reconnected_after_s=0.5
        )

    async with FakeApp(mount(ui, with_props(props, render))) as app:
        assert not app.has_key("conn-banner")  # hidden while online
        props.value = ConnectionState.RECONNECTING
        await app.settle()
        assert app.has_text("Reconnecting… · Retrying in 5 s")
        await app.click("conn-retry")
        assert retried == [1]
        props.value = ConnectionState.RECONNECTED
        await app.settle(1)
        assert app.has_text("Reconnected")
        assert not app.has_key("conn-retry")
        await app.wait_for(lambda: not app.has_key("conn-banner"), timeout=5)
        # A second drop and return shows "Reconnected" again, and hides it again.
        props.value = ConnectionState.RECONNECTING
        await app.settle()
        props.value = ConnectionState.RECONNECTED
        await app.settle()
        assert app.has_text("Reconnected")
        await app.wait_for(lambda: not app.has_key("conn-banner"), timeout=5)
        props.value = ConnectionState.OFFLINE
        await app.settle()
        assert app.has_text("No connection")
        ui.set_language(Language.ZH_CN)
        await app.settle()
        assert app.has_text("网络未连接 · 5 秒后重试")


WEEK = ChartData(
    labels=("Mon", "Tue", "Wed"),
    series=(ChartSeries("Energy", (320.0, 410.0, 0.0)), ChartSeries("Sessions", (40, 52, 47))),
)


async def test_bar_chart_has_a_group_per_label_and_a_rod_per_series() -> None:
    ui = strict_ui()
    build = lambda: ChartCard("Energy per day", WEEK, "week", ChartKind.BAR, ui.energy)  # noqa: E731
    async with FakeApp(mount(ui, build)) as app:
        chart = app.by_key("chart-week-bars", fch.BarChart)
        assert [g.x for g in chart.groups] == [0, 1, 2]
        assert [[r.to_y for r in g.rods] for g in chart.groups] == [[320, 40], [410, 52], [0, 47]]
        assert chart.groups[1].rods[0].tooltip == "Energy: 410.00 kWh"
        assert chart.max_y == 500  # a round top above the largest value
        assert app.has_text("Energy") and app.has_text("Sessions")  # legend
        assert [lbl.label.value for lbl in chart.bottom_axis.labels] == ["Mon", "Tue", "Wed"]


async def test_line_chart_points_and_empty_chart() -> None:
    ui = strict_ui(language=Language.ZH_CN)

    def build() -> ft.Control:
        return ft.Column(
            [
                ChartCard("Trend", WEEK, "trend", ChartKind.LINE),
                ChartCard("Nothing", ChartData(labels=("Mon",), series=()), "none"),
            ]
        )

    async with FakeApp(mount(ui, build)) as app:
        chart = app.by_key("chart-trend-lines", fch.LineChart)
        assert [(p.x, p.y) for p in chart.data_series[1].points] == [(0, 40), (1, 52), (2, 47)]
        assert not app.has_key("chart-none-bars")
        assert app.has_text("该时段暂无数据")
