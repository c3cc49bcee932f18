"""Money: wallets and their ledger, payment intents (holds), provider calls, webhooks, and
stored answers of money-moving API requests.

Every amount is integer minor units of a three-letter currency. Nothing here is ever edited
to change history: a wallet's balance is the sum of its entries, a refund is a new entry, and
each provider call is a row whose deterministic idempotency key was written before the first
attempt (so a retry after a crash reuses it and the provider answers as the first time).

- :class:`Wallet`: one per (driver, currency); the row every balance-changing transaction
  updates first, which serializes concurrent spends of one wallet on both SQLite and PostgreSQL.
- :class:`WalletEntry`: one movement (top-up, hold, hold release, charge, refund).
- :class:`PaymentIntent`: the money side of one charging session or top-up (wallet or card).
- :class:`PaymentOperation`: one provider call (authorize / capture / release / refund / sale)
  and the transactional outbox the worker drains.
- :class:`PaymentCapture`: one row per captured payment; reports sum these for revenue.
- :class:`WebhookEvent`: provider events seen, keyed on the provider's event id.
- :class:`IdempotencyRecord`: the first answer to a request carrying an ``Idempotency-Key``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UTCDateTime, utcnow


class EntryKind(enum.StrEnum):
    """Why a wallet balance moved. Holds and releases pair up; a charge follows a release."""

    TOPUP = "topup"
    HOLD = "hold"
    HOLD_RELEASE = "hold_release"
    CHARGE = "charge"
    REFUND = "refund"


class PaymentMethod(enum.StrEnum):
    WALLET = "wallet"
    CARD = "card"


class PaymentPurpose(enum.StrEnum):
    SESSION = "session"
    TOPUP = "topup"


class PaymentStatus(enum.StrEnum):
    """Lifecycle of a payment intent.

    ``authorizing`` → ``authorized`` (hold in place) → ``capture_pending`` (session over, the
    capture is in the outbox) → ``captured``; or ``declined`` / ``failed`` (never held), or
    ``released`` (nothing to capture). Top-ups go ``authorizing`` → ``captured``.
    """

    AUTHORIZING = "authorizing"
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    FAILED = "failed"
    CAPTURE_PENDING = "capture_pending"
    CAPTURED = "captured"
    RELEASED = "released"


class OperationStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Wallet(Base):
    """A driver's prepaid balance in one currency; ``version`` is bumped by every movement."""

    __tablename__ = "wallets"
    __table_args__ = (UniqueConstraint("driver_id", "currency"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("drivers.id"))
    currency: Mapped[str] = mapped_column(String(3))
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WalletEntry(Base):
    """One movement of a wallet; ``entry_key`` makes each movement happen at most once."""

    __tablename__ = "wallet_entries"
    __table_args__ = (Index("ix_wallet_entries_wallet_created", "wallet_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id"))
    kind: Mapped[EntryKind] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # signed: + credit, - debit
    entry_key: Mapped[str] = mapped_column(String(120), unique=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment_intents.id"), default=None)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("charging_sessions.id"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaymentIntent(Base):
    """The money side of one session (hold → capture) or one wallet top-up (a sale).

    ``session_id`` is unique: a session is paid once. Guests have no driver; they hold the
    ``receipt_token`` instead (a random secret that opens their live status and receipt).
    """

    __tablename__ = "payment_intents"
    __table_args__ = (
        Index("ix_payment_intents_driver_created", "driver_id", "created_at"),
        Index("ix_payment_intents_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[PaymentPurpose] = mapped_column(String(10))
    method: Mapped[PaymentMethod] = mapped_column(String(10))
    status: Mapped[PaymentStatus] = mapped_column(String(16), default=PaymentStatus.AUTHORIZING)
    currency: Mapped[str] = mapped_column(String(3))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("drivers.id"), default=None)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), default=None)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), default=None)
    charger_id: Mapped[int | None] = mapped_column(ForeignKey("chargers.id"), default=None)
    connector_no: Mapped[int | None] = mapped_column(Integer, default=None)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("charging_sessions.id"), unique=True, default=None
    )
    wallet_id: Mapped[int | None] = mapped_column(ForeignKey("wallets.id"), default=None)
    receipt_token: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    provider: Mapped[str] = mapped_column(String(20), default="")
    provider_ref: Mapped[str | None] = mapped_column(String(80), default=None)
    payment_method_token: Mapped[str | None] = mapped_column(String(80), default=None)
    tariff_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    authorized_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    final_cost_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    captured_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Cost beyond the hold that could not be collected (meter overshoot between samples).
    shortfall_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    decline_code: Mapped[str | None] = mapped_column(String(40), default=None)
    message: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PaymentOperation(Base):
    """One provider call with its deterministic idempotency key, and the outbox row for it.

    The row is committed before the first attempt; the outbox worker picks ``pending`` rows
    whose ``next_attempt_at`` has come and whose lease has expired, so a crash at any point
    leaves a row that a later worker (in this or a new process) finishes with the same key.
    """

    __tablename__ = "payment_operations"
    __table_args__ = (Index("ix_payment_operations_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment_intents.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))  # authorize|sale|capture|release|refund
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[OperationStatus] = mapped_column(String(10), default=OperationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    provider_response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PaymentCapture(Base):
    """Money actually collected for a session (card capture or wallet charge): one per payment.

    Revenue in reports is the sum of ``amount_minor`` here (minus ``refunded_minor``), counted
    on the start day of the session it pays for (``session_id``), like the session's energy;
    recording a capture or refund bumps the session's ``updated_at`` so report rollups see it.
    """

    __tablename__ = "payment_captures"
    __table_args__ = (Index("ix_payment_captures_operator_captured", "operator_id", "captured_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment_intents.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("charging_sessions.id"), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"))
    method: Mapped[PaymentMethod] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookEvent(Base):
    """A provider webhook already processed: a re-delivered event id changes nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(80))
    event_type: Mapped[str] = mapped_column(String(40))
    provider_ref: Mapped[str | None] = mapped_column(String(80), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotencyRecord(Base):
    """The stored first answer to a money-moving request sent with an ``Idempotency-Key``.

    Scoped by caller (``driver:12``, ``guest``) so two callers never share answers;
    ``request_hash`` refuses the same key reused with a different request.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
