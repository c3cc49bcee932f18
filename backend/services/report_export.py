"""Reports as CSV files for spreadsheets: one line per report row, then a ``total`` line.

Money is written in major units (``123.45``) with its currency beside it, because that is
what a spreadsheet user sums; the JSON API keeps integer minor units.
"""

from __future__ import annotations

import csv
import io

from backend_client.models import Report

_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3}

CSV_COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "station_id",
    "station_name",
    "charger_id",
    "charger_ocpp_id",
    "sessions",
    "energy_kwh",
    "revenue",
    "currency",
    "utilization_pct",
    "availability_pct",
    "outage_minutes",
    "faults",
)


def _major(minor: int, currency: str) -> str:
    digits = _MINOR_DIGITS.get(currency, 2)
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def report_csv(report: Report) -> str:
    """The report as CSV (one line per row, then a ``total`` line); money in major units."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def blank(value: object) -> object:
        return "" if value is None else value

    for row in [*report.rows, None]:
        metrics = report.totals if row is None else row
        head: list[object] = (
            ["total", report.date_from, report.date_to, "", "", "", ""]
            if row is None
            else [
                row.period,
                row.period_start,
                row.period_end,
                blank(row.station_id),
                blank(row.station_name),
                blank(row.charger_id),
                blank(row.charger_ocpp_id),
            ]
        )
        writer.writerow(
            [
                *head,
                metrics.sessions,
                f"{metrics.energy_kwh:.3f}",
                _major(metrics.revenue_minor, report.currency),
                report.currency,
                blank(metrics.utilization_pct),
                blank(metrics.availability_pct),
                metrics.outage_minutes,
                metrics.faults,
            ]
        )
    return out.getvalue()


def csv_filename(report: Report) -> str:
    """A descriptive download name, e.g. ``report-2026-11-01_2026-11-30-day-station.csv``."""
    return (
        f"report-{report.date_from.isoformat()}_{report.date_to.isoformat()}"
        f"-{report.group.value}-{report.by.value}.csv"
    )
