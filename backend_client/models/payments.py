"""Payments on the wire: price quote before start, paid start (driver and guest), wallet and
top-ups, a session's payment status, receipts.

Money is integer minor units plus the currency; unit prices and quantities are decimal strings.
Money-moving POSTs accept an ``Idempotency-Key`` header: a retry with the same key gets the
first answer (``Idempotent-Replayed: true``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictInt, model_validator

from backend_client.models.common import Currency, Price

OcppId = Annotated[str, Field(min_length=1, max_length=48, examples=["CP-001"])]
ConnectorNo = Annotated[int, Field(ge=1, le=99, examples=[1])]
PaymentToken = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="The card's payment-method token from the provider's card form "
        "(sandbox: pm_card_ok, pm_card_insufficient_funds, pm_card_declined).",
        examples=["pm_card_ok"],
    ),
]


class PayWith(StrEnum):
    WALLET = "wallet"
    CARD = "card"


class PaymentState(StrEnum):
    """What the driver is told about a session's money."""

    PROCESSING = "processing"  # asking the provider
    HELD = "held"  # hold in place while charging
    PENDING = "pending"  # session over, capture in progress (retried until it succeeds)
    PAID = "paid"
    RELEASED = "released"  # nothing charged, hold given back
    DECLINED = "declined"
    FAILED = "failed"


class PriceQuote(BaseModel):
    """The price shown before start, and how much will be held."""

    ocpp_id: str
    connector_no: int
    station_id: int
    station_name: str
    connector_status: str
    startable: bool = Field(description="Online and free: a start would be attempted now.")
    tariff_id: int
    currency: Currency
    band_label: str | None
    energy_price: Price
    time_price: Price
    idle_fee_per_minute: Price
    idle_grace_minutes: int
    tax_rate_percent: Decimal
    next_change_at: datetime | None = Field(description="When the time-of-use price changes.")
    next_energy_price: Decimal | None
    card_hold_minor: int
    guest_hold_minor: int
    wallet_min_start_minor: int


class ChargeStartRequest(BaseModel):
    """A signed-in driver starts a connector, paying from the wallet or by a card hold."""

    ocpp_id: OcppId
    connector_no: ConnectorNo
    pay_with: PayWith
    payment_method_token: PaymentToken | None = None

    @model_validator(mode="after")
    def _card_needs_token(self) -> ChargeStartRequest:
        if self.pay_with == PayWith.CARD and not self.payment_method_token:
            raise ValueError("payment_method_token is required to pay by card")
        return self


class GuestStartRequest(BaseModel):
    """A guest without an account starts a connector with a card hold (the QR / H5 page)."""

    ocpp_id: OcppId
    connector_no: ConnectorNo
    payment_method_token: PaymentToken


class PaymentPublic(BaseModel):
    id: int
    session_id: int | None
    pay_with: PayWith
    state: PaymentState
    currency: Currency
    held_minor: int = Field(description="Authorized (card) or reserved (wallet) at start.")
    final_cost_minor: int | None
    captured_minor: int
    refunded_minor: int
    shortfall_minor: int = Field(description="Cost beyond the hold that was not collected.")
    decline_code: str | None
    message: str | None
    created_at: datetime
    updated_at: datetime


class ChargeStartResponse(BaseModel):
    session_id: int
    payment: PaymentPublic
    receipt_token: str | None = Field(
        default=None, description="Guests only: the secret that opens their status and receipt."
    )
    status_url: str | None = None
    receipt_url: str | None = None


class GuestSessionStatus(BaseModel):
    """A guest's live view of their session, opened with the receipt token."""

    session_id: int
    status: str
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: int
    last_power_w: float
    cost_minor: int
    currency: Currency
    payment: PaymentPublic


class WalletPublic(BaseModel):
    currency: Currency
    balance_minor: int = Field(description="Spendable now (sum of all entries).")
    held_minor: int = Field(description="Reserved by sessions that are running.")


class WalletEntryPublic(BaseModel):
    id: int
    kind: str = Field(description="topup, hold, hold_release, charge or refund.")
    amount_minor: int = Field(description="Positive credits, negative debits.")
    session_id: int | None
    note: str
    created_at: datetime


class TopUpRequest(BaseModel):
    amount_minor: StrictInt = Field(
        gt=0, le=100_000_000, description="Minor units, e.g. 10000 = 100.00"
    )
    currency: Currency
    payment_method_token: PaymentToken


class TopUpResult(BaseModel):
    payment: PaymentPublic
    wallet: WalletPublic


class ReceiptLine(BaseModel):
    kind: str = Field(description="energy, time, idle or tax.")
    label: str = Field(description="Time-of-use band ('standard' outside bands).")
    quantity: Decimal = Field(description="kWh, minutes, or the tax rate in %.")
    unit: str
    unit_price: Decimal
    amount_minor: int


class Receipt(BaseModel):
    """An itemized receipt of one session (also served as a PDF)."""

    receipt_number: str
    session_id: int
    issued_at: datetime
    operator_name: str
    station_name: str
    station_address: str
    ocpp_id: str
    connector_no: int
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: int
    charging_minutes: Decimal
    idle_minutes: Decimal = Field(description="Idle minutes after the grace period (billed).")
    currency: Currency
    lines: list[ReceiptLine]
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    charged_minor: int = Field(description="What was (or is being) taken from the payment.")
    payment_state: PaymentState | None = Field(description="None: not paid through the app (RFID).")
    pay_with: PayWith | None
    tariff_snapshot: dict[str, Any]


class RefundRequest(BaseModel):
    """Give back part or all of a captured session payment (operator admins)."""

    amount_minor: StrictInt = Field(gt=0, le=100_000_000)
    reason: str = Field(default="", max_length=200)


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool
