"""Drivers' problem reports on a charger (by the code printed under its QR): each opens a
driver-sourced fault on the operator's fault feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from backend.api.auth_deps import CurrentDriver
from backend.api.deps import ContextDep, SessionDep
from backend.api.responses import errors
from backend.services import faults
from backend_client.models import ProblemReportCreate, ProblemReportPublic

router = APIRouter(prefix="/chargers", tags=["faults"])

OcppIdPath = Annotated[str, Path(min_length=1, max_length=48, pattern=r"^[^\x00/]+$")]


@router.post(
    "/{ocpp_id}/problems",
    status_code=201,
    response_model=ProblemReportPublic,
    responses=errors(404, 429),
)
async def report_problem(
    ocpp_id: OcppIdPath,
    body: ProblemReportCreate,
    session: SessionDep,
    ctx: ContextDep,
    principal: CurrentDriver,
) -> ProblemReportPublic:
    """Tell the charger's operator something is wrong (not charging, damaged, bay blocked,
    payment, other). At most 5 reports per driver and charger an hour (then 429)."""
    return await faults.report_problem(
        session, ctx, principal=principal, ocpp_id=ocpp_id, report=body
    )
