"""Confirmation dialogs for actions that cannot be undone (reset a charger, stop a session).

Why a helper: every remote action on both operator terminals and the driver's "stop" needs the
same dialog with the same stable ids, the destructive variant in the error colour, and exactly
one of the two callbacks called once, whether the user taps a button or dismisses the dialog.
"""

from __future__ import annotations

import asyncio

import flet as ft

from shared.components.base import Action, call_action, slug, tagged
from shared.state import UiState

__all__ = ["ask_confirmation", "confirm_dialog", "show_confirmation"]


def confirm_dialog(
    ui: UiState,
    *,
    title: str,
    message: str,
    on_confirm: Action,
    on_cancel: Action | None = None,
    confirm_label: str | None = None,
    cancel_label: str | None = None,
    destructive: bool = False,
    ident: str = "confirm",
) -> ft.AlertDialog:
    """Build (not show) a confirmation dialog; see :func:`show_confirmation`.

    Buttons: ``key="<ident>-confirm"`` and ``key="<ident>-cancel"`` (also semantics ids).
    Tapping outside or Escape counts as cancel. The dialog closes itself before the callback
    runs, so a slow ``on_confirm`` (a remote reset) does not leave it on screen.
    """
    decided = False

    async def decide(confirmed: bool) -> None:
        nonlocal decided
        if decided:
            return
        decided = True
        page = dialog.page
        if dialog.open and isinstance(page, ft.Page):
            page.pop_dialog()
        await call_action(on_confirm if confirmed else on_cancel)

    async def confirm() -> None:
        await decide(True)

    async def cancel() -> None:
        await decide(False)

    confirm_style = (
        ft.ButtonStyle(bgcolor=ft.Colors.ERROR, color=ft.Colors.ON_ERROR) if destructive else None
    )
    dialog = ft.AlertDialog(
        key=slug(ident, "dialog"),
        modal=False,
        title=ft.Text(title),
        content=ft.Text(message),
        actions=[
            tagged(
                slug(ident, "cancel"),
                ft.TextButton(cancel_label or ui.t("common.cancel"), on_click=cancel),
            ),
            tagged(
                slug(ident, "confirm"),
                ft.FilledButton(
                    confirm_label or ui.t("common.confirm"), on_click=confirm, style=confirm_style
                ),
            ),
        ],
        actions_alignment=ft.MainAxisAlignment.END,
        on_dismiss=cancel,
    )
    return dialog


def show_confirmation(
    page: ft.Page,
    ui: UiState,
    *,
    title: str,
    message: str,
    on_confirm: Action,
    on_cancel: Action | None = None,
    confirm_label: str | None = None,
    cancel_label: str | None = None,
    destructive: bool = False,
    ident: str = "confirm",
) -> ft.AlertDialog:
    """Show a confirmation dialog (arguments as :func:`confirm_dialog`) and return it."""
    dialog = confirm_dialog(
        ui,
        title=title,
        message=message,
        on_confirm=on_confirm,
        on_cancel=on_cancel,
        confirm_label=confirm_label,
        cancel_label=cancel_label,
        destructive=destructive,
        ident=ident,
    )
    page.show_dialog(dialog)
    return dialog


async def ask_confirmation(
    page: ft.Page,
    ui: UiState,
    *,
    title: str,
    message: str,
    confirm_label: str | None = None,
    cancel_label: str | None = None,
    destructive: bool = False,
    ident: str = "confirm",
    timeout: float = 600.0,
) -> bool:
    """Show a confirmation dialog and wait for the answer: ``True`` only if confirmed.

    Use in async handlers: ``if await ask_confirmation(page, ui, title=..., message=...): ...``.
    Unanswered after ``timeout`` seconds (the user walked away) counts as cancel and closes it.
    """
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def settle(value: bool) -> None:
        if not answer.done():
            answer.set_result(value)

    dialog = show_confirmation(
        page,
        ui,
        title=title,
        message=message,
        on_confirm=lambda: settle(True),
        on_cancel=lambda: settle(False),
        confirm_label=confirm_label,
        cancel_label=cancel_label,
        destructive=destructive,
        ident=ident,
    )
    try:
        return await asyncio.wait_for(answer, timeout)
    except TimeoutError:
        if dialog.open:
            page.pop_dialog()
        return False
