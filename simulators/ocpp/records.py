"""The simulator's own account of every session, kept independently of the central system.

Fault and replay tests compare what the backend stored with what the charger actually sent:
each :class:`SessionRecord` lists every meter sample generated (whether or not the central
system has acknowledged it yet), the final register reading and how the session ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MeterSample:
    """One MeterValues sample as put on the wire."""

    timestamp: datetime
    energy_wh: int
    """Energy.Active.Import.Register: the connector's lifetime register, not the session delta."""
    power_w: float
    current_a: float
    soc_percent: float


@dataclass(slots=True)
class SessionRecord:
    """One charging session on one connector, from authorisation to StopTransaction."""

    identity: str
    connector_id: int
    id_tag: str
    started_by: str
    """``"rfid"``, ``"remote"`` or ``"auto"`` (a random demo arrival)."""
    meter_start_wh: int
    started_at: datetime
    transaction_id: int | None = None
    """Known once the central system has answered StartTransaction."""
    samples: list[MeterSample] = field(default_factory=list)
    meter_stop_wh: int | None = None
    stopped_at: datetime | None = None
    stop_reason: str | None = None
    start_acknowledged: bool = False
    stop_acknowledged: bool = False
    meter_values_acknowledged: int = 0
    dropped_messages: list[str] = field(default_factory=list)
    """Transaction messages given up after TransactionMessageAttempts failures."""

    @property
    def energy_wh(self) -> int | None:
        """Energy delivered in the session, once it has stopped."""
        if self.meter_stop_wh is None:
            return None
        return self.meter_stop_wh - self.meter_start_wh

    @property
    def active(self) -> bool:
        return self.stopped_at is None


__all__ = ["MeterSample", "SessionRecord"]
