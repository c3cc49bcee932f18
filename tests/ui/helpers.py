"""Mount shared components in the fake Flet client (tests/support/flet_harness.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from shared import I18n, UiState, start_app


def strict_ui(**kw: Any) -> UiState:
    """A UiState whose I18n raises on a missing key (a crash fails the test)."""
    return UiState(i18n=I18n.default(strict=True), **kw)


def mount(
    ui: UiState, build: Callable[[], Any], *, views: bool = False
) -> Callable[[ft.Page], None]:
    """A ``main(page)`` rendering ``build()`` under ``ui`` the way apps do (``start_app``)."""

    def main(page: ft.Page) -> None:
        start_app(page, ui, build, views=views)

    return main


@dataclass(eq=False)
class Props(ft.Observable):
    """Mutable props for a component under test: assigning ``props.value`` re-renders it."""

    value: Any = None


def with_props(props: Props, render: Callable[[Any], Any]) -> Callable[[], Any]:
    """``build`` for :func:`mount` that re-renders ``render(props.value)`` when props change."""

    @ft.component
    def Holder(p: Props) -> Any:
        return render(p.value)

    return lambda: Holder(props)
