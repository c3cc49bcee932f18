"""What happens at the chargers: RFID cards, charging sessions with their meter samples,
and faults raised by chargers, the watchdog or drivers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UTCDateTime, utcnow


class CardStatus(enum.StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class SessionStatus(enum.StrEnum):
    """Lifecycle of a charging session.

    ``pending``: a remote start was accepted, the charger has not started a transaction yet.
    ``active``: StartTransaction received. ``completed``: StopTransaction received.
    ``failed``: the start never happened (refused, timed out, unplugged before start).
    """

    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"


class FaultSource(enum.StrEnum):
    CHARGER = "charger"  # StatusNotification errorCode
    WATCHDOG = "watchdog"  # charger went silent
    DRIVER = "driver"  # "report a problem"


class RfidCard(Base):
    """An RFID card (OCPP idTag) issued by an operator, optionally bound to a driver."""

    __tablename__ = "rfid_cards"
    __table_args__ = (UniqueConstraint("operator_id", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    uid: Mapped[str] = mapped_column(String(20))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("drivers.id"), index=True)
    label: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[CardStatus] = mapped_column(String(10), default=CardStatus.ACTIVE)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChargingSession(Base):
    """One charging session; its primary key is the OCPP transactionId given to the charger.

    ``tariff_snapshot`` freezes the price in force at start: that is the one billed, even if
    the operator edits the tariff mid-session. Money is integer minor units.
    """

    __tablename__ = "charging_sessions"
    __table_args__ = (
        Index("ix_sessions_operator_started", "operator_id", "started_at"),
        Index("ix_sessions_charger_started", "charger_id", "started_at"),
        Index("ix_sessions_driver_started", "driver_id", "started_at"),
        # Reports: find sessions changed since the rollup was refreshed, and the live ones.
        Index("ix_sessions_operator_updated", "operator_id", "updated_at"),
        # Partial: only running sessions, so "what is running now" stays instant at any size
        # (queries must spell the literal ``status = 'active'`` for the index to apply).
        Index(
            "ix_sessions_running",
            "operator_id",
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        # A charger re-sending StartTransaction after a reconnect must find its session again.
        UniqueConstraint("charger_id", "connector_no", "start_dedup_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"))
    connector_no: Mapped[int] = mapped_column(Integer)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("drivers.id"), default=None)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("rfid_cards.id"), default=None)
    id_tag: Mapped[str] = mapped_column(String(20))
    status: Mapped[SessionStatus] = mapped_column(String(10), default=SessionStatus.PENDING)
    start_dedup_key: Mapped[str | None] = mapped_column(String(80), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    meter_start_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    meter_stop_wh: Mapped[int | None] = mapped_column(BigInteger, default=None)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    last_power_w: Mapped[float] = mapped_column(Float, default=0.0)
    last_soc: Mapped[int | None] = mapped_column(Integer, default=None)
    # When the car stopped drawing power (SuspendedEV/Finishing): idle fees count from here.
    idle_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    idle_seconds: Mapped[int] = mapped_column(Integer, default=0)
    stop_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    tariff_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    energy_cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    time_cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    idle_cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class MeterSample(Base):
    """One MeterValues sample of a session; ``raw`` keeps every sampledValue as sent.

    Unique per (session, timestamp), so a charger re-sending MeterValues changes nothing.
    """

    __tablename__ = "meter_samples"
    __table_args__ = (UniqueConstraint("session_id", "sampled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("charging_sessions.id"), index=True)
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    energy_wh: Mapped[int | None] = mapped_column(BigInteger, default=None)
    power_w: Mapped[float | None] = mapped_column(Float, default=None)
    current_a: Mapped[float | None] = mapped_column(Float, default=None)
    voltage_v: Mapped[float | None] = mapped_column(Float, default=None)
    soc: Mapped[int | None] = mapped_column(Integer, default=None)
    raw: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Fault(Base):
    """A fault on a charger/connector, open until cleared; staff acknowledge it with a note."""

    __tablename__ = "faults"
    __table_args__ = (Index("ix_faults_operator_opened", "operator_id", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), index=True)
    connector_no: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[FaultSource] = mapped_column(String(10))
    error_code: Mapped[str] = mapped_column(String(32))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50), default=None)
    info: Mapped[str | None] = mapped_column(String(500), default=None)
    # The driver who reported it (source=driver), so staff can follow up.
    reported_by_driver_id: Mapped[int | None] = mapped_column(
        ForeignKey("drivers.id"), default=None
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
