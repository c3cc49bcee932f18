"""Operator reports (``/api/v1/reports``): period reports as JSON or CSV, and today's dashboard.

Staff of any role may read their own operator's reports; the principal's operator is the only
scope, so no parameter can reach another tenant's figures.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from backend.api.auth_deps import CurrentStaff
from backend.api.deps import ContextDep, SessionDep
from backend.api.responses import errors
from backend.services.dashboard import today_dashboard
from backend.services.report_export import csv_filename, report_csv
from backend.services.reports import ReportQuery, build_report
from backend.services.scope import operator_of
from backend_client.models import Report, ReportBreakdown, ReportGroup, TodayDashboard

router = APIRouter(prefix="/reports", tags=["reports"])


def report_query(
    date_from: Annotated[
        date, Query(alias="from", description="First local date (YYYY-MM-DD), inclusive.")
    ],
    date_to: Annotated[
        date, Query(alias="to", description="Last local date (YYYY-MM-DD), inclusive.")
    ],
    group: Annotated[ReportGroup, Query(description="Bucket rows by day, week or month.")] = (
        ReportGroup.DAY
    ),
    by: Annotated[
        ReportBreakdown,
        Query(description="One row per period for the network, or per station/charger."),
    ] = ReportBreakdown.NETWORK,
    station_id: Annotated[int | None, Query(ge=1, description="Only this station.")] = None,
) -> ReportQuery:
    query = ReportQuery(date_from, date_to, group, by, station_id)
    query.validate()
    return query


ReportQueryDep = Annotated[ReportQuery, Depends(report_query)]


@router.get("/summary", response_model=Report, responses=errors(404))
async def get_report(
    principal: CurrentStaff, query: ReportQueryDep, session: SessionDep, ctx: ContextDep
) -> Report:
    """Energy, revenue, sessions, utilization %, availability % and faults per period."""
    return await build_report(session, operator_of(principal), query, now=ctx.clock())


_CSV_OK: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "The report as CSV."}
}


@router.get("/summary.csv", response_class=Response, responses=_CSV_OK | errors(404))
async def get_report_csv(
    principal: CurrentStaff, query: ReportQueryDep, session: SessionDep, ctx: ContextDep
) -> Response:
    """The same report as a CSV download (money in major units, a ``total`` line last)."""
    report = await build_report(session, operator_of(principal), query, now=ctx.clock())
    return Response(
        content=report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{csv_filename(report)}"'},
    )


@router.get("/today", response_model=TodayDashboard, responses=errors())
async def get_today(
    principal: CurrentStaff, session: SessionDep, ctx: ContextDep
) -> TodayDashboard:
    """Today's sessions, kWh and revenue so far, and chargers online/charging/faulted now."""
    return await today_dashboard(session, operator_of(principal), now=ctx.clock())
