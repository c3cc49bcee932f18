"""Session history: the charging sessions the charger stored, newest first."""

from __future__ import annotations

import flet as ft

from apps.home.state.history import HistoryState
from apps.home.views.common import charger_time
from home_protocol.commands import HistoryEntry
from shared import LoadableView, UiState, action_button, slug, spacing, use_ui

__all__ = ["HistoryScreen"]


def _row(ui: UiState, history: HistoryState, entry: HistoryEntry) -> ft.Control:
    started = ui.date_time(charger_time(entry.started_at))
    if entry.ended_at is None:
        duration = ui.t("history.running")
    else:
        duration = ui.duration(max(0, entry.ended_at - entry.started_at))
    return ft.ListTile(
        key=slug("history", entry.session_id),
        leading=ft.Icon(ft.Icons.BOLT),
        title=ft.Text(f"{started} · {ui.energy(entry.energy_wh / 1000)}"),
        subtitle=ft.Text(ui.t("history.detail", duration=duration, who=history.who(entry))),
        dense=True,
    )


@ft.component
def HistoryScreen(history: HistoryState) -> ft.Control:
    """The stored sessions (energy, start, duration, who started them)."""
    ui = use_ui()
    return ft.Column(
        [
            ft.Row(
                [
                    ft.Text(ui.t("history.title"), size=22, weight=ft.FontWeight.BOLD, expand=True),
                    action_button(
                        "history-refresh",
                        ui.t("history.refresh"),
                        history.reload,
                        icon=ft.Icons.REFRESH,
                        kind="text",
                    ),
                ]
            ),
            LoadableView(
                history.entries,
                lambda entries: ft.Column([_row(ui, history, e) for e in entries], spacing=0),
                on_retry=history.reload,
                empty_message=ui.t("history.empty"),
                ident="history",
            ),
        ],
        key="history-screen",
        spacing=spacing.md,
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )
