"""Form and action helpers every app screen uses: kept form values, bound text fields, tagged
buttons, outcome lines and bound async handlers.

Why: the operator, driver and home apps each grew their own copy of these; one typed version
keeps the test ids (``key`` for view tests, Semantics identifier for browser tests), the
"typed text survives a re-render" rule and the "Flet only awaits coroutine functions" rule in
one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import flet as ft

from shared.components.base import Action, call_action, tagged
from shared.theme import spacing

__all__ = [
    "ButtonKind",
    "FormValues",
    "Notice",
    "OutcomeLike",
    "action_button",
    "bind",
    "notice",
    "outcome_line",
    "text_field",
    "use_form",
]

ButtonKind = Literal["filled", "tonal", "outlined", "text", "danger"]
"""How prominent a button is; ``danger`` is a filled button in the error colour."""


class FormValues:
    """What was typed into a form, by field name; lives as long as its component (or dialog).

    In a component use :func:`use_form`; a dialog built outside a component creates its own
    ``FormValues(initial)``.
    """

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self.current: dict[str, str] = dict(initial or {})

    def get(self, name: str, default: str = "") -> str:
        """The text of field ``name`` (``default`` if nothing was typed or seeded)."""
        return self.current.get(name, default)

    def set(self, name: str, value: str) -> None:
        """Replace field ``name``'s text (e.g. clear it after a successful submit)."""
        self.current[name] = value


def use_form() -> FormValues:
    """The calling component's :class:`FormValues`, kept across re-renders.

    A ref, not state: typing must not re-render the screen on every key press.
    """
    ref: ft.MutableRef[FormValues] = ft.use_ref(FormValues)
    values = ref.current
    assert isinstance(values, FormValues)
    return values


def text_field(
    values: FormValues,
    name: str,
    label: str,
    ident: str,
    *,
    default: str = "",
    hint: str | None = None,
    password: bool = False,
    multiline: bool = False,
    keyboard: ft.KeyboardType | None = None,
    width: float | None = None,
    on_submit: Action | None = None,
) -> ft.Control:
    """A text field (``key`` and semantics id ``ident``) whose text lives in
    ``values.current[name]``, so it survives re-renders.

    A non-empty ``default`` is stored in ``values`` when the field first shows, so it is
    submitted even if untouched; an empty one leaves ``values`` alone (a dialog sends only the
    fields it has). ``password`` hides the text behind a reveal toggle; ``multiline`` gives
    3–8 lines. ``on_submit`` (sync or async) runs on Enter.
    """
    if default and name not in values.current:
        values.current[name] = default

    def changed(e: ft.Event[ft.TextField]) -> None:
        values.current[name] = str(e.control.value or "")

    async def submitted() -> None:
        await call_action(on_submit)

    return tagged(
        ident,
        ft.TextField(
            label=label,
            value=values.get(name),
            hint_text=hint,
            password=password,
            can_reveal_password=password,
            multiline=multiline,
            min_lines=3 if multiline else None,
            max_lines=8 if multiline else None,
            keyboard_type=keyboard or ft.KeyboardType.TEXT,
            width=width,
            dense=True,
            on_change=changed,
            on_submit=submitted if on_submit is not None else None,
        ),
    )


def action_button(
    ident: str,
    label: str,
    on_click: Action | None,
    *,
    kind: ButtonKind = "filled",
    icon: ft.IconData | None = None,
    disabled: bool = False,
    expand: bool = False,
) -> ft.Control:
    """A button with ``key`` and semantics id ``ident``.

    ``on_click`` may be sync or async, or return an awaitable (it is awaited); without one the
    button is disabled rather than silently doing nothing.
    """

    async def click() -> None:
        await call_action(on_click)

    off = disabled or on_click is None
    button: ft.Control
    if kind == "text":
        button = ft.TextButton(label, icon=icon, on_click=click, disabled=off)
    elif kind == "outlined":
        button = ft.OutlinedButton(label, icon=icon, on_click=click, disabled=off)
    elif kind == "tonal":
        button = ft.FilledTonalButton(label, icon=icon, on_click=click, disabled=off)
    else:
        style = (
            ft.ButtonStyle(bgcolor=ft.Colors.ERROR, color=ft.Colors.ON_ERROR)
            if kind == "danger"
            else None
        )
        button = ft.FilledButton(label, icon=icon, on_click=click, disabled=off, style=style)
    if expand:
        button.expand = True
    return tagged(ident, button)


class OutcomeLike(Protocol):
    """The result of a user action as a view shows it (the apps' ``Outcome`` types fit)."""

    @property
    def ok(self) -> bool: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Notice:
    """A plain :class:`OutcomeLike`, for views that hold only a sentence."""

    ok: bool
    message: str


def notice(message: str | None, *, ok: bool = False) -> Notice | None:
    """``message`` as a :class:`Notice` (an error unless ``ok``); ``None`` when empty."""
    return Notice(ok, message) if message else None


def outcome_line(outcome: OutcomeLike | None, ident: str, *, compact: bool = False) -> ft.Control:
    """The last action's result, its text under ``key=ident``; hidden while there is none.

    The default shows a green tick or red error icon before the precise message. ``compact``
    is the text alone (red for errors, green for confirmations, selectable so it can be
    copied into a support request) for forms with little room.
    """
    if compact:
        text = outcome.message if outcome is not None else ""
        bad = outcome is None or not outcome.ok
        return ft.Text(
            text,
            key=ident,
            color=ft.Colors.ERROR if bad else ft.Colors.GREEN_800,
            visible=bool(text),
            selectable=True,
        )
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


def bind(fn: Callable[..., Awaitable[Any]], *args: Any) -> Callable[[], Awaitable[None]]:
    """An async no-argument handler calling ``fn(*args)``.

    Flet awaits a handler only when it is a coroutine *function*; ``lambda: fn(x)`` would
    return an un-awaited coroutine.
    """

    async def run() -> None:
        await fn(*args)

    return run
