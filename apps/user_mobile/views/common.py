"""Building blocks every driver screen uses: tagged buttons and fields, forms, headings.

Every clickable control gets one stable id used as its ``key`` (view tests) and as its
``Semantics`` identifier (browser tests) — see shared/README.md's id table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

import flet as ft

from shared import Action, UiState, call_action, spacing, tagged

__all__ = [
    "Form",
    "band_name",
    "button",
    "go_to",
    "heading",
    "line",
    "note",
    "text_field",
    "use_form",
]

ButtonKind = Literal["filled", "outlined", "text", "tonal"]


def button(
    ident: str,
    label: str,
    on_click: Action | None,
    *,
    kind: ButtonKind = "filled",
    icon: ft.IconData | None = None,
    disabled: bool = False,
    expand: bool = False,
) -> ft.Control:
    """A button with a stable id; async and sync callbacks both work."""

    async def click() -> None:
        await call_action(on_click)

    cls: Callable[..., ft.Control] = {
        "filled": ft.FilledButton,
        "outlined": ft.OutlinedButton,
        "text": ft.TextButton,
        "tonal": ft.FilledTonalButton,
    }[kind]
    control = cls(
        label, icon=icon, on_click=click, disabled=disabled or on_click is None, expand=expand
    )
    return tagged(ident, control)


class Form:
    """What was typed into a screen's fields, by name; kept across re-renders."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def set(self, name: str, value: str) -> None:
        self.values[name] = value


def use_form() -> Form:
    """The calling component's :class:`Form`."""
    ref: ft.MutableRef[Form] = ft.use_ref(_new_form)
    form = ref.current
    assert isinstance(form, Form)
    return form


def _new_form() -> Form:
    return Form()


def text_field(
    form: Form,
    name: str,
    label: str,
    ident: str,
    *,
    password: bool = False,
    keyboard: ft.KeyboardType | None = None,
    hint: str | None = None,
    on_submit: Action | None = None,
) -> ft.Control:
    """A text field bound to ``form[name]``."""

    def changed(e: ft.Event[Any]) -> None:
        form.set(name, str(e.control.value or ""))

    async def submitted() -> None:
        await call_action(on_submit)

    field = ft.TextField(
        label=label,
        value=form.get(name),
        password=password,
        can_reveal_password=password,
        keyboard_type=keyboard or ft.KeyboardType.TEXT,
        hint_text=hint,
        on_change=changed,
        on_submit=submitted if on_submit is not None else None,
        dense=True,
    )
    return tagged(ident, field)


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


def note(text: str | None, ident: str, *, error: bool = True) -> ft.Control:
    """A sentence under a form: red for errors, green for confirmations; hidden when empty."""
    color = ft.Colors.ERROR if error else ft.Colors.GREEN_800
    return ft.Text(text or "", key=ident, color=color, visible=bool(text), selectable=True)


class _Navigator(Protocol):
    """Anything with ``async go(route)`` (the app state), without importing it here."""

    async def go(self, route: str) -> None: ...


def go_to(state: _Navigator, route: str) -> Callable[[], Awaitable[None]]:
    """An async no-argument handler opening ``route`` (Flet awaits it; a lambda returning
    the coroutine would never run)."""

    async def go() -> None:
        await state.go(route)

    return go
