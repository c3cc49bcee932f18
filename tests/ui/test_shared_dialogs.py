"""Confirmation dialogs: exactly one callback, once, however the dialog is closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import flet as ft

from shared import Language, UiState, ask_confirmation, show_confirmation, use_ui
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import mount, strict_ui


def app_with_dialog(
    events: list[str], *, destructive: bool = False
) -> tuple[UiState, Callable[[ft.Page], None]]:
    ui = strict_ui()

    @ft.component
    def Screen() -> ft.Control:
        ui_ = use_ui()

        async def reset() -> None:
            await asyncio.sleep(0)
            events.append("reset")

        def ask() -> None:
            page = ft.context.page
            assert isinstance(page, ft.Page)
            show_confirmation(
                page,
                ui_,
                title="Reset CP-001?",
                message="Sessions on it will stop.",
                on_confirm=reset,
                on_cancel=lambda: events.append("cancel"),
                destructive=destructive,
                ident="reset",
            )

        return ft.Button("Reset", key="reset-open", on_click=ask)

    return ui, mount(ui, Screen)


async def test_confirm_calls_on_confirm_once_and_closes() -> None:
    events: list[str] = []
    _, main = app_with_dialog(events, destructive=True)
    async with FakeApp(main) as app:
        await app.click("reset-open")
        assert len(app.dialogs) == 1 and app.has_text("Reset CP-001?")
        confirm = app.by_key("reset-confirm", ft.FilledButton)
        assert confirm.style is not None and confirm.style.bgcolor == ft.Colors.ERROR
        assert app.by_identifier("reset-confirm")
        await app.click(confirm)
        assert events == ["reset"]
        assert app.dialogs == []
        # the client reported the dismissal after its close animation: no second callback
        assert app.page._dialogs.controls == []
        assert events == ["reset"]


async def test_cancel_and_dismiss_call_on_cancel() -> None:
    events: list[str] = []
    _, main = app_with_dialog(events)
    async with FakeApp(main) as app:
        await app.click("reset-open")
        assert app.by_key("reset-confirm", ft.FilledButton).style is None
        await app.click("reset-cancel")
        assert events == ["cancel"] and app.dialogs == []
        assert app.page._dialogs.controls == []
        # tap outside the second time
        await app.click("reset-open")
        dialog = app.dialogs[0]
        await app.fire(dialog, "dismiss")
        assert events == ["cancel", "cancel"]


async def test_dialog_texts_follow_the_language() -> None:
    events: list[str] = []
    ui, main = app_with_dialog(events)
    async with FakeApp(main) as app:
        ui.set_language(Language.ZH_CN)
        await app.settle()
        await app.click("reset-open")
        assert app.has_text("取消") and app.has_text("确认")


async def test_ask_confirmation_returns_the_answer() -> None:
    ui = strict_ui()
    answers: list[bool] = []

    async def main_async(page: ft.Page) -> None:
        mount(ui, lambda: ft.Text("screen"))(page)

    async with FakeApp(main_async) as app:

        async def ask() -> None:
            answers.append(await ask_confirmation(app.page, ui, title="Stop?", message="Sure?"))

        task = asyncio.create_task(app.run(ask))
        await app.wait_for(lambda: bool(app.dialogs))
        await app.click("confirm-confirm")
        await task
        task = asyncio.create_task(app.run(ask))
        await app.wait_for(lambda: bool(app.dialogs))
        await app.click("confirm-cancel")
        await task
        assert answers == [True, False]
