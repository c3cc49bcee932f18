"""Operator reports (``/api/v1/reports``): energy, revenue, sessions, utilization, availability
and faults by period and by station or charger, plus the "today" dashboard.

Periods are calendar days, ISO weeks (Monday first) or months in the operator's own timezone.
Money is integer minor units in ``currency``; percentages are 0-100 and ``None`` where nothing
was installed to measure against (no connector-time in the period).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from backend_client.models.common import Currency


class ReportGroup(StrEnum):
    """How rows are bucketed in time (operator local time)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class ReportBreakdown(StrEnum):
    """What each row is about: the whole network, one station, or one charger."""

    NETWORK = "network"
    STATION = "station"
    CHARGER = "charger"


class ReportMetrics(BaseModel):
    """The figures of one row (or of the totals).

    - ``sessions``, ``energy_kwh``, ``revenue_minor``: sessions that *started* in the period
      (completed ones plus those still running);
    - ``utilization_pct``: share of connector-time spent in sessions;
    - ``availability_pct``: share of connector-time not faulted and not offline;
    - ``outage_minutes``: connector-minutes faulted or offline;
    - ``faults``: faults opened in the period (``NoError`` excluded).
    """

    sessions: int = Field(ge=0)
    energy_kwh: float = Field(ge=0)
    revenue_minor: int
    utilization_pct: float | None = Field(default=None, ge=0, le=100)
    availability_pct: float | None = Field(default=None, ge=0, le=100)
    outage_minutes: int = Field(default=0, ge=0)
    faults: int = Field(default=0, ge=0)


class ReportRow(ReportMetrics):
    """One period of one station/charger (or of the network).

    ``period_start``..``period_end`` (inclusive) is the part of the period inside the requested
    range; ``period`` names the whole period: ``2026-11-24``, ``2026-W48`` or ``2026-11``.
    """

    period: str
    period_start: date
    period_end: date
    station_id: int | None = None
    station_name: str | None = None
    charger_id: int | None = None
    charger_ocpp_id: str | None = None


class Report(BaseModel):
    """A report over ``date_from``..``date_to`` (inclusive, operator local dates)."""

    operator_id: int
    currency: Currency
    timezone: str
    date_from: date
    date_to: date
    group: ReportGroup
    by: ReportBreakdown
    station_id: int | None = Field(default=None, description="Only this station, if given.")
    rows: list[ReportRow]
    totals: ReportMetrics
    fault_codes: dict[str, int] = Field(
        default_factory=dict, description="Faults opened in the range, by OCPP error code."
    )
    generated_at: datetime


class TodayDashboard(BaseModel):
    """Today so far (operator local day) and the network's state right now."""

    date: date
    timezone: str
    currency: Currency
    sessions: int = Field(ge=0, description="Sessions started today, running or completed.")
    active_sessions: int = Field(ge=0)
    energy_kwh: float = Field(ge=0)
    revenue_minor: int
    chargers_total: int = Field(ge=0)
    chargers_online: int = Field(ge=0)
    chargers_offline: int = Field(ge=0)
    chargers_charging: int = Field(ge=0, description="Online with a connector in use.")
    chargers_faulted: int = Field(ge=0, description="Online with a connector Faulted.")
    open_faults: int = Field(ge=0)
    generated_at: datetime
