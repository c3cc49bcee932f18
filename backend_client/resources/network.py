"""The charging network: stations (search and CRUD), chargers with connectors, tariffs."""

from __future__ import annotations

from backend_client.models.chargers import (
    ChargerCreate,
    ChargerCreated,
    ChargerCredentials,
    ChargerPublic,
    ChargerUpdate,
    ConnectorCreate,
    ConnectorType,
    ConnectorUpdate,
)
from backend_client.models.common import Page
from backend_client.models.stations import (
    StationCreate,
    StationDetail,
    StationPublic,
    StationSummary,
    StationUpdate,
)
from backend_client.models.tariffs import TariffCreate, TariffPublic, TariffUpdate
from backend_client.resources._base import API, Resource, endpoint

__all__ = ["ChargersApi", "StationsApi", "TariffsApi"]


class StationsApi(Resource):
    """``client.stations``: public search and detail; operator CRUD."""

    @endpoint("GET", "/api/v1/stations/search")
    async def search(
        self,
        *,
        lat: float,
        lon: float,
        radius_km: float = 10.0,
        connector_type: ConnectorType | str | None = None,
        min_kw: float | None = None,
        available: bool = False,
        limit: int = 20,
        offset: int = 0,
    ) -> Page[StationSummary]:
        """Stations within ``radius_km`` of a point, nearest first (no sign-in needed; staff
        see their own network only). ``available`` keeps stations with a matching connector
        free right now; all filters apply to the same connector."""
        return await self._r.call(
            "GET",
            f"{API}/stations/search",
            Page[StationSummary],
            params={
                "lat": lat,
                "lon": lon,
                "radius_km": radius_km,
                "connector_type": connector_type,
                "min_kw": min_kw,
                "available": available,
                "limit": limit,
                "offset": offset,
            },
        )

    @endpoint("GET", "/api/v1/stations/{station_id}")
    async def get(self, station_id: int) -> StationDetail:
        """One station with live connector status, its tariff and the price in force now."""
        return await self._r.call("GET", f"{API}/stations/{station_id}", StationDetail)

    @endpoint("GET", "/api/v1/stations")
    async def list(
        self,
        *,
        q: str | None = None,
        include_retired: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[StationPublic]:
        """The operator's stations by name (staff)."""
        return await self._r.call(
            "GET",
            f"{API}/stations",
            Page[StationPublic],
            params={"q": q, "include_retired": include_retired, "limit": limit, "offset": offset},
        )

    @endpoint("POST", "/api/v1/stations")
    async def create(self, station: StationCreate) -> StationPublic:
        """Add a station to the operator's network.

        Raises:
            ValidationFailed: a field is wrong.  NotFound: ``tariff_id`` is not theirs.
        """
        return await self._r.call("POST", f"{API}/stations", StationPublic, body=station)

    @endpoint("PATCH", "/api/v1/stations/{station_id}")
    async def update(self, station_id: int, changes: StationUpdate) -> StationPublic:
        """Change the fields set on ``changes`` (others stay)."""
        return await self._r.call(
            "PATCH", f"{API}/stations/{station_id}", StationPublic, body=changes
        )

    @endpoint("POST", "/api/v1/stations/{station_id}/retire")
    async def retire(self, station_id: int) -> StationPublic:
        """Take the station out of service (kept for history, hidden from search)."""
        return await self._r.call("POST", f"{API}/stations/{station_id}/retire", StationPublic)


class ChargersApi(Resource):
    """``client.chargers``: the operator's chargers and their connectors."""

    @endpoint("GET", "/api/v1/chargers")
    async def list(
        self,
        *,
        station_id: int | None = None,
        online: bool | None = None,
        include_retired: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[ChargerPublic]:
        """The operator's chargers, filtered by station or online state."""
        return await self._r.call(
            "GET",
            f"{API}/chargers",
            Page[ChargerPublic],
            params={
                "station_id": station_id,
                "online": online,
                "include_retired": include_retired,
                "limit": limit,
                "offset": offset,
            },
        )

    @endpoint("GET", "/api/v1/chargers/{charger_id}")
    async def get(self, charger_id: int) -> ChargerPublic:
        """One charger with its connectors."""
        return await self._r.call("GET", f"{API}/chargers/{charger_id}", ChargerPublic)

    @endpoint("POST", "/api/v1/chargers")
    async def create(self, charger: ChargerCreate) -> ChargerCreated:
        """Register a charger; the answer holds its OCPP password, shown only this once."""
        return await self._r.call("POST", f"{API}/chargers", ChargerCreated, body=charger)

    @endpoint("PATCH", "/api/v1/chargers/{charger_id}")
    async def update(self, charger_id: int, changes: ChargerUpdate) -> ChargerPublic:
        """Change the fields set on ``changes`` (others stay)."""
        return await self._r.call(
            "PATCH", f"{API}/chargers/{charger_id}", ChargerPublic, body=changes
        )

    @endpoint("POST", "/api/v1/chargers/{charger_id}/retire")
    async def retire(self, charger_id: int) -> ChargerPublic:
        """Take the charger out of service (it can no longer connect)."""
        return await self._r.call("POST", f"{API}/chargers/{charger_id}/retire", ChargerPublic)

    @endpoint("POST", "/api/v1/chargers/{charger_id}/password")
    async def reset_password(self, charger_id: int) -> ChargerCredentials:
        """Issue a new OCPP password (the old one stops working)."""
        return await self._r.call(
            "POST", f"{API}/chargers/{charger_id}/password", ChargerCredentials
        )

    @endpoint("POST", "/api/v1/chargers/{charger_id}/connectors")
    async def add_connector(self, charger_id: int, connector: ConnectorCreate) -> ChargerPublic:
        """Add a connector; returns the charger with all its connectors."""
        return await self._r.call(
            "POST", f"{API}/chargers/{charger_id}/connectors", ChargerPublic, body=connector
        )

    @endpoint("PATCH", "/api/v1/chargers/{charger_id}/connectors/{connector_no}")
    async def update_connector(
        self, charger_id: int, connector_no: int, changes: ConnectorUpdate
    ) -> ChargerPublic:
        """Change a connector's type or power; returns the whole charger."""
        return await self._r.call(
            "PATCH",
            f"{API}/chargers/{charger_id}/connectors/{connector_no}",
            ChargerPublic,
            body=changes,
        )

    @endpoint("POST", "/api/v1/chargers/{charger_id}/connectors/{connector_no}/retire")
    async def retire_connector(self, charger_id: int, connector_no: int) -> ChargerPublic:
        """Take one connector out of service; returns the whole charger."""
        return await self._r.call(
            "POST",
            f"{API}/chargers/{charger_id}/connectors/{connector_no}/retire",
            ChargerPublic,
        )


class TariffsApi(Resource):
    """``client.tariffs``: the operator's price lists."""

    @endpoint("GET", "/api/v1/tariffs")
    async def list(
        self, *, include_retired: bool = False, limit: int = 50, offset: int = 0
    ) -> Page[TariffPublic]:
        """The operator's tariffs."""
        return await self._r.call(
            "GET",
            f"{API}/tariffs",
            Page[TariffPublic],
            params={"include_retired": include_retired, "limit": limit, "offset": offset},
        )

    @endpoint("GET", "/api/v1/tariffs/{tariff_id}")
    async def get(self, tariff_id: int) -> TariffPublic:
        """One tariff with its time-of-use bands."""
        return await self._r.call("GET", f"{API}/tariffs/{tariff_id}", TariffPublic)

    @endpoint("POST", "/api/v1/tariffs")
    async def create(self, tariff: TariffCreate) -> TariffPublic:
        """Add a tariff.

        Raises:
            ValidationFailed: e.g. overlapping time-of-use bands.
        """
        return await self._r.call("POST", f"{API}/tariffs", TariffPublic, body=tariff)

    @endpoint("PATCH", "/api/v1/tariffs/{tariff_id}")
    async def update(self, tariff_id: int, changes: TariffUpdate) -> TariffPublic:
        """Change the fields set on ``changes``; running sessions keep their snapshot."""
        return await self._r.call("PATCH", f"{API}/tariffs/{tariff_id}", TariffPublic, body=changes)

    @endpoint("POST", "/api/v1/tariffs/{tariff_id}/retire")
    async def retire(self, tariff_id: int) -> TariffPublic:
        """Stop offering the tariff (stations using it keep a snapshot in past sessions)."""
        return await self._r.call("POST", f"{API}/tariffs/{tariff_id}/retire", TariffPublic)
