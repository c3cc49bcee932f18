"""Printable QR labels per connector (PNG per connector, PDF per charger), console screen.

Each QR holds ``<public driver URL>/c/<chargePointId>/<connectorId>``.
"""

from __future__ import annotations

import flet as ft

from apps.operator_mobile.state.labels import charger_labels_pdf, connector_label_png, deep_link
from apps.operator_mobile.state.monitor import NetworkState
from apps.operator_mobile.views.common import Services, save_file, screen, use_services
from backend_client.models import ChargerPublic
from shared import LoadableView, QrCode, UiState, action_button, bind, slug, use_ui

__all__ = ["LabelsScreen"]


def _charger_labels(
    ui: UiState, services: Services, network: NetworkState, charger: ChargerPublic
) -> ft.Control:
    station = network.station_name(charger.station_id)
    url = services.public_driver_url
    ident = slug("labels", charger.ocpp_id)

    async def png(connector_no: int) -> None:
        data = connector_label_png(url, charger, connector_no, station)
        await save_file(services, f"label-{charger.ocpp_id}-{connector_no}.png", data)

    async def pdf() -> None:
        await save_file(
            services, f"labels-{charger.ocpp_id}.pdf", charger_labels_pdf(url, charger, station)
        )

    tiles: list[ft.Control] = []
    for c in charger.connectors:
        if c.status != "active":
            continue
        link = deep_link(url, charger.ocpp_id, c.connector_no)
        tiles.append(
            ft.Column(
                [
                    QrCode(
                        link,
                        slug(charger.ocpp_id, c.connector_no),
                        f"{charger.ocpp_id} · {c.connector_no}",
                        size=140,
                    ),
                    ft.Text(link, size=10, selectable=True, key=slug(ident, c.connector_no, "url")),
                    action_button(
                        slug(ident, c.connector_no, "png"),
                        "PNG",
                        bind(png, c.connector_no),
                        icon=ft.Icons.IMAGE,
                        kind="text",
                    ),
                ],
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                width=200,
            )
        )
    return ft.Card(
        key=ident,
        content=ft.Container(
            ft.Column(
                [
                    ft.Row(
                        [
                            ft.Text(
                                f"{charger.ocpp_id} · {station}",
                                weight=ft.FontWeight.BOLD,
                                expand=True,
                            ),
                            action_button(
                                slug(ident, "pdf"),
                                ui.t("labels.pdf"),
                                pdf,
                                icon=ft.Icons.PICTURE_AS_PDF,
                                kind="tonal",
                            ),
                        ]
                    ),
                    ft.Row(tiles, wrap=True, spacing=16),
                ]
            ),
            padding=14,
        ),
    )


@ft.component
def LabelsScreen(network: NetworkState) -> ft.Control:
    ui = use_ui()
    services = use_services()
    return screen(
        ui.t("nav.labels"),
        [],
        [
            ft.Text(ui.t("labels.explain", url=services.public_driver_url), size=12),
            LoadableView(
                network.chargers,
                lambda chargers: ft.Column(
                    [
                        _charger_labels(ui, services, network, c)
                        for c in chargers
                        if c.status == "active"
                    ],
                    spacing=8,
                ),
                on_retry=network.reload,
                empty_message=ui.t("network.empty"),
                ident="labels",
            ),
        ],
        "screen-labels",
    )
