"""One charging session as the driver follows it: normalised snapshots and the phase shown.

Why separate from the flow: the same session reaches the app three ways — a guest's status
poll (``GuestSessionStatus``), a signed-in driver's session (``SessionPublic``, polled or pushed
over the event stream) — and each must drive the same steps and figures. :class:`Snapshot` is
that common shape; :func:`phase_of` is the one rule for which step the driver is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from backend_client.models import GuestSessionStatus, SessionPublic

__all__ = ["Phase", "Snapshot", "phase_of"]


class Phase(StrEnum):
    """Where the driver's session is; the steps and buttons follow from it."""

    IDLE = "idle"  # nothing started (the charger screen shows price and pay choice)
    STARTING = "starting"  # request sent, waiting for the charger's answer
    REFUSED = "refused"  # the charger / payment refused: error says why, nothing charged
    PLUG_IN = "plug_in"  # charger accepted; waiting for the car (StartTransaction)
    CONNECTED = "connected"  # transaction running, no power yet
    CHARGING = "charging"  # power flowing
    SUSPENDED = "suspended"  # car stopped drawing (full / paused): idle fees may follow
    STOPPING = "stopping"  # stop asked, waiting for the charger's StopTransaction
    COMPLETED = "completed"  # ended and billed (receipt follows)
    FAILED = "failed"  # the charger never started the transaction

    @property
    def running(self) -> bool:
        """A session exists that the driver can watch or stop."""
        return self in _RUNNING


_RUNNING = {Phase.PLUG_IN, Phase.CONNECTED, Phase.CHARGING, Phase.SUSPENDED, Phase.STOPPING}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The figures of a session at one moment, whatever the source."""

    session_id: int
    status: str  # pending / active / completed / failed
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: int
    power_w: float
    cost_minor: int
    currency: str
    idle_seconds: int | None = None
    payment_state: str | None = None

    @classmethod
    def from_session(cls, s: SessionPublic) -> Snapshot:
        return cls(
            session_id=s.id,
            status=str(s.status),
            started_at=s.started_at,
            stopped_at=s.stopped_at,
            energy_wh=s.energy_wh,
            power_w=s.last_power_w,
            cost_minor=s.cost_minor,
            currency=s.currency,
            idle_seconds=s.idle_seconds,
        )

    @classmethod
    def from_guest(cls, g: GuestSessionStatus) -> Snapshot:
        return cls(
            session_id=g.session_id,
            status=g.status,
            started_at=g.started_at,
            stopped_at=g.stopped_at,
            energy_wh=g.energy_wh,
            power_w=g.last_power_w,
            cost_minor=g.cost_minor,
            currency=g.currency,
            payment_state=str(g.payment.state),
        )

    def elapsed_s(self, now: datetime | None = None) -> float:
        """Seconds since the start (to the stop once stopped)."""
        end = self.stopped_at or now or datetime.now(UTC)
        start = self.started_at
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        if end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        return max(0.0, (end - start).total_seconds())


def phase_of(snapshot: Snapshot, *, stopping: bool = False) -> Phase:
    """The step a snapshot puts the driver on (``stopping``: a stop was asked for)."""
    if snapshot.status == "completed":
        return Phase.COMPLETED
    if snapshot.status == "failed":
        return Phase.FAILED
    if snapshot.status == "pending":
        return Phase.PLUG_IN
    if stopping:
        return Phase.STOPPING
    if snapshot.power_w > 0:
        return Phase.CHARGING
    if snapshot.energy_wh > 0:
        return Phase.SUSPENDED
    return Phase.CONNECTED
