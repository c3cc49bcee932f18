"""Responsive scaffold: bottom navigation bar on phones, navigation rail on wide screens.

Why: the operator app is one app on two terminals (phone office, desktop console) and the driver
app runs on phones and in desktop browsers; the layout switch must follow a window resize live,
at one breakpoint shared by every app (:data:`~shared.theme.WIDE_BREAKPOINT`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flet as ft

from shared.components.base import slug, tagged
from shared.i18n import Language
from shared.models import NavItem
from shared.state import use_ui, use_viewport

__all__ = ["LanguageSwitch", "ResponsiveScaffold", "ThemeToggle"]

# From this width the rail shows labels beside the icons (desktop console).
_EXTENDED_RAIL_WIDTH = 1200


@ft.component
def ResponsiveScaffold(
    title: str,
    items: Sequence[NavItem],
    selected: str,
    on_select: Callable[[str], Any],
    body: ft.Control,
    route: str = "/",
    actions: Sequence[ft.Control] = (),
    banner: ft.Control | None = None,
    floating_action_button: ft.FloatingActionButton | None = None,
) -> ft.View:
    """A page view with app bar, navigation (bar or rail by width) and ``body``.

    Args:
        title: app bar title (already translated).
        items: top-level destinations; ``on_select(item.key)`` fires when one is chosen.
        selected: key of the current destination.
        body: the current screen; it fills the remaining space.
        route: the view's route (for ``page.render_views`` / ``ft.Router``).
        actions: app bar actions (e.g. :func:`LanguageSwitch`, :func:`ThemeToggle`).
        banner: shown above the body (e.g. :func:`~shared.ConnectionBanner`).

    Navigation controls have ``key="nav-rail"``/``"nav-bar"``; destinations ``"nav-<key>"``.
    """
    viewport = use_viewport()
    keys = [item.key for item in items]
    index = keys.index(selected) if selected in keys else 0

    def changed(e: ft.Event[Any]) -> None:
        chosen = e.control.selected_index
        if chosen is not None and 0 <= int(chosen) < len(items):
            on_select(items[int(chosen)].key)

    column: list[ft.Control] = [c for c in (banner,) if c is not None]
    column.append(ft.Container(content=body, expand=True, padding=16))
    content = ft.Column(column, expand=True, spacing=0)
    navigation_bar: ft.NavigationBar | None = None
    if viewport.wide:
        rail = ft.NavigationRail(
            key="nav-rail",
            selected_index=index,
            extended=viewport.width >= _EXTENDED_RAIL_WIDTH,
            label_type=None
            if viewport.width >= _EXTENDED_RAIL_WIDTH
            else ft.NavigationRailLabelType.ALL,
            destinations=[
                ft.NavigationRailDestination(
                    key=slug("nav", item.key),
                    icon=item.icon,
                    selected_icon=item.selected_icon or item.icon,
                    label=item.label,
                )
                for item in items
            ],
            on_change=changed,
        )
        controls: list[ft.BaseControl] = [
            ft.Row([rail, ft.VerticalDivider(width=1), content], expand=True, spacing=0)
        ]
    else:
        navigation_bar = ft.NavigationBar(
            key="nav-bar",
            selected_index=index,
            destinations=[
                ft.NavigationBarDestination(
                    key=slug("nav", item.key),
                    icon=item.icon,
                    selected_icon=item.selected_icon or item.icon,
                    label=item.label,
                )
                for item in items
            ],
            on_change=changed,
        )
        controls = [content]
    return ft.View(
        route=route,
        appbar=ft.AppBar(title=ft.Text(title), actions=list(actions)),
        navigation_bar=navigation_bar,
        floating_action_button=floating_action_button,
        controls=controls,
        padding=0,
        spacing=0,
    )


@ft.component
def LanguageSwitch() -> ft.Control:
    """A button showing the *other* language's own name ("中文" / "English"); switches to it.

    ``key="lang-switch"`` (also the semantics id).
    """
    ui = use_ui()
    languages = list(Language)
    other = languages[(languages.index(ui.language) + 1) % len(languages)]
    return tagged(
        "lang-switch",
        ft.TextButton(
            other.native_name,
            icon=ft.Icons.TRANSLATE,
            tooltip=ui.t("settings.language"),
            on_click=lambda: ui.set_language(other),
        ),
    )


@ft.component
def ThemeToggle() -> ft.Control:
    """Light/dark switch (``key="theme-toggle"``); the icon shows the mode it switches to."""
    ui = use_ui()
    dark = ui.theme_mode == ft.ThemeMode.DARK
    return tagged(
        "theme-toggle",
        ft.IconButton(
            icon=ft.Icons.LIGHT_MODE if dark else ft.Icons.DARK_MODE,
            tooltip=ui.t("settings.theme_light" if dark else "settings.theme_dark"),
            on_click=ui.toggle_dark,
        ),
    )
