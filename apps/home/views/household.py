"""Household: the phones enrolled with the charger; the owner approves pending ones and removes
phones that should no longer charge."""

from __future__ import annotations

import flet as ft

from apps.home.state.household import HouseholdState
from apps.home.views.common import charger_time
from home_protocol.commands import HouseholdKey
from home_protocol.reasons import KeyState
from shared import (
    LoadableView,
    UiState,
    action_button,
    outcome_line,
    show_confirmation,
    slug,
    spacing,
    use_ui,
)

__all__ = ["HouseholdScreen"]


def _row(ui: UiState, household: HouseholdState, key: HouseholdKey) -> ft.Control:
    ident = slug("key", key.key_id.hex())
    pending = key.state is KeyState.PENDING
    me = household.is_me(key)
    detail = ui.t(f"role.{key.role.name}")
    detail += " · " + ui.t("household.pending" if pending else "household.active")
    detail += " · " + ui.t("household.added", time=ui.date_time(charger_time(key.added_at)))
    name = key.name + (" " + ui.t("household.this_phone") if me else "")

    async def approve() -> None:
        await household.approve(key)

    async def confirmed_remove() -> None:
        await household.remove(key)

    def remove() -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        # show_confirmation, not show_confirmation: the handler returns at once and the answer
        # arrives as its own event (a handler awaiting a dialog would hold the event up)
        show_confirmation(
            page,
            ui,
            title=ui.t("household.remove_title", name=key.name),
            message=ui.t("household.remove_message"),
            on_confirm=confirmed_remove,
            confirm_label=ui.t("household.remove"),
            destructive=True,
            ident="remove-key",
        )

    busy = household.busy is not None
    actions: list[ft.Control] = []
    if pending:
        actions.append(
            action_button(
                slug(ident, "approve"),
                ui.t("household.approve"),
                approve,
                kind="tonal",
                disabled=busy,
            )
        )
    if not me:
        actions.append(
            action_button(
                slug(ident, "remove"), ui.t("household.remove"), remove, kind="text", disabled=busy
            )
        )
    return ft.Container(
        key=ident,
        padding=ft.Padding.symmetric(vertical=spacing.sm),
        content=ft.Column(
            [
                ft.Row(
                    [
                        ft.Icon(
                            ft.Icons.HOURGLASS_TOP if pending else ft.Icons.SMARTPHONE,
                            color=ft.Colors.AMBER_800 if pending else None,
                        ),
                        ft.Text(name, weight=ft.FontWeight.BOLD, expand=True),
                    ]
                ),
                ft.Text(detail, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Row(actions, spacing=spacing.sm),
            ],
            spacing=spacing.xs,
        ),
    )


@ft.component
def HouseholdScreen(household: HouseholdState) -> ft.Control:
    """Enrolled phones, pending approvals first."""
    ui = use_ui()
    return ft.Column(
        [
            ft.Row(
                [
                    ft.Text(
                        ui.t("household.title"), size=22, weight=ft.FontWeight.BOLD, expand=True
                    ),
                    action_button(
                        "household-refresh",
                        ui.t("history.refresh"),
                        household.reload,
                        icon=ft.Icons.REFRESH,
                        kind="text",
                    ),
                ]
            ),
            ft.Text(ui.t("household.hint"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            outcome_line(household.message, "household-message"),
            LoadableView(
                household.keys,
                lambda keys: ft.Column([_row(ui, household, k) for k in keys], spacing=0),
                on_retry=household.reload,
                ident="household",
            ),
        ],
        key="household-screen",
        spacing=spacing.md,
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )
