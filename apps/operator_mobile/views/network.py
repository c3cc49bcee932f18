"""Stations and their chargers with live connector status; a charger card opens its detail.

On the wide console the same screen carries the management actions (see :mod:`.catalog`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from apps.operator_mobile.state.catalog import CatalogState
from apps.operator_mobile.state.monitor import NetworkState
from apps.operator_mobile.views.catalog import StationActions, catalog_toolbar
from apps.operator_mobile.views.common import screen
from backend_client.models import ChargerPublic, StationPublic
from shared import (
    ChargerCard,
    ChargerInfo,
    ConnectorInfo,
    ConnectorStatus,
    LoadableView,
    action_button,
    bind,
    outcome_line,
    use_ui,
)

__all__ = ["NetworkScreen", "charger_info"]


def charger_info(charger: ChargerPublic) -> ChargerInfo:
    """The shared card's data for a charger (retired connectors left out)."""
    return ChargerInfo(
        charge_point_id=charger.ocpp_id,
        name=" ".join(p for p in (charger.vendor, charger.model) if p) or charger.ocpp_id,
        connectors=tuple(
            ConnectorInfo(
                c.connector_no,
                ConnectorStatus.from_wire(c.ocpp_status, online=charger.is_online),
                c.connector_type.value,
                c.max_kw,
            )
            for c in charger.connectors
            if c.status == "active"
        ),
        online=charger.is_online,
        model=charger.serial_number or "",
        last_seen=charger.last_seen_at,
    )


@ft.component
def NetworkScreen(
    network: NetworkState,
    catalog: CatalogState,
    wide: bool,
    open_charger: Callable[[int], Awaitable[None]],
) -> ft.Control:
    ui = use_ui()

    def station_block(station: StationPublic, chargers: list[ChargerPublic]) -> ft.Control:
        mine = [c for c in chargers if c.station_id == station.id and c.status == "active"]
        header: list[ft.Control] = [
            ft.Column(
                [
                    ft.Text(station.name, size=18, weight=ft.FontWeight.BOLD),
                    ft.Text(
                        f"{station.address} · {station.city}".strip(" ·"),
                        size=12,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                    ),
                ],
                spacing=0,
                expand=True,
            )
        ]
        if wide:
            header.append(StationActions(catalog, station))
        cards = [ChargerCard(charger_info(c), on_open=bind(open_charger, c.id)) for c in mine]
        if not cards:
            cards = [ft.Text(ui.t("network.no_chargers"), color=ft.Colors.ON_SURFACE_VARIANT)]
        return ft.Column([ft.Row(header), *cards], spacing=8, key=f"station-block-{station.id}")

    def body(stations: list[StationPublic]) -> ft.Control:
        chargers = network.chargers.value or []
        active = [s for s in stations if s.status == "active"]
        return ft.Column([station_block(s, chargers) for s in active], spacing=20)

    actions = [
        action_button(
            "network-refresh",
            ui.t("common.refresh"),
            network.reload,
            icon=ft.Icons.REFRESH,
            kind="text",
        )
    ]
    content: list[ft.Control] = []
    if wide:
        content += [catalog_toolbar(catalog), outcome_line(catalog.outcome, "catalog-outcome")]
        if catalog.secret:
            content.append(
                ft.Text(
                    catalog.secret, key="catalog-secret", selectable=True, color=ft.Colors.PRIMARY
                )
            )
        if catalog.import_report:
            content.append(
                ft.Column(
                    [ft.Text(line, size=12) for line in catalog.import_report], key="import-report"
                )
            )
    content.append(
        LoadableView(
            network.stations,
            body,
            on_retry=network.reload,
            empty_message=ui.t("network.empty"),
            ident="network",
        )
    )
    return screen(ui.t("nav.network"), actions, content, "screen-network")
