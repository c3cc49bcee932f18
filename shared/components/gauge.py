"""Live session gauge: power as a ring, with energy, cost and elapsed time under it.

Why a component with its own clock: meter values arrive every few seconds, but the elapsed time
must tick every second or the screen looks frozen; the gauge counts locally from the last pushed
value and resets when a new one arrives.

The clock is a task the gauge owns: the effect's cleanup cancels it when the gauge unmounts or
restarts (a new push), and it ends by itself once the Flet session is gone — a closed tab
runs no cleanups, and touching a destroyed session's page raises.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

import flet as ft
from flet.messaging.session import Session

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


async def _tick(
    session: weakref.ref[Session], advance: Callable[[Callable[[int], int]], None]
) -> None:
    """Add a second every second while the session lives.

    Only a weak reference: the clock must not keep a closed tab's session alive. It stops
    when the session has been destroyed, or disconnected (nothing would be shown; the next
    pushed figure starts a fresh clock after a reconnect).
    """
    while True:
        await asyncio.sleep(1)
        if not _advance_if_alive(session, advance):
            return


def _advance_if_alive(
    session: weakref.ref[Session], advance: Callable[[Callable[[int], int]], None]
) -> bool:
    """One tick, or ``False`` when the session is gone. A function of its own so the strong
    reference lives only for the tick (a local of the loop would keep the session alive
    while sleeping) and the session cannot vanish half-way through the update."""
    alive = session()
    if alive is None or alive.expires_at is not None:
        return False
    advance(_plus_one)
    return True


def _plus_one(seconds: int) -> int:
    return seconds + 1


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
    ticker: ft.MutableRef[asyncio.Task[None] | None] = ft.use_ref(None)

    def stop() -> None:
        task, ticker.current = ticker.current, None
        if task is not None:
            task.cancel()

    def start() -> None:
        stop()
        set_extra(0)
        if ticking:
            alive = weakref.ref(ft.context.page.session)
            ticker.current = asyncio.create_task(_tick(alive, set_extra))

    ft.use_effect(start, [ticking, session.elapsed_s], cleanup=stop)

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
