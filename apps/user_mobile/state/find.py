"""Finding a charger: where the driver is, what they need, and the stations that match.

Location comes from the device (flet-geolocator) when the driver grants it; otherwise — or on a
browser that refuses — from a chosen city. Filters (connector type, minimum power, available
now) apply to the same connector, as the backend's search does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import flet as ft

from apps.user_mobile.state.errors import Translate, describe_error
from backend_client import ApiError, ChargepileClient
from backend_client.models import StationDetail, StationSummary
from shared import Loadable

__all__ = ["CITIES", "City", "FindModel", "Locate"]


@dataclass(frozen=True, slots=True)
class City:
    key: str  # translation key suffix: city.<key>
    lat: float
    lon: float


CITIES: tuple[City, ...] = (
    City("shanghai", 31.2304, 121.4737),
    City("suzhou", 31.2989, 120.5853),
    City("beijing", 39.9042, 116.4074),
    City("shenzhen", 22.5431, 114.0579),
    City("guangzhou", 23.1291, 113.2644),
    City("hangzhou", 30.2741, 120.1551),
)

Locate = Callable[[], Awaitable[tuple[float, float] | None]]
"""Asks the device for its position; ``None`` when not granted or not available."""


@dataclass(eq=False)
class FindModel(ft.Observable):
    """Search state of the Find screen."""

    city: str = "shanghai"
    here: tuple[float, float] | None = None
    located: bool = False
    locating: bool = False
    connector_type: str | None = None
    min_kw: float | None = None
    available_only: bool = False
    radius_km: float = 25.0
    show_map: bool = False
    results: Loadable[list[StationSummary]] = field(default_factory=Loadable.loading)
    detail: Loadable[StationDetail] | None = None
    _client: ChargepileClient | None = None
    _t: Translate | None = None
    _locate: Locate | None = None

    def bind(self, client: ChargepileClient, t: Translate, locate: Locate | None) -> None:
        self._client, self._t, self._locate = client, t, locate

    @property
    def centre(self) -> tuple[float, float]:
        """Where the search is centred: the device's position, else the chosen city."""
        if self.here is not None:
            return self.here
        city = next((c for c in CITIES if c.key == self.city), CITIES[0])
        return city.lat, city.lon

    async def use_my_location(self) -> None:
        """Ask for the device position; keep the city when it is refused."""
        if self._locate is None:
            self.located = False
            return
        self.locating = True
        try:
            self.here = await self._locate()
        finally:
            self.locating = False
        self.located = self.here is not None
        await self.search()

    async def choose_city(self, key: str) -> None:
        self.city, self.here, self.located = key, None, False
        await self.search()

    async def set_filters(
        self, *, connector_type: str | None, min_kw: float | None, available_only: bool
    ) -> None:
        self.connector_type, self.min_kw = connector_type or None, min_kw
        self.available_only = available_only
        await self.search()

    def toggle_map(self) -> None:
        self.show_map = not self.show_map

    async def search(self) -> None:
        assert self._client is not None and self._t is not None
        lat, lon = self.centre
        self.results = Loadable.loading()
        try:
            page = await self._client.stations.search(
                lat=lat, lon=lon, radius_km=self.radius_km, connector_type=self.connector_type,
                min_kw=self.min_kw, available=self.available_only, limit=50,
            )  # fmt: skip
            self.results = Loadable.ready(list(page.items))
        except ApiError as exc:
            self.results = Loadable.failed(describe_error(exc, self._t))

    async def open_station(self, station_id: int) -> None:
        assert self._client is not None and self._t is not None
        self.detail = Loadable.loading()
        try:
            self.detail = Loadable.ready(await self._client.stations.get(station_id))
        except ApiError as exc:
            self.detail = Loadable.failed(describe_error(exc, self._t))
