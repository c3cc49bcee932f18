"""Connection banner: tells the user the live link to the backend dropped and came back.

Why: the apps keep working across a backend restart (they reconnect on their own); without a
visible "Reconnecting…" a frozen number looks like a live one, and without "Reconnected" the user
does not know the figures are fresh again.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

import flet as ft
from flet.components.hooks.use_ref import MutableRef

from shared.components.base import Action, tagged
from shared.state import use_ui
from shared.theme import spacing

__all__ = ["ConnectionBanner", "ConnectionState"]


class ConnectionState(StrEnum):
    """The app's link to the backend, as the user should see it."""

    ONLINE = "online"
    CONNECTING = "connecting"
    RECONNECTING = "reconnecting"
    RECONNECTED = "reconnected"
    OFFLINE = "offline"


_STYLE = {
    ConnectionState.CONNECTING: (ft.Colors.BLUE_GREY_700, ft.Icons.SYNC, "conn.connecting"),
    ConnectionState.RECONNECTING: (ft.Colors.AMBER_900, ft.Icons.SYNC, "conn.reconnecting"),
    ConnectionState.RECONNECTED: (ft.Colors.GREEN_700, ft.Icons.CLOUD_DONE, "conn.reconnected"),
    ConnectionState.OFFLINE: (ft.Colors.RED_700, ft.Icons.WIFI_OFF, "conn.offline"),
}


@ft.component
def ConnectionBanner(
    state: ConnectionState,
    retry_in_s: int | None = None,
    on_retry: Action | None = None,
    hide_reconnected_after_s: float = 3.0,
) -> ft.Control:
    """A full-width strip: hidden when ``ONLINE``; "Reconnected" hides itself after a while.

    Args:
        state: the current link state (the app's reconnect loop owns it).
        retry_in_s: seconds until the next attempt, shown while ``OFFLINE``/``RECONNECTING``.
        on_retry: "Retry now" button (``key="conn-retry"``) when given.
        hide_reconnected_after_s: how long "Reconnected" stays; ``0`` keeps it.
    """
    ui = use_ui()
    # Whether this "Reconnected" episode has been shown long enough. It must be reset when the
    # state moves on, or every later reconnect would be hidden at once.
    hidden, set_hidden = ft.use_state(False)
    # The pending hide of the current episode; a timer left over from an earlier episode must
    # not cut a later one short.
    timer: MutableRef[asyncio.Task[None] | None] = ft.use_ref(None)

    def cancel_timer() -> None:
        if timer.current is not None:
            timer.current.cancel()
            timer.current = None

    async def hide_later() -> None:
        await asyncio.sleep(hide_reconnected_after_s)
        set_hidden(True)

    def on_state() -> None:
        cancel_timer()
        if hidden:
            set_hidden(False)
        if state == ConnectionState.RECONNECTED and hide_reconnected_after_s > 0:
            timer.current = asyncio.get_running_loop().create_task(hide_later())

    ft.use_effect(on_state, [state], cleanup=cancel_timer)

    visible = state != ConnectionState.ONLINE and not (
        hidden and state == ConnectionState.RECONNECTED
    )
    if not visible:
        return ft.Container(key="conn-banner", visible=False)
    color, icon, text_key = _STYLE[state]
    parts = [ui.t(text_key)]
    if retry_in_s is not None and state in (ConnectionState.OFFLINE, ConnectionState.RECONNECTING):
        parts.append(ui.t("conn.retry_in", seconds=retry_in_s))
    row: list[ft.Control] = [
        ft.Icon(icon, color=ft.Colors.WHITE, size=18),
        ft.Text(" · ".join(parts), color=ft.Colors.WHITE, expand=True),
    ]
    if on_retry is not None and state != ConnectionState.RECONNECTED:
        row.append(
            tagged(
                "conn-retry",
                ft.TextButton(
                    ui.t("common.retry"),
                    on_click=on_retry,
                    style=ft.ButtonStyle(color=ft.Colors.WHITE),
                ),
            )
        )
    return ft.Container(
        key="conn-banner",
        data=state.value,
        bgcolor=color,
        padding=ft.Padding.symmetric(horizontal=spacing.lg, vertical=spacing.sm),
        content=ft.Row(row, spacing=spacing.sm),
    )
