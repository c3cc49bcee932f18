"""The charger screen's data: the price in force for one connector and its charger's status.

This is what a QR code opens, before any account or payment: the quote (energy, time and idle
prices, the peak/off-peak band and when it changes, the hold a start needs) and the live status
of each connector of the charger. Unknown and retired chargers get a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

from apps.user_mobile.state.errors import Translate, describe_error
from apps.user_mobile.state.links import ChargerRef
from backend_client import ApiError, ChargepileClient, NotFound
from backend_client.models import ChargerStatus, PriceQuote, StationDetail
from shared import Loadable

__all__ = ["ChargerModel"]


@dataclass(eq=False)
class ChargerModel(ft.Observable):
    """What the charger screen shows for :attr:`ref`."""

    ref: ChargerRef | None = None
    quote: Loadable[PriceQuote] = field(default_factory=Loadable.loading)
    charger: ChargerStatus | None = None
    station: StationDetail | None = None
    _client: ChargepileClient | None = None
    _t: Translate | None = None

    def bind(self, client: ChargepileClient, t: Translate) -> None:
        self._client, self._t = client, t

    async def open(self, ref: ChargerRef) -> None:
        """Load ``ref`` (again, when the same charger is reopened: prices may have changed)."""
        self.ref = ref
        self.quote = Loadable.loading()
        self.charger = None
        await self.reload()

    async def reload(self) -> None:
        """Fetch the quote and the charger's connectors now."""
        ref, client, t = self.ref, self._client, self._t
        if ref is None or client is None or t is None:
            return
        try:
            quote = await client.charging.quote(ref.ocpp_id, ref.connector_no)
        except NotFound:
            self.quote = Loadable.failed(t("charger.unknown", code=ref.caption))
            return
        except ApiError as exc:
            self.quote = Loadable.failed(describe_error(exc, t))
            return
        try:
            station = await client.stations.get(quote.station_id)
        except ApiError:
            station = None  # the price is what matters; the connector list is a bonus
        self.station = station
        self.charger = (
            next((c for c in station.chargers if c.ocpp_id == ref.ocpp_id), None)
            if station is not None
            else None
        )
        self.quote = Loadable.ready(quote)

    async def connector_status(self) -> str | None:
        """The connector's status right now (re-read after a refused start)."""
        await self.reload()
        value = self.quote.value
        return value.connector_status if value is not None else None
