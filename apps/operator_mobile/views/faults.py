"""The live fault feed: new faults appear as the backend pushes them; acknowledge with a note."""

from __future__ import annotations

import flet as ft

from apps.operator_mobile.state.monitor import FaultFeedState
from apps.operator_mobile.views.common import screen
from backend_client.models import FaultPublic
from shared import LoadableView, UiState, action_button, outcome_line, slug, tagged, use_ui

__all__ = ["FaultFeed", "show_acknowledge_dialog"]


def show_acknowledge_dialog(ui: UiState, feed: FaultFeedState, fault: FaultPublic) -> None:
    """Ask for a note, then acknowledge; the dialog stays open with the error if it fails."""
    page = ft.context.page
    assert isinstance(page, ft.Page)
    note = ft.TextField(
        key="ack-note", label=ui.t("faults.note"), multiline=True, min_lines=2, autofocus=True
    )
    error = ft.Text("", key="ack-error", color=ft.Colors.ERROR, visible=False)

    async def confirm() -> None:
        outcome = await feed.acknowledge(fault.id, str(note.value or ""))
        if outcome.ok:
            page.pop_dialog()
        else:
            error.value, error.visible = outcome.message, True
            error.update()

    page.show_dialog(
        ft.AlertDialog(
            key="ack-dialog",
            title=ft.Text(ui.t("faults.ack_title", code=fault.error_code, charger=fault.ocpp_id)),
            content=ft.Column(
                [ft.Semantics(identifier="ack-note", content=note), error], tight=True, width=360
            ),
            actions=[
                action_button("ack-cancel", ui.t("common.cancel"), page.pop_dialog, kind="text"),
                action_button("ack-confirm", ui.t("faults.acknowledge"), confirm),
            ],
        )
    )


def _fault_card(ui: UiState, feed: FaultFeedState, fault: FaultPublic) -> ft.Control:
    ident = slug("fault", fault.id)
    fresh = fault.id in feed.fresh
    head: list[ft.Control] = [
        ft.Icon(
            ft.Icons.WARNING if fault.cleared_at is None else ft.Icons.CHECK_CIRCLE_OUTLINE,
            color=ft.Colors.ERROR if fault.cleared_at is None else ft.Colors.GREEN_700,
        ),
        ft.Text(fault.error_code, weight=ft.FontWeight.BOLD, size=16, expand=True),
    ]
    if fresh:
        head.append(
            ft.Container(
                ft.Text(ui.t("faults.new"), color=ft.Colors.ON_ERROR, size=11),
                bgcolor=ft.Colors.ERROR,
                border_radius=8,
                padding=ft.Padding.symmetric(horizontal=8, vertical=2),
                key=slug(ident, "new"),
            )
        )
    lines: list[ft.Control] = [
        ft.Row(head),
        ft.Text(
            ui.t(
                "faults.where",
                charger=fault.ocpp_id,
                connector=fault.connector_no,
                station=fault.station_name,
            )
        ),
        ft.Text(
            ui.t("faults.opened", time=ui.date_time(fault.opened_at))
            + (f" · {fault.info}" if fault.info else "")
            + (f" · {fault.vendor_error_code}" if fault.vendor_error_code else ""),
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
    ]
    if fault.acknowledged_at is not None:
        lines.append(
            ft.Text(
                ui.t(
                    "faults.ack_note",
                    time=ui.date_time(fault.acknowledged_at),
                    note=fault.note or "",
                ),
                size=12,
                key=slug(ident, "ack"),
            )
        )
    else:
        lines.append(
            ft.Row(
                [
                    action_button(
                        slug(ident, "ack"),
                        ui.t("faults.acknowledge"),
                        lambda: show_acknowledge_dialog(ui, feed, fault),
                        icon=ft.Icons.DONE,
                        kind="tonal",
                    )
                ],
                alignment=ft.MainAxisAlignment.END,
            )
        )
    return ft.Card(
        key=ident,
        content=ft.Container(ft.Column(lines, spacing=6), padding=14),
        bgcolor=ft.Colors.ERROR_CONTAINER if fresh else None,
    )


@ft.component
def FaultFeed(feed: FaultFeedState) -> ft.Control:
    ui = use_ui()

    async def toggle(e: ft.Event[ft.Switch]) -> None:
        await feed.set_open_only(not bool(e.control.value))

    return screen(
        ui.t("nav.faults"),
        [
            tagged(
                "faults-show-all",
                ft.Switch(
                    label=ui.t("faults.show_all"), value=not feed.open_only, on_change=toggle
                ),
            )
        ],
        [
            outcome_line(feed.outcome, "faults-outcome"),
            LoadableView(
                feed.faults,
                lambda faults: ft.Column(
                    [_fault_card(ui, feed, f) for f in faults], spacing=8, key="fault-list"
                ),
                on_retry=feed.reload,
                empty_message=ui.t("faults.none"),
                ident="faults",
            ),
        ],
        "screen-faults",
    )
