"""Building blocks every operator screen uses: page services, tagged buttons, form fields,
outcome lines and file downloads.

Why: every clickable control needs a stable ``key`` (view tests) and a Semantics identifier
(browser tests) derived from one string; forms must keep typed text across re-renders; and
"save this file" means a browser download in web mode and a save dialog on phones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import flet as ft

from apps.operator_mobile.state.base import Outcome
from shared import Action, tagged

__all__ = [
    "SERVICES",
    "FormValues",
    "Services",
    "action_button",
    "bind",
    "form_field",
    "outcome_line",
    "save_file",
    "screen",
    "use_form",
    "use_services",
]


@dataclass(eq=False)
class Services:
    """Per-session page services and settings (kept referenced: Flet drops orphans)."""

    public_driver_url: str
    file_picker: ft.FilePicker | None = None
    keep: list[object] = field(default_factory=list)


SERVICES: ft.ContextProvider[Services | None] = ft.create_context(None)


def use_services() -> Services:
    services = ft.use_context(SERVICES)
    assert services is not None, "render the operator app through SERVICES(...)"
    return services


def action_button(
    ident: str,
    label: str,
    on_click: Action | None,
    *,
    icon: ft.IconData | None = None,
    kind: str = "filled",
    disabled: bool = False,
) -> ft.Control:
    """A button with ``key`` and semantics id ``ident`` (``filled``, ``tonal``, ``text``,
    ``outlined`` or ``danger``)."""
    if kind == "text":
        button: ft.Control = ft.TextButton(label, icon=icon, on_click=on_click, disabled=disabled)
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
    return tagged(ident, button)


class FormValues:
    """What was typed into a form, by field name; lives as long as its component (or dialog).

    Create in a component with ``values, _ = ft.use_state(FormValues)``.
    """

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self.current: dict[str, str] = dict(initial or {})

    def get(self, name: str) -> str:
        return self.current.get(name, "")


def use_form() -> FormValues:
    """The calling component's :class:`FormValues` (kept across re-renders)."""
    values: FormValues
    # flet's use_state stub cannot express "a factory of T"; the value is a FormValues.
    values, _ = ft.use_state(FormValues)  # type: ignore[arg-type]
    return values


def form_field(
    values: FormValues,
    name: str,
    label: str,
    ident: str,
    *,
    password: bool = False,
    multiline: bool = False,
    width: float | None = None,
    hint: str | None = None,
    on_submit: Action | None = None,
) -> ft.Control:
    """A text field whose text lives in ``values.current[name]`` (survives re-renders)."""

    def changed(e: ft.Event[ft.TextField]) -> None:
        values.current[name] = str(e.control.value or "")

    return ft.Semantics(
        identifier=ident,
        content=ft.TextField(
            key=ident,
            label=label,
            value=values.current.get(name, ""),
            password=password,
            can_reveal_password=password,
            multiline=multiline,
            min_lines=3 if multiline else None,
            max_lines=8 if multiline else None,
            width=width,
            hint_text=hint,
            on_change=changed,
            on_submit=on_submit,
            dense=True,
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
        spacing=8,
    )


@ft.component
def screen(title: str, actions: list[ft.Control], body: list[ft.Control], ident: str) -> ft.Control:
    """A scrolling screen with a title row (title left, actions right)."""
    return ft.Column(
        [
            # Not a wrapping row: an expanded child inside a Wrap has no width to expand into.
            ft.Row(
                [
                    ft.Text(
                        title,
                        size=22,
                        weight=ft.FontWeight.BOLD,
                        expand=True,
                        max_lines=1,
                        overflow=ft.TextOverflow.ELLIPSIS,
                    ),
                    *actions,
                ],
            ),
            *body,
        ],
        key=ident,
        spacing=12,
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )


async def save_file(services: Services, name: str, data: bytes) -> str | None:
    """Offer ``data`` as file ``name`` (a download in the browser); the path chosen, if any."""
    picker = services.file_picker
    if picker is None:
        picker = services.file_picker = ft.FilePicker()
    return await picker.save_file(file_name=name, src_bytes=data)


def bind(fn: Callable[..., Awaitable[Any]], *args: Any) -> Callable[[], Awaitable[None]]:
    """An async no-argument handler calling ``fn(*args)``.

    Flet awaits a handler only when it is a coroutine *function*; ``lambda: fn(x)`` would
    return an un-awaited coroutine.
    """

    async def run() -> None:
        await fn(*args)

    return run
