"""What happened: charging sessions, faults, and the operator's audit log."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from backend_client.models.audit import AuditEntry
from backend_client.models.common import Page
from backend_client.models.faults import (
    FaultAcknowledge,
    FaultPublic,
    ProblemCategory,
    ProblemReportCreate,
    ProblemReportPublic,
)
from backend_client.models.payments import Receipt
from backend_client.models.sessions import SessionDetail, SessionPublic, SessionStatus
from backend_client.resources._base import API, Resource, build, endpoint

__all__ = ["AuditApi", "FaultsApi", "SessionsApi"]


class SessionsApi(Resource):
    """``client.sessions``: a driver's own sessions, or all of an operator's (staff)."""

    @endpoint("GET", "/api/v1/sessions")
    async def list(
        self,
        *,
        status: SessionStatus | None = None,
        station_id: int | None = None,
        charger_id: int | None = None,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[SessionPublic]:
        """Sessions newest first; ``started_to`` is exclusive (aware datetimes)."""
        return await self._r.call(
            "GET",
            f"{API}/sessions",
            Page[SessionPublic],
            params={
                "status": status,
                "station_id": station_id,
                "charger_id": charger_id,
                "started_from": started_from.isoformat() if started_from else None,
                "started_to": started_to.isoformat() if started_to else None,
                "limit": limit,
                "offset": offset,
            },
        )

    @endpoint("GET", "/api/v1/sessions/{session_id}")
    async def get(self, session_id: int) -> SessionDetail:
        """One session with its meter samples and tariff snapshot.

        Raises:
            NotFound: not this driver's / this operator's session.
        """
        return await self._r.call("GET", f"{API}/sessions/{session_id}", SessionDetail)

    @endpoint("GET", "/api/v1/sessions/{session_id}/receipt")
    async def receipt(self, session_id: int) -> Receipt:
        """The itemized receipt of a finished session (Conflict while it runs)."""
        return await self._r.call("GET", f"{API}/sessions/{session_id}/receipt", Receipt)

    @endpoint("GET", "/api/v1/sessions/{session_id}/receipt.pdf")
    async def receipt_pdf(self, session_id: int) -> bytes:
        """The receipt as PDF bytes, to save or print."""
        response = await self._r.send(
            "GET",
            f"{API}/sessions/{session_id}/receipt.pdf",
            headers={"Accept": "application/pdf"},
        )
        return response.content


class FaultsApi(Resource):
    """``client.faults``: the operator's open and past faults; drivers' problem reports."""

    @endpoint("GET", "/api/v1/faults")
    async def list(
        self,
        *,
        open_only: bool = True,
        station_id: int | None = None,
        charger_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[FaultPublic]:
        """Faults newest first: open ones only (default) or all."""
        return await self._r.call(
            "GET",
            f"{API}/faults",
            Page[FaultPublic],
            params={
                "state": "open" if open_only else "all",
                "station_id": station_id,
                "charger_id": charger_id,
                "limit": limit,
                "offset": offset,
            },
        )

    @endpoint("GET", "/api/v1/faults/{fault_id}")
    async def get(self, fault_id: int) -> FaultPublic:
        """One fault."""
        return await self._r.call("GET", f"{API}/faults/{fault_id}", FaultPublic)

    @endpoint("POST", "/api/v1/faults/{fault_id}/acknowledge")
    async def acknowledge(self, fault_id: int, note: str) -> FaultPublic:
        """Mark the fault as seen by staff, with a note (e.g. "technician sent")."""
        return await self._r.call(
            "POST",
            f"{API}/faults/{fault_id}/acknowledge",
            FaultPublic,
            body=build(FaultAcknowledge, note=note),
        )

    @endpoint("POST", "/api/v1/chargers/{ocpp_id}/problems")
    async def report_problem(
        self,
        ocpp_id: str,
        *,
        category: ProblemCategory,
        note: str,
        connector_no: int | None = None,
    ) -> ProblemReportPublic:
        """Driver: report a problem with charger ``ocpp_id`` (the code under its QR); it
        reaches the operator's fault feed. 404 for an unknown charger, 429 after 5 reports
        on one charger within an hour."""
        body = build(ProblemReportCreate, connector_no=connector_no, category=category, note=note)
        return await self._r.call(
            "POST",
            f"{API}/chargers/{quote(ocpp_id, safe='')}/problems",
            ProblemReportPublic,
            body=body,
        )


class AuditApi(Resource):
    """``client.audit``: who did what in the operator's account (admins)."""

    @endpoint("GET", "/api/v1/audit")
    async def list(
        self,
        *,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditEntry]:
        """Audit entries newest first, filtered by action or target."""
        return await self._r.call(
            "GET",
            f"{API}/audit",
            Page[AuditEntry],
            params={
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
                "limit": limit,
                "offset": offset,
            },
        )
