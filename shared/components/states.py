"""Empty, loading and error placeholders, and a switch between them for async data.

Why: every list and dashboard has the same four states, and a screen that forgets one shows a
blank page on a slow network or swallows an error. ``Loadable`` + ``LoadableView`` make the
states explicit data, so a view test can render each.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

import flet as ft

from shared.components.base import Action, slug, tagged
from shared.state import use_ui
from shared.theme import spacing

__all__ = ["EmptyState", "ErrorState", "LoadState", "Loadable", "LoadableView", "LoadingState"]

T = TypeVar("T")


def _centered(controls: list[ft.Control], key: str) -> ft.Control:
    return ft.Container(
        key=key,
        expand=True,
        alignment=ft.Alignment.CENTER,
        padding=spacing.xl,
        content=ft.Column(
            controls,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            alignment=ft.MainAxisAlignment.CENTER,
            spacing=spacing.md,
            tight=True,
        ),
    )


@ft.component
def LoadingState(message: str | None = None, ident: str = "loading") -> ft.Control:
    """A spinner with "Loading…" (or ``message``)."""
    ui = use_ui()
    text = message or ui.t("common.loading")
    return _centered(
        [ft.ProgressRing(semantics_label=text), ft.Text(text)], key=slug(ident, "state")
    )


@ft.component
def EmptyState(
    message: str | None = None,
    icon: ft.IconData = ft.Icons.INBOX,
    action_label: str | None = None,
    on_action: Action | None = None,
    ident: str = "empty",
) -> ft.Control:
    """An icon and a sentence for "nothing here", with an optional action button."""
    ui = use_ui()
    controls: list[ft.Control] = [
        ft.Icon(icon, size=48, color=ft.Colors.OUTLINE),
        ft.Text(message or ui.t("common.empty"), text_align=ft.TextAlign.CENTER),
    ]
    if action_label and on_action is not None:
        controls.append(
            tagged(slug(ident, "action"), ft.FilledTonalButton(action_label, on_click=on_action))
        )
    return _centered(controls, key=slug(ident, "state"))


@ft.component
def ErrorState(
    message: str,
    on_retry: Action | None = None,
    title: str | None = None,
    ident: str = "error",
) -> ft.Control:
    """The error's precise message under a title, and "Retry" (``key="<ident>-retry"``)."""
    ui = use_ui()
    controls: list[ft.Control] = [
        ft.Icon(ft.Icons.ERROR_OUTLINE, size=48, color=ft.Colors.ERROR),
        ft.Text(
            title or ui.t("common.error_title"),
            weight=ft.FontWeight.BOLD,
            size=16,
            text_align=ft.TextAlign.CENTER,
        ),
        ft.Text(message, text_align=ft.TextAlign.CENTER, selectable=True),
    ]
    if on_retry is not None:
        controls.append(
            tagged(
                slug(ident, "retry"),
                ft.FilledButton(ui.t("common.retry"), icon=ft.Icons.REFRESH, on_click=on_retry),
            )
        )
    return _centered(controls, key=slug(ident, "state"))


class LoadState(StrEnum):
    """Where an async load is."""

    LOADING = "loading"
    READY = "ready"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Loadable(Generic[T]):
    """A value that is loading, loaded, or failed with a user-facing message."""

    state: LoadState = LoadState.LOADING
    value: T | None = None
    error: str | None = None

    @classmethod
    def loading(cls) -> Loadable[T]:
        """Still waiting."""
        return cls(LoadState.LOADING)

    @classmethod
    def ready(cls, value: T) -> Loadable[T]:
        """Loaded ``value``."""
        return cls(LoadState.READY, value=value)

    @classmethod
    def failed(cls, message: str) -> Loadable[T]:
        """Failed; ``message`` is shown as is (make it precise)."""
        return cls(LoadState.ERROR, error=message)


@ft.component
def LoadableView(
    data: Loadable[T],
    render: Callable[[T], ft.Control],
    on_retry: Action | None = None,
    is_empty: Callable[[T], bool] | None = None,
    empty_message: str | None = None,
    ident: str = "content",
) -> ft.Control:
    """Show loading, error (with retry), empty, or ``render(value)`` for ``data``.

    ``is_empty`` defaults to "a sized value of length 0".
    """
    if data.state == LoadState.LOADING:
        return LoadingState(ident=ident)
    if data.state == LoadState.ERROR:
        return ErrorState(data.error or "", on_retry=on_retry, ident=ident)
    value = data.value
    assert value is not None, "Loadable.ready() always carries a value"
    empty = is_empty(value) if is_empty is not None else _default_empty(value)
    if empty:
        return EmptyState(empty_message, ident=ident)
    return render(value)


def _default_empty(value: object) -> bool:
    return isinstance(value, Sized) and len(value) == 0
