"""Chart card over flet-charts: bar or line chart of one or more series, with a legend.

Why a wrapper: flet-charts is a low-level API (groups, rods, axis labels as controls); reports on
both operator terminals need the same look (brand colours, readable axis labels, tooltips with
formatted values, an empty state) from plain lists of numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import flet as ft
import flet_charts as fch

from shared.components.base import slug
from shared.components.states import EmptyState
from shared.models import ChartData
from shared.state import use_ui
from shared.theme import BRAND, spacing

__all__ = ["ChartCard", "ChartKind"]

_DEFAULT_COLORS = (BRAND.primary, BRAND.tertiary, ft.Colors.AMBER_700, ft.Colors.PURPLE_400)
# With many categories only every n-th bottom label is drawn so they do not overlap on phones.
_MAX_LABELS = 8


class ChartKind(StrEnum):
    """Which chart to draw."""

    BAR = "bar"
    LINE = "line"


def _bottom_axis(labels: list[str]) -> fch.ChartAxis:
    step = max(1, -(-len(labels) // _MAX_LABELS))
    return fch.ChartAxis(
        labels=[
            fch.ChartAxisLabel(value=i, label=ft.Text(text, size=10))
            for i, text in enumerate(labels)
            if i % step == 0
        ],
        label_spacing=step,
        label_size=28,
    )


def _left_axis(top: float, fmt: Callable[[float], str]) -> fch.ChartAxis:
    ticks = [top * i / 4 for i in range(5)]
    return fch.ChartAxis(
        labels=[fch.ChartAxisLabel(value=v, label=ft.Text(fmt(v), size=10)) for v in ticks],
        # fl_chart asks for a label at each spacing step only; without matching spacing the
        # custom labels between min and max are never drawn.
        label_spacing=top / 4,
        label_size=56,
    )


def _nice_top(value: float) -> float:
    """A round axis maximum a bit above ``value`` (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for factor in (1, 2, 2.5, 5, 10):
        if value * 1.05 <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


@ft.component
def ChartCard(
    title: str,
    data: ChartData,
    ident: str,
    kind: ChartKind = ChartKind.BAR,
    value_format: Callable[[float], str] | None = None,
    height: float = 240,
) -> ft.Control:
    """A titled card with a bar or line chart of ``data`` (``key="chart-<ident>"``).

    Args:
        value_format: formats axis ticks and tooltips (e.g. ``ui.energy``); plain numbers
            otherwise.
        height: chart height; the width follows the parent.

    Empty data shows the translated "No data for this period" instead of an empty grid.
    """
    ui = use_ui()
    key = slug("chart", ident)
    fmt = value_format or (lambda v: f"{v:,.0f}")
    header = ft.Text(title, weight=ft.FontWeight.BOLD, size=16)
    if data.is_empty:
        body: ft.Control = ft.Container(
            height=height,
            content=EmptyState(ui.t("chart.no_data"), icon=ft.Icons.BAR_CHART, ident=key),
        )
        return ft.Card(key=key, content=ft.Container(ft.Column([header, body]), padding=16))
    labels = list(data.labels)
    top = _nice_top(data.max_value)
    colors = [
        s.color or _DEFAULT_COLORS[i % len(_DEFAULT_COLORS)] for i, s in enumerate(data.series)
    ]
    grid = fch.ChartGridLines(interval=top / 4, color=ft.Colors.OUTLINE_VARIANT, width=1)
    chart: ft.Control
    if kind == ChartKind.BAR:
        width = max(4.0, min(22.0, 240 / max(1, len(labels) * len(data.series))))
        chart = fch.BarChart(
            key=slug(key, "bars"),
            groups=[
                fch.BarChartGroup(
                    x=i,
                    rods=[
                        fch.BarChartRod(
                            to_y=series.values[i],
                            color=colors[n],
                            width=width,
                            border_radius=3,
                            tooltip=f"{series.name}: {fmt(series.values[i])}",
                        )
                        for n, series in enumerate(data.series)
                    ],
                )
                for i in range(len(labels))
            ],
            bottom_axis=_bottom_axis(labels),
            left_axis=_left_axis(top, fmt),
            horizontal_grid_lines=grid,
            min_y=0,
            max_y=top,
            height=height,
            expand=True,
        )
    else:
        chart = fch.LineChart(
            key=slug(key, "lines"),
            data_series=[
                fch.LineChartData(
                    points=[
                        fch.LineChartDataPoint(
                            x=i, y=v, tooltip=f"{labels[i]} · {series.name}: {fmt(v)}"
                        )
                        for i, v in enumerate(series.values)
                    ],
                    color=colors[n],
                    stroke_width=3,
                    curved=True,
                    prevent_curve_over_shooting=True,
                )
                for n, series in enumerate(data.series)
            ],
            bottom_axis=_bottom_axis(labels),
            left_axis=_left_axis(top, fmt),
            horizontal_grid_lines=grid,
            min_y=0,
            max_y=top,
            min_x=0,
            max_x=max(1, len(labels) - 1),
            height=height,
            expand=True,
        )
    legend = ft.Row(
        [
            ft.Row(
                [
                    ft.Container(width=10, height=10, bgcolor=colors[n], border_radius=5),
                    ft.Text(series.name, size=12),
                ],
                spacing=spacing.xs,
                tight=True,
            )
            for n, series in enumerate(data.series)
        ],
        spacing=spacing.lg,
        wrap=True,
    )
    return ft.Card(
        key=key,
        content=ft.Container(
            ft.Column([header, legend, ft.Container(chart, height=height)], spacing=spacing.sm),
            padding=spacing.lg,
        ),
    )
