"""Connector status badge: colour, icon and translated word for one connector status.

Why a component: the word changes with the language at run time, so the badge reads the session's
:class:`~shared.state.UiState` instead of taking a finished string.
"""

from __future__ import annotations

import flet as ft

from shared.components.base import slug
from shared.state import use_ui
from shared.status import STATUS_STYLES, ConnectorStatus
from shared.theme import spacing

__all__ = ["StatusBadge"]


@ft.component
def StatusBadge(
    status: ConnectorStatus, ident: str | None = None, dense: bool = False
) -> ft.Control:
    """A pill with the status's icon and name, e.g. a red "Faulted" / "故障".

    Args:
        status: the connector status.
        ident: optional id; the badge gets ``key="status-<ident>"`` for tests.
        dense: smaller variant for table rows.
    """
    ui = use_ui()
    style = STATUS_STYLES[status]
    label = ui.t(status.label_key)
    size = 12 if dense else 14
    return ft.Container(
        key=slug("status", ident) if ident else None,
        data=status.value,
        bgcolor=style.color,
        border_radius=999,
        padding=ft.Padding.symmetric(horizontal=spacing.sm, vertical=2 if dense else spacing.xs),
        tooltip=label,
        content=ft.Row(
            [
                ft.Icon(style.icon, color=style.on_color, size=size + 2),
                ft.Text(label, color=style.on_color, size=size, weight=ft.FontWeight.W_600),
            ],
            spacing=spacing.xs,
            tight=True,
        ),
    )
