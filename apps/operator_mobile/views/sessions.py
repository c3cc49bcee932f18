"""Charging sessions with filters (status, station) and CSV export (console)."""

from __future__ import annotations

import flet as ft

from apps.operator_mobile.state.manage import SessionsState
from apps.operator_mobile.state.monitor import NetworkState
from apps.operator_mobile.views.common import save_file, screen, use_services
from backend_client.models import SessionPublic, SessionStatus
from shared import LoadableView, UiState, action_button, slug, use_ui

__all__ = ["SessionsScreen"]


def _row(ui: UiState, s: SessionPublic) -> ft.Control:
    return ft.ListTile(
        key=slug("session-row", s.id),
        dense=True,
        title=ft.Text(
            f"#{s.id} · {s.station_name} · {s.ocpp_id}/{s.connector_no} · {ui.t('sessions.status_' + s.status.value)}"
        ),
        subtitle=ft.Text(
            f"{ui.date_time(s.started_at)} · {s.id_tag} · {ui.energy(s.energy_wh / 1000)} · {ui.money(s.cost_minor, s.currency)}"
        ),
    )


@ft.component
def SessionsScreen(sessions: SessionsState, network: NetworkState) -> ft.Control:
    ui = use_ui()
    services = use_services()

    def status_filter(status: SessionStatus | None) -> ft.Control:
        async def choose() -> None:
            await sessions.set_filters(status=status, station_id=sessions.station_id)

        name = status.value if status else "all"
        return action_button(
            f"sessions-status-{name}",
            ui.t(f"sessions.status_{name}"),
            choose,
            kind="filled" if sessions.status == status else "outlined",
        )

    def station_filter(station_id: int | None, label: str) -> ft.Control:
        async def choose() -> None:
            await sessions.set_filters(status=sessions.status, station_id=station_id)

        return action_button(
            f"sessions-station-{station_id or 'all'}",
            label,
            choose,
            kind="tonal" if sessions.station_id == station_id else "text",
        )

    async def export() -> None:
        await save_file(services, *sessions.export_csv())

    stations = [s for s in network.stations.value or [] if s.status == "active"]
    return screen(
        ui.t("nav.sessions"),
        [
            action_button(
                "sessions-export",
                ui.t("reports.export_csv"),
                export,
                icon=ft.Icons.DOWNLOAD,
                kind="tonal",
            )
        ],
        [
            ft.Row([status_filter(None), *[status_filter(s) for s in SessionStatus]], wrap=True),
            ft.Row(
                [
                    station_filter(None, ui.t("sessions.all_stations")),
                    *[station_filter(s.id, s.name) for s in stations],
                ],
                wrap=True,
            ),
            ft.Text(
                ui.t(
                    "sessions.count", shown=len(sessions.sessions.value or []), total=sessions.total
                ),
                size=12,
                visible=sessions.sessions.value is not None,
            ),
            LoadableView(
                sessions.sessions,
                lambda items: ft.Column([_row(ui, s) for s in items], spacing=0),
                on_retry=sessions.reload,
                empty_message=ui.t("sessions.none"),
                ident="sessions",
            ),
        ],
        "screen-sessions",
    )
