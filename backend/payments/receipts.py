"""Receipts: the itemized bill of one finished session, as JSON and as a PDF to save.

The lines come from the same tariff engine and snapshot that billed the session, so the
receipt always adds up to what was charged. Who may read it is decided by the caller
(:mod:`backend.payments.views`): the session's driver, its operator's staff, or a guest
holding the receipt token.
"""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Charger,
    ChargingSession,
    Operator,
    PaymentIntent,
    PaymentStatus,
    SessionStatus,
    Station,
)
from backend.errors import Conflict
from backend.payments.settlement import payment_display_status, session_cost
from backend.payments.tariff import format_minor
from backend_client.models import PaymentState, PayWith, Receipt, ReceiptLine

_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),  # CJK + Latin
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)


async def build_receipt(
    db: AsyncSession, session: ChargingSession, intent: PaymentIntent | None
) -> Receipt:
    """The receipt of a finished session; 409 while it is still running."""
    if session.status in (SessionStatus.PENDING, SessionStatus.ACTIVE):
        raise Conflict("The session is still running; the receipt is ready when it ends.")
    snapshot = intent.tariff_snapshot if intent is not None else session.tariff_snapshot
    if not snapshot:
        # Sessions at a station without a tariff (free charging, or a price set after the
        # fact) were never priced: there is nothing to itemize.
        raise Conflict(
            "This session was not priced (its station had no tariff), so it has no receipt."
        )
    cost = await session_cost(db, session, snapshot)
    if session.status == SessionStatus.FAILED:
        lines: list[ReceiptLine] = []
        subtotal = tax = total = 0
    else:
        lines = [
            ReceiptLine(
                kind=ln.kind,
                label=ln.label,
                quantity=ln.quantity.quantize(Decimal("0.0001")),
                unit=ln.unit,
                unit_price=ln.unit_price,
                amount_minor=ln.amount_minor,
            )
            for ln in cost.lines
        ]
        subtotal, tax, total = cost.subtotal_minor, cost.tax_minor, cost.total_minor
    station = await db.get(Station, session.station_id)
    charger = await db.get(Charger, session.charger_id)
    operator = await db.get(Operator, session.operator_id)
    assert station is not None and charger is not None and operator is not None
    if intent is None:
        charged, state, pay_with = total, None, None
    else:
        state = PaymentState(payment_display_status(intent.status))
        pay_with = PayWith(intent.method)
        if intent.status == PaymentStatus.CAPTURED:
            charged = intent.captured_minor
        elif intent.status == PaymentStatus.CAPTURE_PENDING:
            charged = min(intent.final_cost_minor or 0, intent.authorized_minor)
        else:
            charged = 0
    return Receipt(
        receipt_number=f"R-{session.id:08d}",
        session_id=session.id,
        issued_at=session.stopped_at or session.updated_at,
        operator_name=operator.name,
        station_name=station.name,
        station_address=station.address,
        ocpp_id=charger.ocpp_id,
        connector_no=session.connector_no,
        started_at=session.started_at,
        stopped_at=session.stopped_at,
        energy_wh=cost.energy_wh if session.status != SessionStatus.FAILED else 0,
        charging_minutes=(Decimal(cost.charging_seconds) / 60).quantize(Decimal("0.01")),
        idle_minutes=(Decimal(cost.billable_idle_seconds) / 60).quantize(Decimal("0.01")),
        currency=cost.currency,
        lines=lines,
        subtotal_minor=subtotal,
        tax_minor=tax,
        total_minor=total,
        charged_minor=charged,
        payment_state=state,
        pay_with=pay_with,
        tariff_snapshot=dict(snapshot),
    )


def _font_path() -> Path | None:
    override = os.environ.get("CHARGEPILE_CJK_FONT")
    candidates = ((Path(override),) if override else ()) + _FONT_CANDIDATES
    return next((p for p in candidates if p.is_file()), None)


async def receipt_pdf(receipt: Receipt) -> bytes:
    """:func:`render_receipt_pdf` in a worker thread (font subsetting takes CPU time)."""
    return await asyncio.to_thread(render_receipt_pdf, receipt)


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """A one-page A5 PDF of ``receipt`` (CJK-capable font when the system has one)."""
    pdf = FPDF(format=(148, 210))  # A5 in mm
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    font = _font_path()
    if font is not None:
        pdf.add_font("receipt", fname=str(font))
        family = "receipt"

        def text(value: str) -> str:
            return value
    else:
        family = "helvetica"

        def text(value: str) -> str:
            return value.encode("latin-1", "replace").decode("latin-1")

    cur = receipt.currency
    pdf.set_font(family, size=14)
    pdf.cell(
        0, 8, text(f"Charging receipt {receipt.receipt_number}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(family, size=9)
    rows = [
        receipt.operator_name,
        f"{receipt.station_name} — {receipt.station_address}",
        f"Charger {receipt.ocpp_id}, connector {receipt.connector_no}",
        f"Started {receipt.started_at:%Y-%m-%d %H:%M} UTC",
        f"Stopped {receipt.stopped_at:%Y-%m-%d %H:%M} UTC" if receipt.stopped_at else "Stopped -",
        f"Energy {Decimal(receipt.energy_wh) / 1000:.3f} kWh, charging {receipt.charging_minutes} min, "
        f"billed idle {receipt.idle_minutes} min",
        f"Tariff: {receipt.tariff_snapshot.get('name', '')} ({receipt.tariff_snapshot.get('timezone', '')})",
    ]
    for row in rows:
        pdf.cell(0, 5, text(row), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (48, 28, 30, 22)
    pdf.set_font(family, size=9)
    for head, width in zip(("Item", "Quantity", "Unit price", "Amount"), widths, strict=True):
        pdf.cell(width, 6, text(head), border="B")
    pdf.ln()
    for line in receipt.lines:
        cells = (
            f"{line.kind} ({line.label})",
            f"{line.quantity:.3f} {line.unit}",
            f"{line.unit_price} {'' if line.unit == '%' else cur + '/' + line.unit}",
            format_minor(line.amount_minor, cur),
        )
        for value, width in zip(cells, widths, strict=True):
            pdf.cell(width, 6, text(value))
        pdf.ln()
    pdf.ln(2)
    totals = [
        ("Subtotal", receipt.subtotal_minor),
        ("Tax", receipt.tax_minor),
        ("Total", receipt.total_minor),
        ("Charged", receipt.charged_minor),
    ]
    for label, amount in totals:
        pdf.cell(106, 6, text(label))
        pdf.cell(22, 6, text(format_minor(amount, cur)), new_x="LMARGIN", new_y="NEXT")
    state = receipt.payment_state.value if receipt.payment_state else "not paid in app"
    method = receipt.pay_with.value if receipt.pay_with else "-"
    pdf.cell(0, 6, text(f"Payment: {method}, {state}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
