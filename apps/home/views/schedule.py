"""Schedule screen: a one-off delayed start ("start at 01:00") and the weekly off-peak plan
(e.g. Mon–Fri 22:00–06:00), in the charger's clock."""

from __future__ import annotations

import flet as ft

from apps.home.state.schedule import ScheduleState, format_minutes
from apps.home.views.common import card, charger_time
from home_protocol.commands import Schedule, WeeklyWindow
from shared import (
    LoadableView,
    UiState,
    action_button,
    bind,
    outcome_line,
    slug,
    spacing,
    tagged,
    text_field,
    use_form,
    use_ui,
)

__all__ = ["ScheduleScreen", "describe_days"]

_WEEKDAYS = "1111100"
_ALL_DAYS = 0x7F


def describe_days(ui: UiState, mask: int) -> str:
    """``0b0011111`` → "Mon–Fri"; every day → "Every day"; otherwise the day names."""
    if mask == _ALL_DAYS:
        return ui.t("day.every")
    bits = "".join("1" if mask >> d & 1 else "0" for d in range(7))
    if bits == _WEEKDAYS:
        return ui.t("day.weekdays")
    if bits == "0000011":
        return ui.t("day.weekend")
    return ", ".join(ui.t(f"day.{d}") for d in range(7) if mask >> d & 1)


def _window_text(ui: UiState, window: WeeklyWindow) -> str:
    return ui.t(
        "schedule.window",
        days=describe_days(ui, window.days_mask),
        start=format_minutes(window.start_min),
        end=format_minutes(window.end_min),
    )


@ft.component
def _Plan(state: ScheduleState, schedule: Schedule) -> ft.Control:
    ui = use_ui()
    form = use_form()
    days, set_days = ft.use_state(_ALL_DAYS)

    def day_toggle(day: int) -> ft.Control:
        def changed() -> None:
            set_days(days ^ (1 << day))

        return tagged(
            slug("day", day),
            ft.Chip(
                label=ft.Text(ui.t(f"day.{day}")),
                selected=bool(days >> day & 1),
                on_select=changed,
            ),
        )

    async def set_delayed() -> None:
        await state.set_delayed_start(form.get("delayed"))

    async def add_window() -> None:
        await state.add_window(days, form.get("start"), form.get("end"))

    delayed_text = (
        ui.t("schedule.delayed_at", time=ui.date_time(charger_time(schedule.delayed_start_at)))
        if schedule.delayed_start_at is not None
        else ui.t("schedule.delayed_none")
    )
    delayed = card(
        ui.t("schedule.delayed_title"),
        [
            ft.Text(delayed_text, key="schedule-delayed"),
            ft.Row(
                [
                    text_field(
                        form,
                        "delayed",
                        ui.t("schedule.time"),
                        "delayed-time",
                        hint="01:00",
                        default="01:00",
                        width=120,
                    ),
                    action_button(
                        "delayed-set",
                        ui.t("schedule.delayed_set_button"),
                        set_delayed,
                        icon=ft.Icons.ALARM,
                        disabled=state.busy,
                    ),
                ],
                wrap=True,
            ),
            action_button(
                "delayed-clear",
                ui.t("schedule.delayed_clear"),
                bind(state.clear, "delayed"),
                kind="text",
                disabled=state.busy or schedule.delayed_start_at is None,
            ),
        ],
        "delayed-card",
    )
    windows: list[ft.Control] = [
        ft.Row(
            [
                ft.Icon(ft.Icons.NIGHTLIGHT, size=18),
                ft.Text(_window_text(ui, w), key=slug("window", i), expand=True),
                tagged(
                    slug("window", i, "remove"),
                    ft.IconButton(
                        ft.Icons.DELETE_OUTLINE,
                        tooltip=ui.t("schedule.remove"),
                        on_click=bind(state.remove_window, i),
                        disabled=state.busy,
                    ),
                ),
            ]
        )
        for i, w in enumerate(schedule.weekly)
    ] or [ft.Text(ui.t("schedule.weekly_none"), key="weekly-none")]
    weekly = card(
        ui.t("schedule.weekly_title"),
        [
            ft.Text(ui.t("schedule.weekly_hint"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            *windows,
            ft.Row([day_toggle(d) for d in range(7)], wrap=True, spacing=spacing.xs),
            ft.Row(
                [
                    text_field(
                        form,
                        "start",
                        ui.t("schedule.from"),
                        "weekly-start",
                        hint="22:00",
                        default="22:00",
                        width=110,
                    ),
                    text_field(
                        form,
                        "end",
                        ui.t("schedule.to"),
                        "weekly-end",
                        hint="06:00",
                        default="06:00",
                        width=110,
                    ),
                ],
                wrap=True,
            ),
            ft.Row(
                [
                    action_button(
                        "weekly-add",
                        ui.t("schedule.add"),
                        add_window,
                        icon=ft.Icons.ADD,
                        disabled=state.busy,
                    ),
                    action_button(
                        "weekly-clear",
                        ui.t("schedule.weekly_clear"),
                        bind(state.clear, "weekly"),
                        kind="text",
                        disabled=state.busy or not schedule.weekly,
                    ),
                ],
                wrap=True,
            ),
        ],
        "weekly-card",
    )
    return ft.Column([delayed, weekly], spacing=spacing.lg)


@ft.component
def ScheduleScreen(state: ScheduleState) -> ft.Control:
    """The charger's schedule with forms to change it."""
    ui = use_ui()
    return ft.Column(
        [
            ft.Text(ui.t("schedule.title"), size=22, weight=ft.FontWeight.BOLD),
            outcome_line(state.message, "schedule-message"),
            LoadableView(
                state.schedule,
                lambda schedule: _Plan(state, schedule),
                on_retry=state.reload,
                is_empty=lambda _: False,
                ident="schedule",
            ),
        ],
        key="schedule-screen",
        spacing=spacing.md,
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )
