"""Pre-aggregated session figures that keep operator reports fast at millions of sessions.

Reports read one row per (operator, local day, charger) instead of every session: a month of
a 1,000,000-session network is a few tens of thousands of rows. The rows are derived data,
rebuilt by :mod:`backend.services.report_rollup` from ``charging_sessions`` (and their
``payment_captures``) whenever completed sessions change (tracked by
``charging_sessions.updated_at``, which recording a capture or refund bumps), so nothing else
has to keep them in step and they can be dropped at any time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UTCDateTime, utcnow


class SessionDailyRollup(Base):
    """Completed sessions of one charger that *started* on one local day (operator's timezone).

    Energy, revenue and the session count belong to the start day; revenue is the money
    collected for those sessions (their ``payment_captures`` minus refunds), not their price. Busy (in-session) time is
    split where it falls: ``busy_s0`` on the start day, ``busy_s1`` on the next day, ``busy_s2``
    on the day after (longer sessions are capped there: they are lost StopTransactions).
    """

    __tablename__ = "session_daily_rollups"
    # WITHOUT ROWID on SQLite: rows are stored in key order, so a month of one operator is
    # one contiguous range instead of tens of thousands of look-ups.
    __table_args__ = (
        PrimaryKeyConstraint("operator_id", "day", "charger_id", "station_id"),
        {"sqlite_with_rowid": False},
    )

    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    day: Mapped[date] = mapped_column(Date)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    busy_s0: Mapped[int] = mapped_column(BigInteger, default=0)
    busy_s1: Mapped[int] = mapped_column(BigInteger, default=0)
    busy_s2: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportRollupState(Base):
    """How far an operator's rollup is up to date.

    ``watermark`` is the newest ``charging_sessions.updated_at`` already folded in; a change of
    the operator's timezone (``timezone`` differs) forces a full rebuild.
    """

    __tablename__ = "report_rollup_state"

    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
