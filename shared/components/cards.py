"""Charger card, station card and KPI tile: the list items and figures every app shows.

Why components: they format numbers and status names in the session's language, and they give
each card a stable id derived from the charger/station id so tests can open "charger CP-001"
without depending on list order.
"""

from __future__ import annotations

import flet as ft

from shared.components.badges import StatusBadge
from shared.components.base import Action, slug, tagged
from shared.models import ChargerInfo, StationInfo
from shared.state import use_ui
from shared.status import ConnectorStatus
from shared.theme import spacing

__all__ = ["ChargerCard", "KpiGrid", "KpiTile", "StationCard"]


def _clickable_card(ident: str, content: ft.Control, on_open: Action | None) -> ft.Control:
    # The key sits on the tappable container, so tests click ``key`` directly.
    body = ft.Container(
        content=content,
        padding=spacing.lg,
        on_click=on_open,
        ink=on_open is not None,
        border_radius=12,
        key=ident,
    )
    card = ft.Card(content=body)
    if on_open is None:
        return card
    return ft.Semantics(identifier=ident, button=True, content=card)


@ft.component
def ChargerCard(charger: ChargerInfo, on_open: Action | None = None) -> ft.Control:
    """A charger with a status badge per connector; the card (``key="charger-<id>"``) opens it.

    A disconnected charger shows every connector as Offline and, when known, when it was last
    seen.
    """
    ui = use_ui()
    ident = slug("charger", charger.charge_point_id)
    total = len(charger.connectors)
    subtitle = [charger.charge_point_id] + ([charger.model] if charger.model else [])
    rows: list[ft.Control] = [
        ft.Row(
            [
                ft.Icon(ft.Icons.EV_STATION, color=ft.Colors.PRIMARY),
                ft.Column(
                    [
                        ft.Text(charger.name, weight=ft.FontWeight.BOLD, size=16),
                        ft.Text(" · ".join(subtitle), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                    ],
                    spacing=0,
                    expand=True,
                ),
                ft.Text(
                    ui.t(
                        "charger.connectors_available",
                        available=charger.available_count,
                        total=total,
                    ),
                    size=12,
                    key=slug(ident, "available"),
                ),
            ],
            spacing=spacing.md,
        )
    ]
    if not charger.online and charger.last_seen is not None:
        rows.append(
            ft.Text(
                ui.t("charger.last_seen", time=ui.date_time(charger.last_seen)),
                size=12,
                color=ft.Colors.ERROR,
            )
        )
    for connector in charger.connectors:
        status = charger.connector_status(connector)
        details = [ui.t("charger.connector", id=connector.connector_id)]
        if connector.connector_type:
            details.append(connector.connector_type)
        if connector.max_power_kw is not None:
            details.append(ui.power(connector.max_power_kw))
        rows.append(
            ft.Row(
                [
                    ft.Text(" · ".join(details), expand=True),
                    StatusBadge(
                        status,
                        ident=f"{charger.charge_point_id}-{connector.connector_id}",
                        dense=True,
                    ),
                ],
            )
        )
    return _clickable_card(ident, ft.Column(rows, spacing=spacing.sm), on_open)


@ft.component
def StationCard(station: StationInfo, on_open: Action | None = None) -> ft.Control:
    """A station: name, address, how many connectors are free, power, price, distance.

    The card has ``key="station-<id>"``; the free-count text turns red when nothing is free.
    """
    ui = use_ui()
    ident = slug("station", station.station_id)
    facts: list[str] = []
    if station.max_power_kw is not None:
        facts.append(ui.t("station.max_power", power=ui.power(station.max_power_kw)))
    if station.price_minor_per_kwh is not None:
        facts.append(
            ui.t(
                "station.price_from", price=ui.money(station.price_minor_per_kwh, station.currency)
            )
        )
    if station.distance_km is not None:
        distance = (
            f"{station.distance_km * 1000:.0f} m"
            if station.distance_km < 1
            else f"{station.distance_km:.1f} km"
        )
        facts.append(ui.t("station.distance", distance=distance))
    free = station.connectors_available
    status = ConnectorStatus.AVAILABLE if free else ConnectorStatus.UNAVAILABLE
    content = ft.Column(
        [
            ft.Row(
                [
                    ft.Text(station.name, weight=ft.FontWeight.BOLD, size=16, expand=True),
                    StatusBadge(status, ident=station.station_id, dense=True),
                ]
            ),
            ft.Text(station.address, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(
                ui.t(
                    "charger.connectors_available",
                    available=free,
                    total=station.connectors_total,
                ),
                key=slug(ident, "available"),
                color=None if free else ft.Colors.ERROR,
            ),
            ft.Text(" · ".join(facts), size=12),
        ],
        spacing=spacing.xs,
    )
    return _clickable_card(ident, content, on_open)


@ft.component
def KpiTile(
    label: str,
    value: str,
    ident: str,
    icon: ft.IconData | None = None,
    caption: str | None = None,
    change: float | None = None,
    on_click: Action | None = None,
) -> ft.Control:
    """A dashboard figure: ``label`` over a big ``value`` (already formatted).

    Args:
        ident: stable id; the tile is ``key="kpi-<ident>"``, its value ``"kpi-<ident>-value"``.
        change: relative change vs the previous period (``0.12`` → "+12%" in green, negatives
            red), shown with the translated "vs previous period".
        on_click: makes the tile a button (drill-down).
    """
    ui = use_ui()
    key = slug("kpi", ident)
    lines: list[ft.Control] = [
        ft.Row(
            [
                *([ft.Icon(icon, size=18, color=ft.Colors.PRIMARY)] if icon else []),
                ft.Text(label, size=13, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
            ],
            spacing=spacing.xs,
        ),
        ft.Text(value, size=26, weight=ft.FontWeight.BOLD, key=slug(key, "value")),
    ]
    if change is not None:
        sign = "+" if change > 0 else ""
        color = ft.Colors.GREEN_700 if change >= 0 else ft.Colors.RED_700
        lines.append(
            ft.Row(
                [
                    ft.Icon(
                        ft.Icons.TRENDING_UP if change >= 0 else ft.Icons.TRENDING_DOWN,
                        size=16,
                        color=color,
                    ),
                    ft.Text(
                        ui.t("kpi.vs_previous", change=f"{sign}{ui.percent(change)}"),
                        size=12,
                        color=color,
                    ),
                ],
                spacing=spacing.xs,
            )
        )
    if caption:
        lines.append(ft.Text(caption, size=12, color=ft.Colors.ON_SURFACE_VARIANT))
    tile = ft.Container(
        content=ft.Column(lines, spacing=spacing.xs),
        padding=spacing.lg,
        border_radius=12,
        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        on_click=on_click,
        ink=on_click is not None,
        key=key,
    )
    return tagged(key, tile) if on_click is not None else tile


def KpiGrid(tiles: list[ft.Control], ident: str = "kpis") -> ft.Control:
    """Lay KPI tiles out two per row on phones, three on tablets, four on desktops.

    Each tile is wrapped in its own responsive cell (components carry no ``col`` of their own).
    """
    return ft.ResponsiveRow(
        [ft.Container(content=tile, col={"xs": 6, "md": 4, "lg": 3}) for tile in tiles],
        key=ident,
        spacing=spacing.md,
        run_spacing=spacing.md,
    )
