"""Receipts: the itemized bill of one finished session, as JSON and as a PDF to save.

The lines come from the same tariff engine and snapshot that billed the session, so the
receipt always adds up to what was charged. Who may read it is decided by the caller
(:mod:`backend.payments.views`): the session's driver, its operator's staff, or a guest
holding the receipt token.

A signed-in person's PDF can also be fetched through a short-lived signed link
(:func:`issue_receipt_link`): a browser tab or a phone's PDF viewer opens URLs but cannot send
the app's bearer header, and the bearer token itself must never go into a URL (access logs,
browser history). The link grants only that one receipt, for minutes, to whoever could read it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jwt
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
from backend.errors import Conflict, NotFound
from backend.payments.settlement import payment_display_status, session_cost
from backend.payments.tariff import format_minor
from backend.security import Principal
from backend_client.models import PaymentState, PayWith, Receipt, ReceiptLine

_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),  # CJK + Latin
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)

RECEIPT_LINK_TTL = timedelta(minutes=5)
"""How long a receipt download link works: long enough to open it, short enough that a link
found later in a log or a browser history opens nothing."""
_LINK_TYPE = "receipt-pdf"


def _link_key(secret_key: str) -> str:
    # A key of its own: a receipt link can never pass for an access token, nor the reverse.
    return hmac.new(secret_key.encode(), b"receipt-download-link", hashlib.sha256).hexdigest()


def issue_receipt_link(
    secret_key: str, principal: Principal, session_id: int, *, now: datetime
) -> tuple[str, datetime]:
    """``(token, expires_at)`` of a link to session ``session_id``'s PDF for ``principal``
    (the caller has checked that ``principal`` may read it)."""
    expires_at = now + RECEIPT_LINK_TTL
    claims = {
        "typ": _LINK_TYPE,
        "sid": session_id,
        "kind": principal.kind,
        "id": principal.id,
        "op": principal.operator_id,
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, _link_key(secret_key), algorithm="HS256"), expires_at


def read_receipt_link(secret_key: str, token: str, session_id: int, *, now: datetime) -> Principal:
    """Who the link ``token`` was issued to, if it is genuine, unexpired and for
    ``session_id``; :class:`NotFound` otherwise (a bad link reveals nothing)."""
    try:
        claims = jwt.decode(
            token,
            _link_key(secret_key),
            algorithms=["HS256"],
            # Expiry is checked against the app's clock (the one that issued it), below.
            options={"require": ["exp", "typ", "sid", "kind", "id"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise NotFound("This receipt link is not valid or has expired.") from None
    kind, subject, operator = claims.get("kind"), claims.get("id"), claims.get("op")
    if (
        claims.get("typ") != _LINK_TYPE
        or claims.get("sid") != session_id
        or kind not in ("staff", "driver")
        or not isinstance(subject, int)
        or not (operator is None or isinstance(operator, int))
        or not isinstance(claims["exp"], int)
        or claims["exp"] <= now.timestamp()
    ):
        raise NotFound("This receipt link is not valid or has expired.")
    return Principal(kind, subject, operator)


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
