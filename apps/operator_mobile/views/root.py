"""The app's root component: sign-in, or the responsive shell with the current screen.

Phone width: the four mobile-office destinations in a bottom bar. Desktop width: a navigation
rail with the management destinations added (the console). The connection banner above every
screen tells the operator when the live link is reconnecting and when it came back.
"""

from __future__ import annotations

import flet as ft

from apps.operator_mobile.state.app import CONSOLE_SECTIONS, MOBILE_SECTIONS, OperatorState
from apps.operator_mobile.state.session import AuthPhase, AuthState
from apps.operator_mobile.views.charger import ChargerScreen
from apps.operator_mobile.views.dashboard import DashboardScreen
from apps.operator_mobile.views.faults import FaultFeed
from apps.operator_mobile.views.labels import LabelsScreen
from apps.operator_mobile.views.network import NetworkScreen
from apps.operator_mobile.views.people import CardsScreen, StaffScreen
from apps.operator_mobile.views.reports import ReportsScreen
from apps.operator_mobile.views.sessions import SessionsScreen
from apps.operator_mobile.views.signin import SignInView
from apps.operator_mobile.views.tariffs import TariffsScreen
from shared import (
    ConnectionBanner,
    LanguageSwitch,
    NavItem,
    ResponsiveScaffold,
    ThemeToggle,
    tagged,
    use_ui,
    use_viewport,
)

__all__ = ["OperatorApp"]

_ICONS = {
    "dashboard": ft.Icons.DASHBOARD,
    "faults": ft.Icons.WARNING_AMBER,
    "network": ft.Icons.EV_STATION,
    "reports": ft.Icons.BAR_CHART,
    "tariffs": ft.Icons.PRICE_CHANGE,
    "sessions": ft.Icons.RECEIPT_LONG,
    "cards": ft.Icons.CREDIT_CARD,
    "staff": ft.Icons.GROUP,
    "labels": ft.Icons.QR_CODE_2,
}


def _body(state: OperatorState, wide: bool) -> ft.Control:
    section = state.section

    async def open_charger(charger_id: int) -> None:
        await state.go("charger", charger_id)

    async def back_to_network() -> None:
        await state.go("network")

    async def open_faults() -> None:
        await state.go("faults")

    if section == "charger":
        return ChargerScreen(state.charger, back_to_network, state.catalog if wide else None)
    if section == "faults":
        return FaultFeed(state.faults)
    if section == "network":
        return NetworkScreen(state.network, state.catalog, wide, open_charger)
    if section == "reports":
        return ReportsScreen(state.reports)
    if wide and section == "tariffs":
        return TariffsScreen(state.tariffs)
    if wide and section == "sessions":
        return SessionsScreen(state.sessions, state.network)
    if wide and section == "cards":
        return CardsScreen(state.cards)
    if wide and section == "staff":
        return StaffScreen(state.staff)
    if wide and section == "labels":
        return LabelsScreen(state.network)
    return DashboardScreen(state.dashboard, open_faults)


@ft.component
def OperatorApp(state: OperatorState, auth: AuthState) -> list[ft.View]:
    """Subscribes to ``state`` (section, connection) and ``auth`` (phase) and renders."""
    ui = use_ui()
    viewport = use_viewport()
    if auth.phase != AuthPhase.SIGNED_IN:
        return [SignInView(auth, state.sign_in)]
    wide = viewport.wide
    sections = list(MOBILE_SECTIONS) + (list(CONSOLE_SECTIONS) if wide else [])
    if not auth.is_admin and "staff" in sections:
        sections.remove("staff")
    items = [NavItem(s, ui.t(f"nav.{s}"), _ICONS[s]) for s in sections]
    selected = "network" if state.section == "charger" else state.section

    def select(key: str) -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        page.run_task(state.go, key)

    async def sign_out() -> None:
        await state.sign_out()

    who = auth.principal.full_name if auth.principal else ""
    return [
        ResponsiveScaffold(
            title=ui.t("app.title_console" if wide else "app.title"),
            items=items,
            selected=selected,
            on_select=select,
            body=_body(state, wide),
            actions=[
                ft.Text(who, size=12) if wide else ft.Container(),
                LanguageSwitch(),
                ThemeToggle(),
                tagged(
                    "sign-out",
                    ft.IconButton(
                        ft.Icons.LOGOUT, tooltip=ui.t("signin.sign_out"), on_click=sign_out
                    ),
                ),
            ],
            # The state ends the "Reconnected" notice itself (after the reload), every time.
            banner=ConnectionBanner(state.connection, hide_reconnected_after_s=0),
        )
    ]
