"""Building blocks only the driver screens use: headings, label/value lines, price-band names
and navigation handlers (forms, buttons and outcome lines come from :mod:`shared`).

Why: the driver app's screens share one typographic rhythm and one way of naming time-of-use
bands, and a navigation handler must be a coroutine function for Flet to await it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import flet as ft

from shared import UiState, spacing

__all__ = ["band_name", "go_to", "heading", "line"]


def band_name(ui: UiState, label: str | None) -> str:
    """The time-of-use band's name ("peak", "off-peak" …) in the session's language."""
    if not label:
        return ui.t("price.standard")
    key = f"price.band_{label.replace('-', '_')}"
    return ui.t(key) if ui.i18n.has(key) else label


def heading(text: str, *, size: int = 20) -> ft.Text:
    return ft.Text(text, size=size, weight=ft.FontWeight.BOLD)


def line(label: str, value: str, *, key: str | None = None, strong: bool = False) -> ft.Control:
    """A "label ........ value" row."""
    return ft.Row(
        [
            ft.Text(label, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
            ft.Text(value, key=key, weight=ft.FontWeight.BOLD if strong else None),
        ],
        spacing=spacing.sm,
    )


class _Navigator(Protocol):
    """Anything with ``async go(route)`` (the app state), without importing it here."""

    async def go(self, route: str) -> None: ...


def go_to(state: _Navigator, route: str) -> Callable[[], Awaitable[None]]:
    """An async no-argument handler opening ``route`` (Flet awaits it; a lambda returning
    the coroutine would never run)."""

    async def go() -> None:
        await state.go(route)

    return go
