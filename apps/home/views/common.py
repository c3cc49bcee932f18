"""Building blocks every home screen uses: tagged buttons, kept form values, result lines,
charger-clock times and the per-session page services.

Why: every clickable control needs a stable ``key`` (view tests) and a Semantics identifier
(browser tests) from one string; typed text must survive re-renders; and the charger's clock
counts *local* seconds, which must be shown as such, not shifted by the server's time zone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import flet as ft

from apps.home.state.base import Outcome
from shared import Action, spacing, tagged

__all__ = [
    "SERVICES",
    "FormValues",
    "Services",
    "action_button",
    "bind",
    "card",
    "charger_time",
    "outcome_line",
    "text_field",
    "use_form",
    "use_services",
]


@dataclass(eq=False)
class Services:
    """Per-session page services (kept referenced here: Flet drops unreferenced ones)."""

    file_picker: ft.FilePicker | None = None
    keep: list[object] = field(default_factory=list)


SERVICES: ft.ContextProvider[Services | None] = ft.create_context(None)


def use_services() -> Services:
    services = ft.use_context(SERVICES)
    assert services is not None, "render the home app through SERVICES(...)"
    return services


def action_button(
    ident: str,
    label: str,
    on_click: Action | None,
    *,
    icon: ft.IconData | None = None,
    kind: str = "filled",
    disabled: bool = False,
    expand: bool = False,
) -> ft.Control:
    """A button with ``key`` and semantics id ``ident`` (``filled``, ``tonal``, ``text``,
    ``outlined`` or ``danger``)."""
    button: ft.Control
    if kind == "text":
        button = ft.TextButton(label, icon=icon, on_click=on_click, disabled=disabled)
    elif kind == "outlined":
        button = ft.OutlinedButton(label, icon=icon, on_click=on_click, disabled=disabled)
    elif kind == "tonal":
        button = ft.FilledTonalButton(label, icon=icon, on_click=on_click, disabled=disabled)
    else:
        style = (
            ft.ButtonStyle(bgcolor=ft.Colors.ERROR, color=ft.Colors.ON_ERROR)
            if kind == "danger"
            else None
        )
        button = ft.FilledButton(
            label, icon=icon, on_click=on_click, disabled=disabled, style=style
        )
    button.expand = expand
    return tagged(ident, button)


class FormValues:
    """What was typed into a form, by field name; lives as long as its component."""

    def __init__(self) -> None:
        self.current: dict[str, str] = {}

    def get(self, name: str, default: str = "") -> str:
        return self.current.get(name, default)


def use_form() -> FormValues:
    """The calling component's :class:`FormValues` (kept across re-renders)."""
    values: FormValues
    # flet's use_state stub cannot express "a factory of T"; the value is a FormValues.
    values, _ = ft.use_state(FormValues)  # type: ignore[arg-type]
    return values


def text_field(
    values: FormValues,
    name: str,
    label: str,
    ident: str,
    *,
    hint: str | None = None,
    default: str = "",
    width: float | None = None,
    on_submit: Action | None = None,
) -> ft.Control:
    """A text field whose text lives in ``values.current[name]`` (survives re-renders)."""
    values.current.setdefault(name, default)

    def changed(e: ft.Event[ft.TextField]) -> None:
        values.current[name] = str(e.control.value or "")

    return tagged(
        ident,
        ft.TextField(
            label=label,
            value=values.current[name],
            hint_text=hint,
            width=width,
            dense=True,
            on_change=changed,
            on_submit=on_submit,
        ),
    )


def outcome_line(outcome: Outcome | None, ident: str) -> ft.Control:
    """The last action's result: green tick or red error with the precise message."""
    if outcome is None:
        return ft.Container(key=ident, visible=False)
    return ft.Row(
        [
            ft.Icon(
                ft.Icons.CHECK_CIRCLE if outcome.ok else ft.Icons.ERROR,
                color=ft.Colors.GREEN_700 if outcome.ok else ft.Colors.ERROR,
                size=18,
            ),
            ft.Text(
                outcome.message,
                key=ident,
                color=None if outcome.ok else ft.Colors.ERROR,
                expand=True,
            ),
        ],
        spacing=spacing.sm,
    )


def card(title: str, controls: list[ft.Control], ident: str) -> ft.Control:
    """A titled card section of a screen."""
    return ft.Card(
        key=ident,
        content=ft.Container(
            padding=spacing.lg,
            content=ft.Column(
                [ft.Text(title, size=16, weight=ft.FontWeight.BOLD), *controls],
                spacing=spacing.md,
                tight=True,
            ),
        ),
    )


def charger_time(seconds: int) -> datetime:
    """A charger timestamp as the wall-clock time it counts (no zone shift)."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def bind(fn: Callable[..., Awaitable[Any]], *args: Any) -> Callable[[], Awaitable[None]]:
    """An async no-argument handler calling ``fn(*args)``.

    Flet awaits a handler only when it is a coroutine *function*; ``lambda: fn(x)`` would
    return an un-awaited coroutine.
    """

    async def run() -> None:
        await fn(*args)

    return run
