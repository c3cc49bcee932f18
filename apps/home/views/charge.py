"""The main screen: the charger's live state and one big button to start or stop charging.

Shows what a person at the wall box wants to know at a glance (is the car plugged in, is it
charging, how much power, how much energy this session), then the current limit slider and,
for the owner, the lock. Every figure is what the charger last pushed; while the link is down
the banner above says so and the buttons are disabled, so a stale number never looks live.
"""

from __future__ import annotations

import flet as ft

from apps.home.ble.link import ChargerPairing
from apps.home.state.charger import ChargeState
from apps.home.views.common import card
from home_protocol.commands import ChargerStatus
from home_protocol.reasons import Role
from shared import UiState, action_button, outcome_line, spacing, tagged, use_ui

__all__ = ["ChargeScreen", "state_text"]

_VOLTS = 230  # nominal phase voltage: only for the ring's full-scale, never for a figure


def state_text(ui: UiState, status: ChargerStatus | None, online: bool) -> str:
    """One line for the charger's state, e.g. "Charging" or "No vehicle plugged in"."""
    if status is None:
        return ui.t("charge.state_unknown" if online else "charge.state_connecting")
    if status.state == "F":
        return ui.t("charge.state_fault", fault=status.fault or "?")
    if status.state == "A":
        return ui.t("charge.state_unplugged")
    if status.state == "C":
        return ui.t("charge.state_charging")
    if status.session_active and status.paused:
        return ui.t("charge.state_paused")
    if status.waiting_for_schedule:
        return ui.t("charge.state_waiting")
    return ui.t("charge.state_plugged")


def _figure(label: str, value: str, key: str) -> ft.Control:
    return ft.Column(
        [
            ft.Text(label, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(value, size=20, weight=ft.FontWeight.BOLD, key=key),
        ],
        spacing=2,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        expand=True,
    )


def _ring(ui: UiState, status: ChargerStatus | None, online: bool) -> ft.Control:
    charging = status is not None and status.state == "C"
    full_scale = (status.current_limit_a * status.phases * _VOLTS) if status else 0
    ratio = min(1.0, status.power_w / full_scale) if status and full_scale else 0.0
    icon = ft.Icons.EV_STATION if charging else ft.Icons.POWER if status else ft.Icons.BLUETOOTH
    color = ft.Colors.ERROR if status is not None and status.state == "F" else ft.Colors.PRIMARY
    return ft.Stack(
        [
            ft.Container(
                width=170,
                height=170,
                content=ft.ProgressRing(
                    value=ratio,
                    stroke_width=12,
                    color=color,
                    bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                ),
            ),
            ft.Container(
                width=170,
                height=170,
                alignment=ft.Alignment.CENTER,
                content=ft.Column(
                    [
                        ft.Icon(icon, size=40, color=color),
                        ft.Text(
                            state_text(ui, status, online),
                            key="charge-state",
                            text_align=ft.TextAlign.CENTER,
                            weight=ft.FontWeight.BOLD,
                            width=140,
                        ),
                    ],
                    tight=True,
                    spacing=spacing.xs,
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            ),
        ],
        width=170,
        height=170,
    )


def _controls(ui: UiState, charge: ChargeState, status: ChargerStatus | None) -> list[ft.Control]:
    ready = charge.online and status is not None and charge.busy is None
    running = status is not None and status.session_active and not status.paused
    out: list[ft.Control] = [
        action_button(
            "charge-toggle",
            ui.t("charge.stop" if running else "charge.start"),
            charge.toggle,
            icon=ft.Icons.STOP_CIRCLE if running else ft.Icons.PLAY_CIRCLE,
            kind="danger" if running else "filled",
            disabled=not ready or (status is not None and status.locked and not running),
            expand=True,
        )
    ]
    if status is not None and status.session_active:
        out.append(
            action_button(
                "charge-pause",
                ui.t("charge.resume" if status.paused else "charge.pause"),
                charge.start if status.paused else charge.pause,
                icon=ft.Icons.PLAY_ARROW if status.paused else ft.Icons.PAUSE,
                kind="tonal",
                disabled=not ready,
            )
        )
    return out


def _limit_card(ui: UiState, charge: ChargeState, status: ChargerStatus) -> ft.Control:
    low, high = charge.limit_range

    async def chosen(e: ft.Event[ft.Slider]) -> None:
        await charge.set_limit(round(float(e.control.value or low)))

    slider = tagged(
        "limit-slider",
        ft.Slider(
            min=low,
            max=high,
            divisions=max(1, high - low),
            value=min(high, max(low, status.current_limit_a)),
            round=0,
            disabled=not charge.online or charge.busy is not None,
            on_change_end=chosen,
        ),
    )
    return card(
        ui.t("charge.limit_title"),
        [
            ft.Text(
                ui.t("charge.limit_value", amps=status.current_limit_a, low=low, high=high),
                key="limit-value",
            ),
            slider,
        ],
        "limit-card",
    )


def _lock_row(ui: UiState, charge: ChargeState, status: ChargerStatus) -> ft.Control:
    async def toggled(e: ft.Event[ft.Switch]) -> None:
        await charge.set_locked(bool(e.control.value))

    label = ui.t("charge.lock_label")
    switch = ft.Switch(
        key="lock-switch",
        value=status.locked,
        disabled=not charge.online or charge.busy is not None,
        on_change=toggled,
    )
    return ft.Row(
        [
            ft.Semantics(identifier="lock-switch", label=label, content=switch),
            ft.Text(label, expand=True),
        ]
    )


def _plug_line(ui: UiState, status: ChargerStatus | None, plugged: bool) -> list[ft.Control]:
    line: list[ft.Control] = [
        ft.Icon(
            ft.Icons.POWER if plugged else ft.Icons.POWER_OFF,
            color=ft.Colors.GREEN_700 if plugged else ft.Colors.OUTLINE,
            size=18,
        ),
        ft.Text(ui.t("charge.plugged" if plugged else "charge.unplugged"), key="charge-plugged"),
    ]
    if status is not None and status.locked:
        line += [
            ft.Icon(ft.Icons.LOCK, size=18),
            ft.Text(ui.t("charge.is_locked"), key="charge-locked"),
        ]
    return line


@ft.component
def ChargeScreen(charge: ChargeState, pairing: ChargerPairing) -> ft.Control:
    """Live state, start/stop, current limit and lock of the paired charger."""
    ui = use_ui()
    status = charge.status
    body: list[ft.Control] = []
    if pairing.pending:
        body.append(
            ft.Container(
                key="charge-pending",
                bgcolor=ft.Colors.AMBER_100,
                border_radius=8,
                padding=spacing.md,
                content=ft.Text(ui.t("charge.pending"), color=ft.Colors.BLACK),
            )
        )
    plugged = status is not None and status.state in ("B", "C")
    body += [
        ft.Text(
            ui.t("charge.serial", serial=pairing.serial, role=ui.t(f"role.{pairing.role.name}")),
            key="charge-serial",
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
            text_align=ft.TextAlign.CENTER,
        ),
        ft.Row([_ring(ui, status, charge.online)], alignment=ft.MainAxisAlignment.CENTER),
        ft.Row(_plug_line(ui, status, plugged), alignment=ft.MainAxisAlignment.CENTER),
        ft.Row(
            [
                _figure(
                    ui.t("charge.power"),
                    ui.power(status.power_w / 1000) if status else "–",
                    "charge-power",
                ),
                _figure(
                    ui.t("charge.energy"),
                    ui.energy(status.session_energy_wh / 1000) if status else "–",
                    "charge-energy",
                ),
                _figure(
                    ui.t("charge.limit"),
                    f"{status.current_limit_a} A" if status else "–",
                    "charge-limit",
                ),
            ]
        ),
        ft.Row(_controls(ui, charge, status), spacing=spacing.sm),
        outcome_line(charge.message, "charge-message"),
    ]
    if status is not None:
        body.append(_limit_card(ui, charge, status))
        if pairing.role is Role.OWNER:
            body.append(_lock_row(ui, charge, status))
    return ft.Column(
        body, key="charge-screen", spacing=spacing.lg, scroll=ft.ScrollMode.AUTO, expand=True
    )
