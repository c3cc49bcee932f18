"""Sign-in screen (staff e-mail and password) and the "resuming your session" screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from apps.operator_mobile.state.session import AuthPhase, AuthState
from shared import (
    LanguageSwitch,
    LoadingState,
    ThemeToggle,
    action_button,
    text_field,
    use_form,
    use_ui,
)

__all__ = ["SignInView"]


@ft.component
def SignInView(auth: AuthState, on_sign_in: Callable[[str, str], Awaitable[bool]]) -> ft.View:
    """The whole sign-in page (a centred card); restoring shows a spinner instead."""
    ui = use_ui()
    values = use_form()

    async def submit() -> None:
        await on_sign_in(values.get("email"), values.get("password"))

    if auth.phase == AuthPhase.RESTORING:
        body: ft.Control = LoadingState(ui.t("signin.restoring"), ident="restore")
    else:
        error = (
            ft.Text(auth.error, key="signin-error", color=ft.Colors.ERROR, selectable=True)
            if auth.error
            else ft.Container(key="signin-error", visible=False)
        )
        body = ft.Card(
            content=ft.Container(
                padding=24,
                width=380,
                content=ft.Column(
                    [
                        ft.Row(
                            [
                                ft.Icon(ft.Icons.EV_STATION, color=ft.Colors.PRIMARY, size=36),
                                ft.Text(ui.t("app.title"), size=22, weight=ft.FontWeight.BOLD),
                            ]
                        ),
                        ft.Text(ui.t("signin.subtitle"), color=ft.Colors.ON_SURFACE_VARIANT),
                        text_field(values, "email", ui.t("signin.email"), "signin-email"),
                        text_field(
                            values,
                            "password",
                            ui.t("signin.password"),
                            "signin-password",
                            password=True,
                            on_submit=submit,
                        ),
                        error,
                        action_button(
                            "signin-submit",
                            ui.t("signin.submit"),
                            submit,
                            icon=ft.Icons.LOGIN,
                            disabled=auth.busy,
                        ),
                    ],
                    spacing=14,
                    tight=True,
                ),
            )
        )
    return ft.View(
        route="/",
        appbar=ft.AppBar(
            title=ft.Text(ui.t("app.title")), actions=[LanguageSwitch(), ThemeToggle()]
        ),
        controls=[ft.Container(body, alignment=ft.Alignment.CENTER, expand=True, padding=16)],
        padding=0,
    )
