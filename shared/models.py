"""Plain data the components render: what an app passes in after talking to the backend.

Why separate from the wire models: components must not depend on ``backend_client`` (views →
components → client, never back), and these shapes are what a *screen* needs (already joined,
already in display units), not what the API returns. Apps map their client models onto these.
All are frozen: a component re-renders when it gets a new object, never because one was mutated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from shared.status import ConnectorStatus

__all__ = [
    "ChargerInfo",
    "ChartData",
    "ChartSeries",
    "ConnectorInfo",
    "LiveSession",
    "NavItem",
    "StationInfo",
]


@dataclass(frozen=True, slots=True)
class ConnectorInfo:
    """One connector (EVSE outlet) of a charger."""

    connector_id: int
    status: ConnectorStatus
    connector_type: str = ""  # "CCS2", "GB/T DC", "Type 2" ...; shown as given
    max_power_kw: float | None = None


@dataclass(frozen=True, slots=True)
class ChargerInfo:
    """A charger (OCPP charge point) with its connectors."""

    charge_point_id: str
    name: str
    connectors: Sequence[ConnectorInfo] = ()
    online: bool = True
    model: str = ""
    last_seen: datetime | None = None

    @property
    def available_count(self) -> int:
        """Connectors a driver could start on now."""
        if not self.online:
            return 0
        return sum(1 for c in self.connectors if c.status == ConnectorStatus.AVAILABLE)

    def connector_status(self, connector: ConnectorInfo) -> ConnectorStatus:
        """The status to show: ``OFFLINE`` for every connector of a disconnected charger."""
        return connector.status if self.online else ConnectorStatus.OFFLINE


@dataclass(frozen=True, slots=True)
class StationInfo:
    """A charging station (site) as listed to drivers and operators."""

    station_id: str
    name: str
    address: str = ""
    connectors_available: int = 0
    connectors_total: int = 0
    max_power_kw: float | None = None
    distance_km: float | None = None
    price_minor_per_kwh: int | None = None
    currency: str = "CNY"


@dataclass(frozen=True, slots=True)
class LiveSession:
    """The live figures of a charging session, as pushed by the backend."""

    power_kw: float
    energy_kwh: float
    cost_minor: int
    currency: str
    elapsed_s: float
    max_power_kw: float | None = None
    status: ConnectorStatus = ConnectorStatus.CHARGING


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One named series of values, aligned with :attr:`ChartData.labels`."""

    name: str
    values: Sequence[float]
    color: str | None = None


@dataclass(frozen=True, slots=True)
class ChartData:
    """Category labels (days, hours, stations) and one or more series over them."""

    labels: Sequence[str]
    series: Sequence[ChartSeries] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        """No labels or no non-zero value anywhere (nothing worth drawing)."""
        return not self.labels or not any(v for s in self.series for v in s.values)

    @property
    def max_value(self) -> float:
        """Largest value over all series (0 when empty)."""
        return max((v for s in self.series for v in s.values), default=0.0)


@dataclass(frozen=True, slots=True)
class NavItem:
    """A top-level destination of the responsive scaffold; ``key`` is its stable id."""

    key: str
    label: str
    icon: ft.IconData
    selected_icon: ft.IconData | None = None
