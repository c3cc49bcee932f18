"""Per-session UI state (language, theme, viewport) and how components reach it.

Why: switching language or dark mode must re-render every visible component at once, without
threading a translator through every call. :class:`UiState` is an observable model created once
per session (never a module global) and handed down through a Flet context:

    def main(page: ft.Page) -> None:
        ui = UiState(i18n=I18n.default().extended(APP_CATALOGS),
                     fonts=install_cjk_font(ASSETS_DIR))
        start_app(page, ui, App)   # bind_page() + page.render_views(UiRoot, ui, App)

Components call :func:`use_ui` (re-render on language/theme change) or :func:`use_viewport`
(re-render on resize only).

Pitfall (verified on Flet 1.0.5): the function given to ``page.render``/``page.render_views`` must
itself be a ``@ft.component``. With a plain lambda as root, every page-level update re-renders the
root's children without mounting the new tree, so nested components silently stop updating (their
state changes are dropped as "unmounted"). :class:`UiRoot` / :func:`start_app` avoid that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import flet as ft

from shared import formatting as fmt
from shared.errors import UiContextMissing
from shared.fonts import FontSetup
from shared.i18n import I18n, Language
from shared.theme import WIDE_BREAKPOINT, build_theme

__all__ = [
    "UI_CONTEXT",
    "UiRoot",
    "UiState",
    "Viewport",
    "bind_page",
    "provide_ui",
    "start_app",
    "use_t",
    "use_ui",
    "use_viewport",
]

R = TypeVar("R")


@dataclass(eq=False)
class Viewport(ft.Observable):
    """The client's page size; kept apart from :class:`UiState` so a window drag re-renders only
    the components that lay out by width (the scaffold), not every translated label."""

    width: float = 400.0
    height: float = 800.0

    @property
    def wide(self) -> bool:
        """At least :data:`~shared.theme.WIDE_BREAKPOINT` wide: desktop/tablet layout."""
        return self.width >= WIDE_BREAKPOINT

    def resize(self, width: float, height: float) -> None:
        """Record a new size (notifies subscribers once per changed field)."""
        self.width = float(width)
        self.height = float(height)


@dataclass(eq=False)
class UiState(ft.Observable):
    """Language, theme and viewport of one app session, plus the formatting that depends on them.

    Fields starting with ``_`` are not observed (Flet's rule), everything else re-renders the
    components that read this state through :func:`use_ui` when it changes.
    """

    language: Language = Language.EN
    theme_mode: ft.ThemeMode = ft.ThemeMode.LIGHT
    viewport: Viewport = field(default_factory=Viewport)
    i18n: I18n = field(default_factory=I18n.default)
    fonts: FontSetup = field(default_factory=FontSetup)
    # Strong references to page listeners: Observable keeps listeners in a WeakSet.
    _listeners: list[Callable[[Any, str | None], None]] = field(default_factory=list)

    # --- actions -------------------------------------------------------------------------
    def set_language(self, language: Language) -> None:
        """Switch every visible text to ``language`` now."""
        self.language = language

    def set_theme_mode(self, mode: ft.ThemeMode) -> None:
        """Light, dark or follow the system."""
        self.theme_mode = mode

    def toggle_dark(self) -> None:
        """Flip between light and dark (``SYSTEM`` counts as light)."""
        self.theme_mode = (
            ft.ThemeMode.LIGHT if self.theme_mode == ft.ThemeMode.DARK else ft.ThemeMode.DARK
        )

    # --- text and numbers in the current language -----------------------------------------
    def t(self, key: str, /, **params: Any) -> str:
        """Translate ``key`` into the current language (see :meth:`shared.I18n.translate`)."""
        return self.i18n.translate(self.language, key, **params)

    def money(self, minor: int, currency: str) -> str:
        """:func:`shared.format_money` in the current language."""
        return fmt.format_money(minor, currency, self.language)

    def energy(self, kwh: float) -> str:
        """:func:`shared.format_energy` in the current language."""
        return fmt.format_energy(kwh, self.language)

    def power(self, kw: float) -> str:
        """:func:`shared.format_power` in the current language."""
        return fmt.format_power(kw, self.language)

    def duration(self, seconds: float, *, clock: bool = False) -> str:
        """:func:`shared.format_duration` in the current language."""
        return fmt.format_duration(seconds, self.language, clock=clock)

    def date_time(self, value: datetime) -> str:
        """:func:`shared.format_datetime` in the current language."""
        return fmt.format_datetime(value, self.language)

    def percent(self, ratio: float) -> str:
        """:func:`shared.format_percent` in the current language."""
        return fmt.format_percent(ratio, self.language)


UI_CONTEXT: ft.ContextProvider[UiState | None] = ft.create_context(None)
"""The context :func:`provide_ui` fills; a key, not state (its default is ``None``)."""


def provide_ui(ui: UiState, content: Callable[[], R]) -> R:
    """Inside a component: render ``content`` with ``ui`` available below it.

    Not for the root of ``page.render*`` (see the module's pitfall note); use :class:`UiRoot`.
    """
    return UI_CONTEXT(ui, content)


@ft.component
def UiRoot(ui: UiState, content: Callable[[], Any]) -> Any:
    """The root component: provides ``ui`` to ``content()`` (the app's root component call).

    ``page.render_views(UiRoot, ui, App)`` when ``App`` returns views (or an ``ft.Router`` with
    ``manage_views=True``); ``page.render(UiRoot, ui, App)`` when it returns one control.
    """
    return UI_CONTEXT(ui, content)


def start_app(
    page: ft.Page, ui: UiState, content: Callable[[], Any], *, views: bool = True
) -> None:
    """:func:`bind_page` then render ``content`` under :class:`UiRoot`.

    Args:
        content: the app's root component (``App``, called with no arguments), returning a
            ``ft.View``/list of views/``ft.Router(manage_views=True)`` when ``views`` is true, a
            single control otherwise.
    """
    bind_page(page, ui)
    if views:
        page.render_views(UiRoot, ui, content)
    else:
        page.render(UiRoot, ui, content)


def use_ui() -> UiState:
    """The session's :class:`UiState`; the calling component re-renders when it changes.

    Raises:
        UiContextMissing: the component is not rendered under :func:`provide_ui`.
    """
    ui = ft.use_context(UI_CONTEXT)
    if ui is None:
        raise UiContextMissing("render the app through shared.provide_ui(ui, App)")
    return ui


def use_t() -> Callable[..., str]:
    """Shortcut for ``use_ui().t``."""
    return use_ui().t


def use_viewport() -> Viewport:
    """The session's :class:`Viewport`; the calling component re-renders on resize."""
    viewport, _ = ft.use_state(use_ui().viewport)
    return viewport


def _locale_configuration(language: Language) -> ft.LocaleConfiguration:
    supported = [ft.Locale(*lang.flet_locale) for lang in Language]
    return ft.LocaleConfiguration(
        supported_locales=supported, current_locale=ft.Locale(*language.flet_locale)
    )


def bind_page(page: ft.Page, ui: UiState) -> None:
    """Make ``page`` follow ``ui``: fonts, light/dark themes, Material locale and size.

    Sets ``page.fonts``, ``page.theme``, ``page.dark_theme``, ``page.theme_mode`` and
    ``page.locale_configuration`` now and again whenever ``ui.language``/``ui.theme_mode``
    change, and takes over ``page.on_resize`` to keep ``ui.viewport`` current (subscribe to
    ``ui.viewport`` instead of setting ``page.on_resize`` yourself).
    """
    if ui.fonts.fonts:
        page.fonts = dict(ui.fonts.fonts)
    page.theme = build_theme(dark=False, font_family=ui.fonts.family)
    page.dark_theme = build_theme(dark=True, font_family=ui.fonts.family)
    page.theme_mode = ui.theme_mode
    page.locale_configuration = _locale_configuration(ui.language)
    if page.width and page.height:
        ui.viewport.resize(page.width, page.height)

    def on_resize(e: ft.PageResizeEvent) -> None:
        ui.viewport.resize(e.width, e.height)

    page.on_resize = on_resize

    def follow(_sender: Any, name: str | None) -> None:
        if name not in (None, "language", "theme_mode"):
            return
        page.theme_mode = ui.theme_mode
        page.locale_configuration = _locale_configuration(ui.language)
        page.update()

    ui._listeners.append(follow)
    ui.subscribe(follow)
