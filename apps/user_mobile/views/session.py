"""The session screen: the steps of a start, the charger's refusal, live figures pushed from
the backend, the notice before idle fees, the stop, and finally the receipt."""

from __future__ import annotations

import flet as ft

from apps.user_mobile.state.app import DriverState
from apps.user_mobile.state.charge import ChargeFlow
from apps.user_mobile.state.session import Phase
from apps.user_mobile.views.common import go_to, heading
from apps.user_mobile.views.receipt import ReceiptPdfButton, receipt_card
from shared import (
    ConnectionBanner,
    ConnectionState,
    EmptyState,
    SessionGauge,
    UiState,
    action_button,
    notice,
    outcome_line,
    show_confirmation,
    slug,
    spacing,
    tagged,
    use_ui,
)

__all__ = ["SessionScreen"]

STEPS = ("sent", "accepted", "plugged", "charging")
_REACHED = {
    Phase.STARTING: 0,
    Phase.REFUSED: 1,  # the request went out; the answer (charger or payment) was no
    Phase.PLUG_IN: 2,
    Phase.CONNECTED: 3,
    Phase.CHARGING: 4,
    Phase.SUSPENDED: 4,
    Phase.STOPPING: 4,
    Phase.COMPLETED: 4,
}


def _steps(ui: UiState, phase: Phase) -> ft.Control:
    done = _REACHED.get(phase, 0)
    rows: list[ft.Control] = []
    for index, step in enumerate(STEPS):
        if index < done:
            icon: ft.Control = ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.GREEN_700)
            state = "done"
        elif index == done and phase == Phase.REFUSED:
            icon, state = ft.Icon(ft.Icons.CANCEL, color=ft.Colors.ERROR), "refused"
        elif index == done:
            icon, state = ft.ProgressRing(width=18, height=18, stroke_width=2), "current"
        else:
            icon, state = ft.Icon(ft.Icons.RADIO_BUTTON_UNCHECKED, color=ft.Colors.OUTLINE), "todo"
        rows.append(
            ft.Row(
                [
                    icon,
                    ft.Text(
                        ui.t(f"step.{step}"),
                        weight=ft.FontWeight.BOLD if state == "current" else None,
                    ),
                ],
                key=slug("step", step),
                data=state,
            )
        )
    if phase == Phase.PLUG_IN:
        rows.append(ft.Text(ui.t("step.plug_hint"), size=12, key="plug-hint"))
    return ft.Column(rows, spacing=spacing.xs, key="steps")


@ft.component
def SessionScreen(state: DriverState, flow: ChargeFlow) -> ft.Control:
    """Whatever the driver's session is doing now."""
    ui = use_ui()
    phase = flow.phase

    async def stop() -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        show_confirmation(
            page,
            ui,
            title=ui.t("watch.stop_title"),
            message=ui.t("watch.stop_message"),
            confirm_label=ui.t("watch.stop"),
            destructive=True,
            ident="stop",
            on_confirm=flow.stop,
        )

    async def back_to_charger() -> None:
        if flow.ref is not None:
            await state.go(flow.ref.route)

    async def finish() -> None:
        await flow.done()
        await state.go("/")

    if phase == Phase.IDLE:
        return EmptyState(
            ui.t("watch.none"),
            icon=ft.Icons.EV_STATION,
            action_label=ui.t("nav.scan"),
            on_action=go_to(state, "/scan"),
            ident="no-session",
        )
    controls: list[ft.Control] = []
    if flow.link is not None and state.live.state == ConnectionState.ONLINE:
        # While the app-wide live banner is up it already tells (one notice, not two).
        controls.append(ConnectionBanner(flow.link))
    title = flow.station_name or (flow.ref.caption if flow.ref else "")
    controls.append(heading(title))
    if flow.ref is not None:
        controls.append(ft.Text(ui.t("charger.code", code=flow.ref.caption), size=12))
    if phase in (Phase.STARTING, Phase.REFUSED, Phase.PLUG_IN, Phase.CONNECTED):
        controls.append(_steps(ui, phase))
    if phase in (Phase.REFUSED, Phase.FAILED):
        controls.append(
            ft.Container(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.ERROR, color=ft.Colors.ERROR),
                        ft.Text(
                            flow.error or "", key="start-error", color=ft.Colors.ERROR, expand=True
                        ),
                    ]
                ),
                bgcolor=ft.Colors.ERROR_CONTAINER,
                padding=spacing.md,
                border_radius=8,
            )
        )
        controls.append(ft.Text(ui.t("watch.nothing_charged"), size=12))
        controls.append(
            action_button(
                "back-to-charger", ui.t("watch.back_to_charger"), back_to_charger, kind="outlined"
            )
        )
    if (
        phase in (Phase.CHARGING, Phase.SUSPENDED, Phase.STOPPING, Phase.CONNECTED)
        and flow.live is not None
    ):
        controls.append(ft.Row([SessionGauge(flow.live)], alignment=ft.MainAxisAlignment.CENTER))
    if flow.notice:
        controls.append(
            ft.Container(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.INFO, color=ft.Colors.ON_TERTIARY_CONTAINER),
                        ft.Text(flow.notice, key="watch-notice", expand=True),
                    ]
                ),
                bgcolor=ft.Colors.TERTIARY_CONTAINER,
                padding=spacing.md,
                border_radius=8,
            )
        )
    if phase.running:
        stopping = phase == Phase.STOPPING
        controls.append(
            outcome_line(notice(flow.error if phase.running else None), "stop-error", compact=True)
        )
        controls.append(
            action_button(
                "stop",
                ui.t("watch.stopping" if stopping else "watch.stop"),
                None if stopping else stop,
                icon=ft.Icons.STOP_CIRCLE,
                expand=True,
            )
        )
        controls.append(ft.Text(ui.t("watch.stop_at_charger"), size=12))
    if phase == Phase.COMPLETED:
        controls.append(
            ft.Text(
                ui.t("watch.completed"),
                key="completed",
                weight=ft.FontWeight.BOLD,
                color=ft.Colors.GREEN_800,
            )
        )
        if flow.receipt is not None:
            controls.append(receipt_card(ui, flow.receipt))
            if flow.guest and flow.guest_token:
                pdf = f"{state.client.base_url}/api/v1/guest/receipts/{flow.guest_token}.pdf"
                controls.append(
                    tagged(
                        "receipt-pdf",
                        ft.OutlinedButton(
                            ui.t("receipt.pdf"),
                            icon=ft.Icons.PICTURE_AS_PDF,
                            url=pdf,
                        ),
                    )
                )
            elif not flow.guest:
                controls.append(ReceiptPdfButton(state.account, flow.receipt.session_id))
        elif flow.receipt_error:
            controls.append(outcome_line(notice(flow.receipt_error), "receipt-error", compact=True))
            controls.append(
                action_button(
                    "receipt-retry", ui.t("common.retry"), flow.load_receipt, kind="outlined"
                )
            )
        else:
            controls.append(ft.ProgressRing(key="receipt-loading"))
        controls.append(action_button("done", ui.t("watch.done"), finish))
    return ft.Column(controls, spacing=spacing.md, key=slug("session", phase.value))
