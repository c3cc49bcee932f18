"""Live session gauge: power as a ring, with energy, cost and elapsed time under it.

Why a component with its own clock: meter values arrive every few seconds, but the elapsed time
must tick every second or the screen looks frozen; the gauge counts locally from the last pushed
value and resets when a new one arrives.
"""

from __future__ import annotations

import asyncio

import flet as ft

from shared.components.badges import StatusBadge
from shared.models import LiveSession
from shared.state import use_ui
from shared.theme import spacing

__all__ = ["SessionGauge"]


def _figure(label: str, value: str, key: str) -> ft.Control:
    return ft.Column(
        [
            ft.Text(label, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(value, size=18, weight=ft.FontWeight.BOLD, key=key),
        ],
        spacing=2,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        expand=True,
    )


@ft.component
def SessionGauge(session: LiveSession, ticking: bool = True, size: float = 200) -> ft.Control:
    """Power ring (``key="gauge-power"``) plus energy, cost and elapsed figures.

    Args:
        session: the latest pushed figures.
        ticking: advance the elapsed time every second between pushes (off in tests/receipts).
        size: ring diameter in logical pixels.
    """
    ui = use_ui()
    extra, set_extra = ft.use_state(0)

    async def tick() -> None:
        set_extra(0)
        while ticking:
            await asyncio.sleep(1)
            set_extra(lambda seconds: seconds + 1)

    ft.use_effect(tick, [ticking, session.elapsed_s])

    max_kw = session.max_power_kw or 0
    # Without a known maximum the ring is simply full while power flows (never a spinner).
    ratio = min(1.0, session.power_kw / max_kw) if max_kw > 0 else float(session.power_kw > 0)
    centre: list[ft.Control] = [
        ft.Text(ui.t("gauge.power"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Text(ui.power(session.power_kw), size=28, weight=ft.FontWeight.BOLD, key="gauge-power"),
    ]
    if max_kw > 0:
        centre.append(ft.Text(ui.t("gauge.of_max", power=ui.power(max_kw)), size=12))
    ring = ft.Stack(
        [
            ft.Container(
                width=size,
                height=size,
                content=ft.ProgressRing(
                    value=ratio,
                    stroke_width=size / 14,
                    bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                    semantics_label=ui.power(session.power_kw),
                ),
            ),
            ft.Container(
                width=size,
                height=size,
                alignment=ft.Alignment.CENTER,
                content=ft.Column(
                    centre,
                    spacing=0,
                    tight=True,
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            ),
        ],
        width=size,
        height=size,
    )
    return ft.Column(
        [
            ring,
            StatusBadge(session.status, ident="gauge"),
            ft.Row(
                [
                    _figure(ui.t("gauge.energy"), ui.energy(session.energy_kwh), "gauge-energy"),
                    _figure(
                        ui.t("gauge.cost"),
                        ui.money(session.cost_minor, session.currency),
                        "gauge-cost",
                    ),
                    _figure(
                        ui.t("gauge.elapsed"),
                        ui.duration(session.elapsed_s + extra, clock=True),
                        "gauge-elapsed",
                    ),
                ],
                spacing=spacing.md,
            ),
        ],
        key="gauge",
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        spacing=spacing.lg,
    )
