"""Find: stations near the driver as a list or on a map, with filters, and a station's page
(each charger's connectors with live status, power and the price in force).

The map uses flet-map with a configurable tile URL; without one (offline deployments) it still
shows the stations as markers on a plain background, which is enough to see where they are.
"""

from __future__ import annotations

import flet as ft
import flet_map as fm

from apps.user_mobile.state.app import DriverState
from apps.user_mobile.state.find import CITIES, FindModel
from apps.user_mobile.state.links import ChargerRef
from apps.user_mobile.state.pricing import unit_price
from apps.user_mobile.views.common import band_name, go_to, heading
from backend_client.models import ConnectorType, StationDetail, StationSummary
from shared import (
    ConnectorStatus,
    LoadableView,
    StationCard,
    StationInfo,
    StatusBadge,
    UiState,
    action_button,
    slug,
    spacing,
    tagged,
    use_ui,
)

__all__ = ["FindScreen", "StationScreen"]

POWER_STEPS = (0, 7, 30, 60, 120)


def _info(s: StationSummary) -> StationInfo:
    return StationInfo(
        station_id=str(s.id), name=s.name, address=s.address,
        connectors_available=s.connectors_available, connectors_total=s.connectors_total,
        max_power_kw=s.max_kw, distance_km=s.distance_km,
    )  # fmt: skip


def _filters(ui: UiState, find: FindModel) -> ft.Control:
    async def city(e: ft.Event[ft.Dropdown]) -> None:
        await find.choose_city(str(e.control.value))

    async def plug(e: ft.Event[ft.Dropdown]) -> None:
        value = str(e.control.value or "")
        await find.set_filters(
            connector_type=None if value == "any" else value,
            min_kw=find.min_kw,
            available_only=find.available_only,
        )

    async def power(e: ft.Event[ft.Dropdown]) -> None:
        kw = float(e.control.value or 0)
        await find.set_filters(
            connector_type=find.connector_type,
            min_kw=kw or None,
            available_only=find.available_only,
        )

    async def free(e: ft.Event[ft.Switch]) -> None:
        await find.set_filters(
            connector_type=find.connector_type,
            min_kw=find.min_kw,
            available_only=bool(e.control.value),
        )

    where = ui.t("find.near_me") if find.located else ui.t(f"city.{find.city}")
    return ft.Column(
        [
            ft.Row(
                [
                    ft.Container(
                        tagged(
                            "find-city",
                            ft.Dropdown(
                                label=ui.t("find.city"),
                                value=find.city,
                                on_select=city,
                                dense=True,
                                options=[
                                    ft.DropdownOption(key=c.key, text=ui.t(f"city.{c.key}"))
                                    for c in CITIES
                                ],
                                expand=True,
                            ),
                        ),
                        expand=True,
                    ),
                    tagged(
                        "find-locate",
                        ft.IconButton(
                            ft.Icons.MY_LOCATION,
                            tooltip=ui.t("find.use_location"),
                            on_click=find.use_my_location,
                        ),
                    ),
                ]
            ),
            ft.Row(
                [
                    ft.Container(
                        tagged(
                            "find-plug",
                            ft.Dropdown(
                                label=ui.t("find.plug"),
                                value=find.connector_type or "any",
                                on_select=plug,
                                dense=True,
                                expand=True,
                                options=[ft.DropdownOption(key="any", text=ui.t("find.any"))]
                                + [
                                    ft.DropdownOption(key=t.value, text=ui.t(f"plug.{t.value}"))
                                    for t in ConnectorType
                                ],
                            ),
                        ),
                        expand=True,
                    ),
                    ft.Container(
                        tagged(
                            "find-power",
                            ft.Dropdown(
                                label=ui.t("find.power"),
                                value=str(int(find.min_kw or 0)),
                                on_select=power,
                                dense=True,
                                expand=True,
                                options=[
                                    ft.DropdownOption(
                                        key=str(kw),
                                        text=ui.t("find.any") if kw == 0 else f"≥ {kw} kW",
                                    )
                                    for kw in POWER_STEPS
                                ],
                            ),
                        ),
                        expand=True,
                    ),
                ]
            ),
            ft.Row(
                [
                    tagged(
                        "find-available",
                        ft.Switch(
                            label=ui.t("find.available_now"),
                            value=find.available_only,
                            on_change=free,
                        ),
                    ),
                    ft.Container(expand=True),
                    action_button(
                        "find-map-toggle",
                        ui.t("find.list") if find.show_map else ui.t("find.map"),
                        find.toggle_map,
                        kind="text",
                        icon=ft.Icons.LIST if find.show_map else ft.Icons.MAP,
                    ),
                ]
            ),
            ft.Text(ui.t("find.around", place=where), size=12, key="find-where"),
        ],
        spacing=spacing.sm,
    )


def _map(
    ui: UiState, state: DriverState, find: FindModel, stations: list[StationSummary]
) -> ft.Control:
    lat, lon = find.centre
    layers: list[fm.MapLayer] = []
    if state.config.tile_url:
        layers.append(fm.TileLayer(url_template=state.config.tile_url))
    markers = [
        fm.Marker(
            coordinates=fm.MapLatitudeLongitude(s.latitude, s.longitude),
            content=tagged(
                slug("marker", s.id),
                ft.IconButton(
                    ft.Icons.EV_STATION,
                    icon_color=ft.Colors.GREEN_700
                    if s.connectors_available
                    else ft.Colors.GREY_700,
                    tooltip=s.name,
                    on_click=go_to(state, f"/station/{s.id}"),
                ),
            ),
            width=40,
            height=40,
        )
        for s in stations
    ]
    layers.append(fm.MarkerLayer(markers=markers))
    caption = [] if state.config.tile_url else [ft.Text(ui.t("find.no_tiles"), size=12)]
    return ft.Column(
        [
            ft.Container(
                fm.Map(
                    layers=layers,
                    initial_center=fm.MapLatitudeLongitude(lat, lon),
                    initial_zoom=11,
                    bgcolor=ft.Colors.BLUE_GREY_50,
                    key="find-map",
                ),
                height=420,
                border_radius=12,
                clip_behavior=ft.ClipBehavior.HARD_EDGE,
            ),
            *caption,
        ],
        spacing=spacing.xs,
    )


@ft.component
def FindScreen(state: DriverState, find: FindModel) -> ft.Control:
    ui = use_ui()

    def results(stations: list[StationSummary]) -> ft.Control:
        if find.show_map:
            return _map(ui, state, find, stations)
        return ft.Column(
            [StationCard(_info(s), on_open=go_to(state, f"/station/{s.id}")) for s in stations],
            spacing=spacing.sm,
        )

    return ft.Column(
        [
            _filters(ui, find),
            LoadableView(
                find.results,
                results,
                on_retry=find.search,
                empty_message=ui.t("find.none"),
                ident="stations",
            ),
        ],
        spacing=spacing.md,
    )


def _station(ui: UiState, state: DriverState, detail: StationDetail) -> ft.Control:
    rows: list[ft.Control] = [
        heading(detail.name),
        ft.Text(f"{detail.address} · {detail.operator_name}", size=12),
        ft.Text(ui.t("station.hours", hours=detail.opening_hours), size=12),
    ]
    price = detail.price_now
    if price is not None:
        text = unit_price(price.energy_price, price.currency, "kWh")
        text += f" ({band_name(ui, price.band_label)})"
        if price.idle_fee_per_minute > 0:
            text += " · " + ui.t(
                "price.idle_short",
                fee=unit_price(price.idle_fee_per_minute, price.currency, "min"),
                minutes=price.idle_grace_minutes,
            )
        rows.append(ft.Text(text, key="station-price", weight=ft.FontWeight.BOLD))
    else:
        rows.append(ft.Text(ui.t("price.none"), key="station-price"))
    for charger in detail.chargers:
        for c in charger.connectors:
            ref = ChargerRef(charger.ocpp_id, c.connector_no)
            status = ConnectorStatus.from_wire(c.ocpp_status, online=charger.is_online)
            rows.append(
                ft.Card(
                    tagged(
                        slug("open", charger.ocpp_id, c.connector_no),
                        ft.ListTile(
                            title=ft.Text(ref.caption),
                            subtitle=ft.Text(
                                f"{ui.t('plug.' + c.connector_type.value)} · {ui.power(c.max_kw)}"
                            ),
                            trailing=StatusBadge(
                                status, ident=slug(charger.ocpp_id, c.connector_no), dense=True
                            ),
                            on_click=go_to(state, ref.route),
                        ),
                    )
                )
            )
    return ft.Column(rows, spacing=spacing.sm)


@ft.component
def StationScreen(state: DriverState, find: FindModel) -> ft.Control:
    ui = use_ui()
    detail = find.detail
    if detail is None:
        return ft.Container()

    def render(value: StationDetail) -> ft.Control:
        return _station(ui, state, value)

    async def retry() -> None:
        await state.go(state.route)

    return LoadableView(detail, render, on_retry=retry, ident="station")
