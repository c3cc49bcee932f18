"""Running the business: RFID cards and reports (JSON and CSV)."""

from __future__ import annotations

from datetime import date

from backend_client.models.cards import CardCreate, CardPublic, CardStatus, CardUpdate
from backend_client.models.common import Page
from backend_client.models.reports import Report, ReportBreakdown, ReportGroup, TodayDashboard
from backend_client.resources._base import API, Resource, endpoint

__all__ = ["CardsApi", "ReportsApi"]


class CardsApi(Resource):
    """``client.cards``: the operator's RFID cards."""

    @endpoint("GET", "/api/v1/cards")
    async def list(
        self,
        *,
        q: str | None = None,
        status: CardStatus | None = None,
        driver_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[CardPublic]:
        """Cards by uid/label fragment, status, or bound driver."""
        return await self._r.call(
            "GET",
            f"{API}/cards",
            Page[CardPublic],
            params={
                "q": q,
                "status": status,
                "driver_id": driver_id,
                "limit": limit,
                "offset": offset,
            },
        )

    @endpoint("GET", "/api/v1/cards/{card_id}")
    async def get(self, card_id: int) -> CardPublic:
        """One RFID card."""
        return await self._r.call("GET", f"{API}/cards/{card_id}", CardPublic)

    @endpoint("POST", "/api/v1/cards")
    async def create(self, card: CardCreate) -> CardPublic:
        """Issue a card, optionally bound to a driver by e-mail.

        Raises:
            Conflict: the uid is already issued.
        """
        return await self._r.call("POST", f"{API}/cards", CardPublic, body=card)

    @endpoint("PATCH", "/api/v1/cards/{card_id}")
    async def update(self, card_id: int, changes: CardUpdate) -> CardPublic:
        """Change label, bound driver or expiry."""
        return await self._r.call("PATCH", f"{API}/cards/{card_id}", CardPublic, body=changes)

    @endpoint("POST", "/api/v1/cards/{card_id}/block")
    async def block(self, card_id: int) -> CardPublic:
        """Refuse the card at every charger from now on (lost or stolen)."""
        return await self._r.call("POST", f"{API}/cards/{card_id}/block", CardPublic)

    @endpoint("POST", "/api/v1/cards/{card_id}/unblock")
    async def unblock(self, card_id: int) -> CardPublic:
        """Accept the card again."""
        return await self._r.call("POST", f"{API}/cards/{card_id}/unblock", CardPublic)


def _report_params(
    date_from: date,
    date_to: date,
    group: ReportGroup,
    by: ReportBreakdown,
    station_id: int | None,
) -> dict[str, object]:
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "group": group,
        "by": by,
        "station_id": station_id,
    }


class ReportsApi(Resource):
    """``client.reports``: period reports, their CSV export, and today's dashboard (staff)."""

    @endpoint("GET", "/api/v1/reports/summary")
    async def summary(
        self,
        date_from: date,
        date_to: date,
        *,
        group: ReportGroup = ReportGroup.DAY,
        by: ReportBreakdown = ReportBreakdown.NETWORK,
        station_id: int | None = None,
    ) -> Report:
        """Energy, revenue, sessions, utilization, availability and faults per period."""
        return await self._r.call(
            "GET",
            f"{API}/reports/summary",
            Report,
            params=_report_params(date_from, date_to, group, by, station_id),
        )

    @endpoint("GET", "/api/v1/reports/summary.csv")
    async def summary_csv(
        self,
        date_from: date,
        date_to: date,
        *,
        group: ReportGroup = ReportGroup.DAY,
        by: ReportBreakdown = ReportBreakdown.NETWORK,
        station_id: int | None = None,
    ) -> bytes:
        """The same report as CSV bytes (UTF-8), ready to save or share."""
        response = await self._r.send(
            "GET",
            f"{API}/reports/summary.csv",
            params=_report_params(date_from, date_to, group, by, station_id),
            headers={"Accept": "text/csv"},
        )
        return response.content

    @endpoint("GET", "/api/v1/reports/today")
    async def today(self) -> TodayDashboard:
        """Today's sessions, energy and revenue so far, and the network's state now."""
        return await self._r.call("GET", f"{API}/reports/today", TodayDashboard)
