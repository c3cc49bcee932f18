"""The fleet: many simulated chargers against one central system, and its control surface.

:class:`Fleet` is the in-process API tests and the demo use (plug in, swipe a card, inject a
fault, cut the connection …); :func:`run_fleet` runs a fleet plus the loopback HTTP control
server until cancelled — it is what ``chargepile sim stations`` and ``python -m
simulators.ocpp`` call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from simulators.ocpp.charge_point import SimChargePoint
from simulators.ocpp.config import ChargerSpec, EvSpec, SimConfig
from simulators.ocpp.connector import Connector
from simulators.ocpp.errors import SimulatorError, UnknownCharger
from simulators.ocpp.misbehaving import BEHAVIOURS
from simulators.ocpp.records import SessionRecord
from simulators.ocpp.station import Station

LOG = logging.getLogger(__name__)


class Fleet:
    """N simulated chargers, each with its own connection to ``central_system_url``.

    Example::

        async with Fleet("ws://127.0.0.1:8000/ocpp", specs, SimConfig(meter_interval_s=1)) as f:
            await f.wait_ready()
            await f.swipe_rfid("CP-1", 1, "CARD-001")
    """

    def __init__(
        self,
        central_system_url: str,
        chargers: Iterable[ChargerSpec],
        config: SimConfig | None = None,
        *,
        behaviours: Mapping[str, type[SimChargePoint]] | None = None,
    ) -> None:
        self.url = central_system_url
        self.config = config or SimConfig()
        known = dict(BEHAVIOURS)
        known.update(behaviours or {})
        rng = random.Random(self.config.seed)
        self.stations: dict[str, Station] = {}
        for spec in chargers:
            if spec.behaviour not in known:
                raise SimulatorError(f"{spec.identity}: unknown behaviour {spec.behaviour!r}")
            if spec.identity in self.stations:
                raise SimulatorError(f"duplicate charger identity {spec.identity}")
            self.stations[spec.identity] = Station(
                spec,
                central_system_url,
                self.config,
                cp_class=known[spec.behaviour],
                rng=random.Random(rng.random()),
            )
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start connecting every charger (returns at once; see :meth:`wait_ready`)."""
        if self._tasks:
            raise SimulatorError("fleet already started")
        self._tasks = [
            asyncio.create_task(station.run(), name=f"sim-{identity}")
            for identity, station in self.stations.items()
        ]

    async def stop(self) -> None:
        """Disconnect every charger and cancel all simulator tasks."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for station in self.stations.values():
            await station.shutdown()

    # ------------------------------------------------------------------ lookup
    def station(self, identity: str) -> Station:
        try:
            return self.stations[identity]
        except KeyError:
            raise UnknownCharger(f"no charger {identity!r} in the fleet") from None

    def connector(self, identity: str, connector_id: int = 1) -> Connector:
        return self.station(identity).connector(connector_id)

    async def wait_ready(
        self, identities: Sequence[str] | None = None, timeout: float = 30.0
    ) -> None:
        """Wait until the chargers are connected and booted (raises TimeoutError)."""
        names = list(identities) if identities is not None else list(self.stations)
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(self.station(n).wait_ready(timeout) for n in names))

    async def wait_status(
        self, identity: str, connector_id: int, status: str, timeout: float = 30.0
    ) -> None:
        await self.connector(identity, connector_id).wait_status(status, timeout)

    # ------------------------------------------------------------------ control
    async def plug_in(self, identity: str, connector_id: int = 1, ev: EvSpec | None = None) -> None:
        await self.connector(identity, connector_id).plug_in(ev)

    async def unplug(self, identity: str, connector_id: int = 1) -> None:
        await self.connector(identity, connector_id).unplug()

    async def swipe_rfid(self, identity: str, connector_id: int, id_tag: str) -> str:
        """Present a card: starts a session (``"started"``), stops it (``"stopped"``) or
        returns the central system's refusal (``"Blocked"``, ``"Invalid"`` …)."""
        return await self.connector(identity, connector_id).swipe(id_tag)

    async def inject_fault(
        self,
        identity: str,
        connector_id: int = 1,
        error_code: str = "GroundFailure",
        info: str | None = None,
    ) -> None:
        await self.connector(identity, connector_id).fault(error_code, info)

    async def clear_fault(self, identity: str, connector_id: int = 1) -> None:
        await self.connector(identity, connector_id).clear_fault()

    async def go_offline(
        self, identity: str, duration_s: float | None = None, *, abrupt: bool = False
    ) -> None:
        self.station(identity).go_offline(duration_s, abrupt=abrupt)

    async def go_online(self, identity: str) -> None:
        self.station(identity).go_online()

    # ------------------------------------------------------------------ inspection
    def records(self, identity: str | None = None) -> list[SessionRecord]:
        """Every session the simulator ran (of one charger, or of all)."""
        if identity is not None:
            return list(self.station(identity).records)
        return [r for s in self.stations.values() for r in s.records]

    def snapshot(self) -> list[dict[str, Any]]:
        return [s.snapshot() for s in self.stations.values()]


async def run_fleet(
    central_system_url: str,
    chargers: Iterable[ChargerSpec],
    config: SimConfig | None = None,
    *,
    control_host: str = "127.0.0.1",
    control_port: int | None = 8765,
    started: asyncio.Future[Fleet] | None = None,
) -> None:
    """Run a fleet (and its HTTP control server unless ``control_port`` is None) until cancelled.

    ``started``, if given, receives the running :class:`Fleet` once the control server listens.
    """
    from simulators.ocpp.control import ControlServer

    async with Fleet(central_system_url, chargers, config) as fleet:
        server = None
        if control_port is not None:
            server = ControlServer(fleet, host=control_host, port=control_port)
            await server.start()
            LOG.info("simulator control API on http://%s:%d", control_host, server.port)
        try:
            if started is not None and not started.done():
                started.set_result(fleet)
            await asyncio.Event().wait()
        finally:
            if server is not None:
                await server.stop()


__all__ = ["Fleet", "run_fleet"]
