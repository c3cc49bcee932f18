"""Reporting a problem with a charger: the driver names the charger (prefilled when they come
from its screen), picks what is wrong and adds a note; the report opens a fault on the
operator's fault feed (``POST /chargers/{code}/problems``).

Kept on the account model so the half-filled form survives the hop from the charger screen
to Account (and a sign-in in between).
"""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from apps.user_mobile.state.errors import Translate, describe_error
from backend_client import ApiError, ChargepileClient, NotFound, ValidationFailed
from backend_client.models import ProblemCategory, ProblemReportPublic

__all__ = ["NOTE_MAX", "ProblemReportModel"]

NOTE_MAX = 500
"""The longest note the backend keeps (it becomes the fault's ``info``)."""


@dataclass(eq=False)
class ProblemReportModel(ft.Observable):
    """The "Report a problem" form: open or closed, its prefill, and the outcome."""

    open: bool = False
    ocpp_id: str = ""
    connector_no: int | None = None
    category: ProblemCategory | None = None
    busy: bool = False
    error: str | None = None
    message: str | None = None
    sent: ProblemReportPublic | None = None
    generation: int = 0
    """Counts openings: the view starts fresh fields (with the prefill) for each one."""
    _client: ChargepileClient | None = None
    _t: Translate | None = None

    def bind(self, client: ChargepileClient, t: Translate) -> None:
        self._client, self._t = client, t

    def start(self, ocpp_id: str = "", connector_no: int | None = None) -> None:
        """Open the form, prefilled with the charger the driver came from (if any)."""
        self.open, self.ocpp_id, self.connector_no = True, ocpp_id, connector_no
        self.category, self.error, self.message, self.sent = None, None, None, None
        self.generation += 1

    def close(self) -> None:
        self.open, self.error = False, None

    def choose(self, category: str) -> None:
        self.category = ProblemCategory(category) if category else None

    async def send(self, ocpp_id: str, connector_text: str, note: str) -> bool:
        """Send the report; on refusal ``error`` says why in the driver's language."""
        assert self._client is not None and self._t is not None, "bind() first"
        self.message, self.error = None, None
        code, note = ocpp_id.strip(), note.strip()
        connector_text = connector_text.strip()
        if not code:
            self.error = self._t("report.need_charger")
            return False
        if self.category is None:
            self.error = self._t("report.need_category")
            return False
        if not note or len(note) > NOTE_MAX:
            self.error = self._t("report.need_note", max=NOTE_MAX)
            return False
        connector_no: int | None = None
        if connector_text:
            if not connector_text.isdigit() or not 1 <= int(connector_text) <= 99:
                self.error = self._t("report.bad_connector")
                return False
            connector_no = int(connector_text)
        self.busy = True
        try:
            report = await self._client.faults.report_problem(
                code, category=self.category, note=note, connector_no=connector_no
            )
        except ApiError as exc:
            self.error = self._say_refusal(exc)
            return False
        finally:
            self.busy = False
        self.sent, self.open = report, False
        self.ocpp_id, self.connector_no = report.ocpp_id, report.connector_no
        self.message = self._t("report.sent", charger=report.ocpp_id)
        return True

    def _say_refusal(self, exc: ApiError) -> str:
        assert self._t is not None
        if isinstance(exc, NotFound):
            return self._t("report.unknown_charger")
        if isinstance(exc, ValidationFailed) and any(
            f.field.endswith("connector_no") for f in exc.fields
        ):
            return self._t("report.bad_connector")
        return describe_error(exc, self._t)
