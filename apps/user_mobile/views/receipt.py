"""An itemized receipt: energy (per time-of-use band), time, idle minutes, tax, total, and
what was taken from the wallet or card (or that the payment is still pending); and the
signed-in driver's "Download PDF" button."""

from __future__ import annotations

from decimal import Decimal

import flet as ft

from apps.user_mobile.state.account import AccountModel
from apps.user_mobile.state.pricing import unit_price
from apps.user_mobile.views.common import heading, line
from backend_client.models import Receipt
from shared import UiState, action_button, notice, outcome_line, spacing, use_ui

__all__ = ["ReceiptPdfButton", "receipt_card"]


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def receipt_card(ui: UiState, receipt: Receipt) -> ft.Control:
    """The receipt as a card (``key="receipt"``); figures have stable keys for tests."""
    cur = receipt.currency
    rows: list[ft.Control] = [
        heading(ui.t("receipt.title"), size=18),
        ft.Text(receipt.receipt_number, key="receipt-number", size=12, selectable=True),
        ft.Text(f"{receipt.station_name} · {receipt.ocpp_id} · {receipt.connector_no}", size=12),
        line(ui.t("receipt.started"), ui.date_time(receipt.started_at)),
    ]
    if receipt.stopped_at is not None:
        rows.append(line(ui.t("receipt.stopped"), ui.date_time(receipt.stopped_at)))
    rows.append(
        line(ui.t("gauge.energy"), ui.energy(receipt.energy_wh / 1000), key="receipt-energy")
    )
    rows.append(ft.Divider())
    for item in receipt.lines:
        label_key = f"receipt.line_{item.kind}"
        label = ui.t(label_key) if ui.i18n.has(label_key) else item.kind
        if item.kind != "tax":
            label += (
                f" ({item.label}) {_qty(item.quantity)} {item.unit} × "
                + unit_price(item.unit_price, cur, item.unit).split("/")[0]
            )
        else:
            label += f" {_qty(item.quantity)} %"
        rows.append(line(label, ui.money(item.amount_minor, cur)))
    if receipt.idle_minutes > 0:
        rows.append(line(ui.t("receipt.idle_minutes"), _qty(receipt.idle_minutes)))
    rows.append(ft.Divider())
    rows.append(
        line(
            ui.t("receipt.total"),
            ui.money(receipt.total_minor, cur),
            key="receipt-total",
            strong=True,
        )
    )
    if receipt.payment_state is not None:
        how = ui.t(f"pay.{receipt.pay_with}") if receipt.pay_with else ""
        # After the stop a hold is only "held" until the capture runs: that is pending money.
        settled = receipt.payment_state not in ("held", "processing")
        state_key = f"payment.{receipt.payment_state}" if settled else "payment.pending"
        rows.append(
            line(
                ui.t("receipt.charged", how=how),
                ui.money(receipt.charged_minor, cur),
                key="receipt-charged",
            )
        )
        rows.append(
            ft.Text(
                ui.t(state_key) if ui.i18n.has(state_key) else str(receipt.payment_state),
                key="receipt-payment",
                size=12,
            )
        )
    return ft.Card(
        ft.Container(ft.Column(rows, spacing=spacing.xs), padding=spacing.lg), key="receipt"
    )


@ft.component
def ReceiptPdfButton(account: AccountModel, session_id: int) -> ft.Control:
    """ "Download PDF" (``key="receipt-pdf"``): opens a short-lived signed link to the PDF in a
    browser tab / the phone's viewer; a failure shows under it (``receipt-pdf-error``)."""
    ui = use_ui()

    async def download() -> None:
        await account.download_receipt(session_id)

    return ft.Column(
        [
            action_button(
                "receipt-pdf",
                ui.t("receipt.pdf"),
                download,
                kind="outlined",
                icon=ft.Icons.PICTURE_AS_PDF,
            ),
            outcome_line(notice(account.pdf_error), "receipt-pdf-error", compact=True),
        ],
        spacing=spacing.xs,
    )
