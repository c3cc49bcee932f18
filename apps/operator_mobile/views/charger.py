"""Charger detail: connectors with live status, remote actions with confirmation and the
charger's real answer, and its recent sessions (stop a running one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from apps.operator_mobile.state.catalog import CatalogState
from apps.operator_mobile.state.monitor import ChargerDetailState
from apps.operator_mobile.views.charger_admin import charger_admin_card
from apps.operator_mobile.views.common import screen
from apps.operator_mobile.views.network import charger_info
from backend_client.models import ChargerPublic, SessionPublic
from shared import (
    ChargerCard,
    LoadableView,
    UiState,
    action_button,
    ask_confirmation,
    outcome_line,
    slug,
    use_ui,
)

__all__ = ["ChargerScreen"]

Back = Callable[[], Awaitable[None]]


def _confirm_then(
    ui: UiState,
    detail: ChargerDetailState,
    action: str,
    ident: str,
    *,
    connector: int = 0,
    session: int = 0,
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        ok = await ask_confirmation(
            page,
            ui,
            title=ui.t(f"remote.{action}_title"),
            message=ui.t(f"remote.{action}_message", connector=connector, session=session),
            confirm_label=ui.t(f"remote.{action}"),
            destructive=action in ("reset", "hard_reset", "stop", "inoperative"),
            ident=slug(ident, "confirm"),
        )
        if ok:
            await detail.run(action, connector_no=connector, session_id=session)

    return run


def _actions(ui: UiState, detail: ChargerDetailState, charger: ChargerPublic) -> ft.Control:
    busy = detail.busy is not None
    rows: list[ft.Control] = [
        ft.Row(
            [
                action_button(
                    "remote-reset",
                    ui.t("remote.reset"),
                    _confirm_then(ui, detail, "reset", "remote-reset"),
                    icon=ft.Icons.RESTART_ALT,
                    kind="tonal",
                    disabled=busy,
                ),
                action_button(
                    "remote-hard-reset",
                    ui.t("remote.hard_reset"),
                    _confirm_then(ui, detail, "hard_reset", "remote-hard-reset"),
                    icon=ft.Icons.POWER_SETTINGS_NEW,
                    kind="outlined",
                    disabled=busy,
                ),
            ],
            wrap=True,
        )
    ]
    for c in charger.connectors:
        if c.status != "active":
            continue
        ident = slug("connector", charger.ocpp_id, c.connector_no)
        operative = c.ocpp_status != "Unavailable"
        rows.append(
            ft.Row(
                [
                    # Fixed width, not expanded: on a phone the two buttons need the room.
                    ft.Text(ui.t("charger.connector", id=c.connector_no), width=96, no_wrap=True),
                    action_button(
                        slug(ident, "unlock"),
                        ui.t("remote.unlock"),
                        _confirm_then(
                            ui, detail, "unlock", slug(ident, "unlock"), connector=c.connector_no
                        ),
                        icon=ft.Icons.LOCK_OPEN,
                        kind="text",
                        disabled=busy,
                    ),
                    action_button(
                        slug(ident, "availability"),
                        ui.t("remote.inoperative" if operative else "remote.operative"),
                        _confirm_then(
                            ui,
                            detail,
                            "inoperative" if operative else "operative",
                            slug(ident, "availability"),
                            connector=c.connector_no,
                        ),
                        icon=ft.Icons.BLOCK if operative else ft.Icons.CHECK,
                        kind="text",
                        disabled=busy,
                    ),
                ],
            )
        )
    if busy:
        rows.append(
            ft.Row(
                [ft.ProgressRing(width=16, height=16), ft.Text(ui.t("remote.waiting"))],
                key="remote-busy",
            )
        )
    rows.append(outcome_line(detail.outcome, "remote-outcome"))
    return ft.Card(
        content=ft.Container(ft.Column(rows, spacing=6), padding=14), key="remote-actions"
    )


def _session_row(ui: UiState, detail: ChargerDetailState, s: SessionPublic) -> ft.Control:
    ident = slug("session", s.id)
    trailing: list[ft.Control] = []
    if s.status == "active":
        trailing.append(
            action_button(
                slug(ident, "stop"),
                ui.t("remote.stop"),
                _confirm_then(ui, detail, "stop", slug(ident, "stop"), session=s.id),
                icon=ft.Icons.STOP_CIRCLE,
                kind="text",
                disabled=detail.busy is not None,
            )
        )
    return ft.ListTile(
        key=ident,
        leading=ft.Icon(ft.Icons.BOLT if s.status == "active" else ft.Icons.HISTORY),
        title=ft.Text(
            f"#{s.id} · {ui.t('charger.connector', id=s.connector_no)} · {ui.t('sessions.status_' + s.status.value)}"
        ),
        subtitle=ft.Text(
            f"{ui.date_time(s.started_at)} · {ui.energy(s.energy_wh / 1000)} · {ui.money(s.cost_minor, s.currency)}"
        ),
        trailing=ft.Row(trailing, tight=True) if trailing else None,
    )


@ft.component
def ChargerScreen(
    detail: ChargerDetailState, back: Back, catalog: CatalogState | None = None
) -> ft.Control:
    """The charger's page; with ``catalog`` (wide console) also its management card."""
    ui = use_ui()

    def body(charger: ChargerPublic) -> ft.Control:
        firmware = charger.firmware_version or "-"
        return ft.Column(
            [
                ChargerCard(charger_info(charger)),
                ft.Text(
                    ui.t("charger.facts", firmware=firmware, boot=charger.boot_policy), size=12
                ),
                _actions(ui, detail, charger),
                *([charger_admin_card(ui, catalog, charger, detail.reload)] if catalog else []),
                *([outcome_line(catalog.outcome, "charger-admin-outcome")] if catalog else []),
                ft.Text(ui.t("charger.sessions"), size=16, weight=ft.FontWeight.BOLD),
                LoadableView(
                    detail.sessions,
                    lambda sessions: ft.Column(
                        [_session_row(ui, detail, s) for s in sessions], spacing=0
                    ),
                    on_retry=detail.reload,
                    empty_message=ui.t("charger.no_sessions"),
                    ident="charger-sessions",
                ),
            ],
            spacing=12,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    title = detail.charger.value.ocpp_id if detail.charger.value else ui.t("nav.charger")
    return screen(
        title,
        [
            action_button(
                "charger-back", ui.t("common.back"), back, icon=ft.Icons.ARROW_BACK, kind="text"
            ),
            action_button(
                "charger-refresh",
                ui.t("common.refresh"),
                detail.reload,
                icon=ft.Icons.REFRESH,
                kind="text",
            ),
        ],
        [LoadableView(detail.charger, body, on_retry=detail.reload, ident="charger")],
        "screen-charger",
    )
