"""The app's root component: enrolment until this phone is paired, then the responsive shell
(bottom bar on phones, rail on wide screens) with the charge, schedule, history and household
screens, and the connection banner telling the user when the Bluetooth link is reconnecting."""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from apps.home.state.app import HomeState
from apps.home.state.charger import ChargeState
from apps.home.views.charge import ChargeScreen
from apps.home.views.enroll import EnrollView
from apps.home.views.history import HistoryScreen
from apps.home.views.household import HouseholdScreen
from apps.home.views.schedule import ScheduleScreen
from shared import (
    ConnectionBanner,
    ErrorState,
    LanguageSwitch,
    LoadingState,
    NavItem,
    ResponsiveScaffold,
    ThemeToggle,
    show_confirmation,
    tagged,
    use_ui,
)

__all__ = ["Boot", "BootState", "HomeApp"]

_ICONS = {
    "charge": ft.Icons.EV_STATION,
    "schedule": ft.Icons.SCHEDULE,
    "history": ft.Icons.HISTORY,
    "household": ft.Icons.GROUP,
}


@ft.component
def LinkBanner(charge: ChargeState, state: HomeState) -> ft.Control:
    """:class:`~shared.ConnectionBanner` following the link (its own component, so a link
    change re-renders only the banner)."""
    return ConnectionBanner(charge.connection, on_retry=state.connect)


def _body(state: HomeState) -> ft.Control:
    if state.section == "schedule":
        return ScheduleScreen(state.schedule)
    if state.section == "history":
        return HistoryScreen(state.history)
    if state.section == "household":
        return HouseholdScreen(state.household)
    assert state.pairing is not None
    return ChargeScreen(state.charge, state.pairing)


@ft.component
def HomeApp(state: HomeState) -> list[ft.View]:
    """Subscribes to ``state`` (phase, section, pairing) and renders the current page."""
    ui = use_ui()
    if state.phase == "starting":
        return [ft.View(route="/", controls=[LoadingState(ident="start")])]
    if state.phase == "enroll" or state.pairing is None:
        return [EnrollView(state.enroll, state.notice)]

    def select(key: str) -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        page.run_task(state.go, key)

    def forget() -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        show_confirmation(
            page,
            ui,
            title=ui.t("forget.title"),
            message=ui.t("forget.message"),
            on_confirm=state.forget,
            confirm_label=ui.t("forget.confirm"),
            destructive=True,
            ident="forget",
        )

    items = [NavItem(s, ui.t(f"nav.{s}"), _ICONS[s]) for s in state.sections]
    return [
        ResponsiveScaffold(
            title=ui.t("app.title"),
            items=items,
            selected=state.section,
            on_select=select,
            body=_body(state),
            banner=LinkBanner(state.charge, state),
            actions=[
                LanguageSwitch(),
                ThemeToggle(),
                tagged(
                    "forget-charger",
                    ft.IconButton(ft.Icons.LINK_OFF, tooltip=ui.t("forget.title"), on_click=forget),
                ),
            ],
        )
    ]


@dataclass(eq=False)
class BootState(ft.Observable):
    """Session start-up: the app state once the link exists, or why it could not be made."""

    state: HomeState | None = None
    error: str | None = None


@ft.component
def Boot(boot: BootState) -> list[ft.View]:
    """Loading until the session's link exists, then :func:`HomeApp`."""
    if boot.state is not None:
        return HomeApp(boot.state)
    if boot.error is not None:
        return [ft.View(route="/", controls=[ErrorState(boot.error, ident="boot")])]
    return [ft.View(route="/", controls=[LoadingState(ident="boot")])]
