"""Responsive scaffold (bar vs rail, live on resize), theme toggle and page binding."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from shared import (
    BRAND,
    CJK_FONT_FAMILY,
    FontSetup,
    LanguageSwitch,
    NavItem,
    ResponsiveScaffold,
    ThemeToggle,
    UiState,
    use_ui,
)
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import mount, strict_ui


def make_app(chosen: list[str]) -> tuple[UiState, Callable[[ft.Page], None]]:
    ui = strict_ui()

    @ft.component
    def App() -> ft.View:
        ui_ = use_ui()
        section, set_section = ft.use_state("home")

        def select(key: str) -> None:
            chosen.append(key)
            set_section(key)

        items = [
            NavItem("home", ui_.t("common.open"), ft.Icons.HOME),
            NavItem("faults", ui_.t("status.Faulted"), ft.Icons.ERROR),
            NavItem("more", ui_.t("nav.menu"), ft.Icons.MENU),
        ]
        return ResponsiveScaffold(
            title="Ops",
            items=items,
            selected=section,
            on_select=select,
            body=ft.Text(f"section:{section}"),
            route="/",
            actions=[LanguageSwitch(), ThemeToggle()],
        )

    return ui, mount(ui, App, views=True)


async def test_phone_width_gets_a_bottom_bar_and_desktop_a_rail() -> None:
    _, main = make_app([])
    async with FakeApp(main, width=400) as app:
        assert app.has_key("nav-bar") and not app.has_key("nav-rail")
        assert app.routes == ["/"]
    _, main = make_app([])
    async with FakeApp(main, width=1280) as app:
        assert app.has_key("nav-rail") and not app.has_key("nav-bar")
        assert app.by_key("nav-rail").extended  # labels beside icons on a desktop


async def test_resizing_switches_layout_live_and_keeps_the_section() -> None:
    chosen: list[str] = []
    ui, main = make_app(chosen)
    async with FakeApp(main, width=400) as app:
        await app.select("nav-bar", 1)
        assert chosen == ["faults"] and app.has_text("section:faults")
        await app.resize(900)
        assert ui.viewport.wide
        rail = app.by_key("nav-rail", ft.NavigationRail)
        assert rail.selected_index == 1 and not rail.extended
        assert app.has_text("section:faults")
        await app.select("nav-rail", 2)
        assert chosen == ["faults", "more"]
        # a language switch re-renders the view; the layout must keep following the size
        await app.click("lang-switch")
        assert app.has_text("菜单")
        await app.resize(839)
        assert app.has_key("nav-bar") and not app.has_key("nav-rail")
        assert app.by_key("nav-bar", ft.NavigationBar).selected_index == 2


async def test_theme_toggle_switches_the_page_theme_mode() -> None:
    ui, main = make_app([])
    async with FakeApp(main) as app:
        seen = [app.page.theme_mode]
        await app.click("theme-toggle")
        assert ui.theme_mode == ft.ThemeMode.DARK
        seen.append(app.page.theme_mode)
        assert app.by_key("theme-toggle", ft.IconButton).icon == ft.Icons.LIGHT_MODE
        await app.click("theme-toggle")
        seen.append(app.page.theme_mode)
        assert seen == [ft.ThemeMode.LIGHT, ft.ThemeMode.DARK, ft.ThemeMode.LIGHT]


async def test_page_gets_brand_themes_and_the_cjk_font() -> None:
    fonts = FontSetup(CJK_FONT_FAMILY, {CJK_FONT_FAMILY: "fonts/DroidSansFallbackFull.ttf"})
    ui = strict_ui(fonts=fonts)
    async with FakeApp(mount(ui, lambda: ft.Text("x"))) as app:
        assert app.page.fonts == {CJK_FONT_FAMILY: "fonts/DroidSansFallbackFull.ttf"}
        assert app.page.theme is not None and app.page.dark_theme is not None
        assert app.page.theme.font_family == CJK_FONT_FAMILY
        assert app.page.theme.color_scheme is not None
        assert app.page.theme.color_scheme.primary == BRAND.primary
        assert app.page.dark_theme.color_scheme is not None
        assert app.page.dark_theme.color_scheme.primary == BRAND.primary_dark


async def test_without_a_cjk_font_the_theme_keeps_roboto() -> None:
    ui = strict_ui()  # FontSetup() by default: nothing installed
    async with FakeApp(mount(ui, lambda: ft.Text("x"))) as app:
        assert app.page.fonts is None
        assert app.page.theme is not None and app.page.theme.font_family is None
