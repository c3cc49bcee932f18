"""The brand: one EV-green/teal palette, as Material 3 light and dark themes.

Why one module: the three apps must look like one product, and tests (and the gallery) need a
single place that says what "brand green" is. Everything colour-related that is not a connector
status (see :mod:`shared.status`) comes from :data:`BRAND`.
"""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

__all__ = ["BRAND", "WIDE_BREAKPOINT", "BrandPalette", "build_theme", "spacing"]

WIDE_BREAKPOINT = 840
"""Page width (logical px) from which layouts switch to their wide form (Material's "expanded"
window class starts at 840): navigation rail instead of bottom bar, multi-column grids."""


@dataclass(frozen=True, slots=True)
class BrandPalette:
    """Brand colours as ``#RRGGBB``; the ``*_dark`` variants are lighter for dark surfaces."""

    primary: str = "#00875A"  # EV green
    primary_dark: str = "#4CD6A0"
    secondary: str = "#00796B"  # teal
    secondary_dark: str = "#4DB6AC"
    tertiary: str = "#1565C0"  # energy blue for charts' second series
    tertiary_dark: str = "#90CAF9"
    error: str = "#C62828"
    error_dark: str = "#EF9A9A"
    seed: str = "#00875A"


BRAND = BrandPalette()


class spacing:  # lower-case on purpose: a namespace of constants read like ``spacing.md``
    """The spacing scale (logical px); components use these instead of ad-hoc numbers."""

    xs = 4
    sm = 8
    md = 12
    lg = 16
    xl = 24


def build_theme(*, dark: bool = False, font_family: str | None = None) -> ft.Theme:
    """The app theme for one brightness.

    Args:
        dark: build the dark variant.
        font_family: a family registered in ``page.fonts`` (the CJK font from
            :func:`shared.install_cjk_font`); ``None`` keeps Flutter's Roboto.
    """
    p = BRAND
    scheme = ft.ColorScheme(
        primary=p.primary_dark if dark else p.primary,
        secondary=p.secondary_dark if dark else p.secondary,
        tertiary=p.tertiary_dark if dark else p.tertiary,
        error=p.error_dark if dark else p.error,
    )
    return ft.Theme(
        color_scheme_seed=p.seed,
        color_scheme=scheme,
        font_family=font_family,
        use_material3=True,
        visual_density=ft.VisualDensity.STANDARD,
    )
