"""The app's root component: one page view per route, with the bottom navigation bar.

Find, Scan, Charging and Account are the destinations; the charger screen (``/c/...``, what a
QR code opens) and a station's page sit under Find. The "Charging" destination shows a dot
while a session runs, so a driver who navigated away finds it again.
"""

from __future__ import annotations

import flet as ft

from apps.user_mobile.state.app import DriverState
from apps.user_mobile.state.charge import ChargeFlow
from apps.user_mobile.state.links import parse_route
from apps.user_mobile.state.live import LiveLink
from apps.user_mobile.views.account import AccountScreen
from apps.user_mobile.views.cards import CardsScreen
from apps.user_mobile.views.charger import ChargerScreen
from apps.user_mobile.views.common import go_to
from apps.user_mobile.views.find import FindScreen, StationScreen
from apps.user_mobile.views.scan import ScanScreen
from apps.user_mobile.views.session import SessionScreen
from shared import ConnectionState, LanguageSwitch, LoadingState, spacing, tagged, use_ui

__all__ = ["DriverApp"]

TABS = ("/", "/scan", "/session", "/account")


def _tab_of(route: str) -> int:
    if route.startswith(("/c/", "/station/")):
        return 0
    if route.startswith("/account/"):
        return TABS.index("/account")
    return TABS.index(route) if route in TABS else 0


def _body(state: DriverState) -> ft.Control:
    route = state.route
    if parse_route(route) is not None:
        return ChargerScreen(state, state.charger)
    if route.startswith("/station/"):
        return StationScreen(state, state.find)
    if route == "/scan":
        return ScanScreen(state, state.scan)
    if route == "/session":
        return SessionScreen(state, state.flow)
    if route == "/account":
        return AccountScreen(state, state.account)
    if route == "/account/cards":
        return CardsScreen(state, state.account)
    return FindScreen(state, state.find)


@ft.component
def _NavBar(state: DriverState, flow: ChargeFlow) -> ft.NavigationBar:
    ui = use_ui()

    async def changed(e: ft.Event[ft.NavigationBar]) -> None:
        index = int(e.control.selected_index or 0)
        await state.go(TABS[index])

    charging_icon = ft.Icons.BOLT if flow.phase.running else ft.Icons.BOLT_OUTLINED
    return ft.NavigationBar(
        key="nav-bar",
        selected_index=_tab_of(state.route),
        on_change=changed,
        destinations=[
            ft.NavigationBarDestination(
                icon=ft.Icons.MAP_OUTLINED, selected_icon=ft.Icons.MAP, label=ui.t("nav.find")
            ),
            ft.NavigationBarDestination(icon=ft.Icons.QR_CODE_SCANNER, label=ui.t("nav.scan")),
            ft.NavigationBarDestination(
                icon=charging_icon, selected_icon=ft.Icons.BOLT, label=ui.t("nav.session")
            ),
            ft.NavigationBarDestination(
                icon=ft.Icons.PERSON_OUTLINE,
                selected_icon=ft.Icons.PERSON,
                label=ui.t("nav.account"),
            ),
        ],
    )


@ft.component
def _LiveBanner(link: LiveLink) -> ft.Control:
    """ "Reconnecting…" while the live link is down, then "Reconnected: showing the latest
    state" for a few seconds (``key="live-banner"``, ``data`` = the state)."""
    ui = use_ui()
    if link.state == ConnectionState.ONLINE:
        return ft.Container(key="live-banner", visible=False)
    back = link.state == ConnectionState.RECONNECTED
    text = ui.t("link.reconnected" if back else "conn.reconnecting")
    return ft.Container(
        ft.Row(
            [
                ft.Icon(ft.Icons.CLOUD_DONE if back else ft.Icons.SYNC, color=ft.Colors.WHITE),
                ft.Text(text, color=ft.Colors.WHITE, expand=True, key="live-banner-text"),
            ]
        ),
        key="live-banner",
        data=link.state.value,
        bgcolor=ft.Colors.GREEN_700 if back else ft.Colors.AMBER_900,
        padding=spacing.sm,
        border_radius=8,
    )


@ft.component
def DriverApp(state: DriverState) -> ft.View:
    """The current route's screen inside the app frame."""
    ui = use_ui()
    leading: ft.Control | None = None
    if parse_route(state.route) is not None or state.route.startswith(("/station/", "/account/")):
        parent = "/account" if state.route.startswith("/account/") else "/"
        leading = tagged(
            "back",
            ft.IconButton(
                ft.Icons.ARROW_BACK, tooltip=ui.t("common.back"), on_click=go_to(state, parent)
            ),
        )
    body = _body(state) if state.ready else LoadingState(ident="boot")
    return ft.View(
        route=state.route,
        appbar=ft.AppBar(
            title=ft.Text(ui.t("app.title")),
            leading=leading,
            actions=[LanguageSwitch()],
        ),
        navigation_bar=_NavBar(state, state.flow),
        controls=[_LiveBanner(state.live), body],
        scroll=ft.ScrollMode.AUTO,
        padding=ft.Padding.all(16),
    )
