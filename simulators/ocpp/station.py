"""One simulated charger: its connection to the central system, configuration and connectors.

The station owns everything that survives a reconnect — connectors and their sessions, the
OCPP configuration keys, installed charging profiles, the outgoing :class:`Outbox` and the
session records — while a fresh ``ocpp`` charge-point object is made for every websocket.

Connection lifecycle (``run``)::

    connect (subprotocol ocpp1.6, HTTP Basic) ─▶ BootNotification until Accepted (first time
    and after Reset) ─▶ StatusNotification for every connector ─▶ outbox + heartbeats
    ─▶ connection lost / go_offline ─▶ back-off with jitter ─▶ reconnect

Transaction messages produced while offline wait in the outbox and go out on reconnect.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import ssl
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ocpp.v16 import call
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from simulators.ocpp.config import ChargerSpec, EvSpec, SimConfig
from simulators.ocpp.connector import Connector
from simulators.ocpp.errors import NotConnected, UnknownConnector
from simulators.ocpp.keys import ConfigurationKeys, fmt
from simulators.ocpp.meter import iso
from simulators.ocpp.outbox import Outbox, answer_or_none
from simulators.ocpp.physics import ProfileStore
from simulators.ocpp.records import SessionRecord

if TYPE_CHECKING:
    from simulators.ocpp.charge_point import SimChargePoint

LOG = logging.getLogger(__name__)

FAULT_CODES = ("GroundFailure", "OverCurrentFailure", "HighTemperature", "PowerSwitchFailure")


class Station:
    """A simulated OCPP 1.6J charge point with ``spec.connectors`` connectors."""

    def __init__(
        self,
        spec: ChargerSpec,
        central_system_url: str,
        config: SimConfig,
        *,
        cp_class: type[SimChargePoint],
        rng: random.Random,
    ) -> None:
        self.spec = spec
        self.identity = spec.identity
        self.url = central_system_url.rstrip("/") + "/" + spec.identity
        self.config = config
        self.cp_class = cp_class
        self.rng = rng
        self.profiles = ProfileStore()
        self.records: list[SessionRecord] = []
        self.keys = ConfigurationKeys(spec, config)
        self.outbox = Outbox(
            attempts=lambda: int(float(self.config_value("TransactionMessageAttempts") or 1)),
            retry_interval_s=lambda: float(
                self.config_value("TransactionMessageRetryInterval") or 0
            ),
        )
        self.connectors = {
            i: Connector(self, i, meter_start_wh=rng.uniform(1e5, 5e6))
            for i in range(1, spec.connectors + 1)
        }
        self.cp: SimChargePoint | None = None
        self.boot_status: str | None = None
        self.heartbeat_interval_s = config.heartbeat_interval_s or 300.0
        self.last_error: str | None = None
        self.connections = 0
        """How many times a websocket was established (reconnect tests count these)."""
        self.refusals: list[int] = []
        """HTTP status codes of refused handshakes (401 wrong password, 404 unknown …)."""
        self._ws: ClientConnection | None = None
        self._need_boot = True
        self._abrupt = False
        self._online = asyncio.Event()
        self._online.set()
        self._disconnect = asyncio.Event()
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.counters: dict[str, int] = {}
        """Scratch counters for misbehaving charge points (they live per connection)."""
        self.duplicate_answers: list[tuple[str, Any, Any]] = []

    # ------------------------------------------------------------------ context for connectors
    @property
    def online(self) -> bool:
        return self._ready.is_set()

    def config_value(self, key: str) -> str | None:
        return self.keys.value(key)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` as a task owned by the station (cancelled by :meth:`shutdown`)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            LOG.warning("%s: background task failed: %r", self.identity, exc)

    def new_ev(self) -> EvSpec:
        ev = self.config.ev
        if not self.config.ev_randomise:
            return ev
        return EvSpec(
            battery_kwh=ev.battery_kwh * self.rng.uniform(0.7, 1.4),
            soc_start=min(max(ev.soc_start + self.rng.uniform(-0.2, 0.2), 0.05), 0.9),
            soc_target=ev.soc_target,
            max_kw=ev.max_kw,
        )

    def record_session(self, record: SessionRecord) -> None:
        self.records.append(record)

    def connector(self, connector_id: int) -> Connector:
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise UnknownConnector(f"{self.identity} has no connector {connector_id}") from None

    # ------------------------------------------------------------------ configuration keys
    def change_configuration(self, key: str, value: str) -> str:
        """Apply ChangeConfiguration; returns Accepted, Rejected or NotSupported."""
        status = self.keys.change(key, value)
        if status == "Accepted" and key == "HeartbeatInterval":
            self.heartbeat_interval_s = float(value) or self.heartbeat_interval_s
        return status

    # ------------------------------------------------------------------ connection lifecycle
    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def wait_ready(self, timeout: float) -> None:
        """Wait until booted and connected (raises TimeoutError)."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    def go_offline(self, duration_s: float | None = None, *, abrupt: bool = False) -> None:
        """Cut the connection and stay offline (for ``duration_s``, or until go_online)."""
        self._online.clear()
        self._abrupt = abrupt
        self._disconnect.set()
        if duration_s is not None:
            self.spawn(self._online_after(duration_s))

    async def _online_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.go_online()

    def go_online(self) -> None:
        self._online.set()

    def freeze_network(self) -> None:
        """Simulate a hung link: stop reading the socket (no pongs, no answers) but keep it
        open, as when a charger loses its uplink without a TCP reset."""
        if self._ws is not None:
            self._ws.transport.pause_reading()

    def thaw_network(self) -> None:
        if self._ws is not None:
            self._ws.transport.resume_reading()

    def reboot(self) -> None:
        """Drop the connection and come back with a BootNotification (after Reset)."""
        self._need_boot = True
        self._disconnect.set()

    async def run(self) -> None:
        """Keep connected to the central system until cancelled."""
        failures = 0
        if self._has_random_events():
            self.spawn(self._random_events())
        while True:
            await self._online.wait()
            was_up = False
            try:
                was_up = await self._connect_and_serve()
            except InvalidStatus as exc:
                self.refusals.append(exc.response.status_code)
                self.last_error = f"HTTP {exc.response.status_code}"
            except (OSError, InvalidHandshake, TimeoutError, ConnectionClosed) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
            if not self._online.is_set():
                continue
            if was_up and self._need_boot:
                failures = 0
                await asyncio.sleep(0.05)  # reset: reboot promptly
                continue
            failures = 0 if was_up else failures + 1
            await asyncio.sleep(self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        """Exponential reconnect back-off with jitter (OCPP 2.0.1 Part 4 §5.3 style)."""
        c = self.config
        base = min(c.reconnect_min_s * 2.0 ** max(failures - 1, 0), c.reconnect_max_s)
        return base + self.rng.uniform(0, c.reconnect_jitter_s)

    async def _connect_and_serve(self) -> bool:
        headers: dict[str, str] = {}
        if self.spec.password is not None:
            token = base64.b64encode(f"{self.identity}:{self.spec.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self._disconnect.clear()
        tls: ssl.SSLContext | None = None
        if self.url.startswith("wss://"):
            # Security Profile 2: TLS, server certificate checked against the system store or
            # the given CA file (a demo's self-signed certificate).
            tls = ssl.create_default_context(cafile=self.config.ca_file)
        ws = await connect(
            self.url,
            ssl=tls,
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers=headers,
            open_timeout=self.config.open_timeout_s,
            ping_interval=self.config.ping_interval_s,
            ping_timeout=self.config.ping_interval_s,
            close_timeout=2,
        )
        if ws.subprotocol != "ocpp1.6":
            await ws.close()
            raise InvalidHandshake(f"central system chose subprotocol {ws.subprotocol!r}")
        self._ws = ws
        self.connections += 1
        self.last_error = None
        cp = self.cp_class(self.identity, ws, self, response_timeout=self.config.response_timeout_s)
        self.cp = cp
        self.outbox.accepting_live = True
        reader = asyncio.create_task(cp.start(), name=f"{self.identity}-reader")
        session = asyncio.create_task(self._serve(cp), name=f"{self.identity}-session")
        stop = asyncio.create_task(self._disconnect.wait())
        try:
            await asyncio.wait({reader, session, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._ready.clear()
            for task in (reader, session, stop):
                task.cancel()
            for task in (reader, session, stop):
                with contextlib.suppress(asyncio.CancelledError, ConnectionClosed, Exception):
                    await task
            self.outbox.connection_lost()
            self.cp = None
            self._ws = None
            if self._abrupt:
                self._abrupt = False
                ws.transport.abort()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        return True

    async def _serve(self, cp: SimChargePoint) -> None:
        if self._need_boot:
            await self._boot(cp)
        self._ready.set()
        for connector in self.connectors.values():
            connector.report_status()
        await asyncio.gather(self.outbox.run(cp), self._heartbeats())

    async def _boot(self, cp: SimChargePoint) -> None:
        payload = call.BootNotification(
            charge_point_model=self.spec.model,
            charge_point_vendor=self.spec.vendor,
            charge_point_serial_number=self.identity,
            firmware_version=self.spec.firmware,
        )
        while True:
            answer = await cp.call(payload, suppress=False)
            self.boot_status = str(answer.status)
            interval = float(answer.interval)
            if self.boot_status == "Accepted":
                self._need_boot = False
                if self.config.heartbeat_interval_s is None and interval > 0:
                    self.heartbeat_interval_s = interval
                    self.keys.set("HeartbeatInterval", fmt(interval))
                return
            await asyncio.sleep(interval if interval > 0 else self.config.boot_retry_s)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(max(self.heartbeat_interval_s, 0.05))
            await answer_or_none(
                self.outbox.submit("Heartbeat", call.Heartbeat), self.config.response_timeout_s
            )

    def send_boot_notification(self) -> None:
        """TriggerMessage(BootNotification): a live BootNotification through the outbox."""
        self.outbox.submit(
            "BootNotification",
            lambda: call.BootNotification(
                charge_point_model=self.spec.model,
                charge_point_vendor=self.spec.vendor,
                firmware_version=self.spec.firmware,
            ),
        )

    def report_main_status(self) -> None:
        self.outbox.submit(
            "StatusNotification#0",
            lambda: call.StatusNotification(
                connector_id=0,
                error_code="NoError",
                status="Available",
                timestamp=iso(datetime.now(UTC)),
            ),
        )

    # ------------------------------------------------------------------ CSMS-initiated work
    async def reset(self, kind: str) -> None:
        """Soft/Hard reset: stop sessions, let StopTransaction out, then reboot."""
        reason = "HardReset" if kind == "Hard" else "SoftReset"
        for connector in self.connectors.values():
            await connector.stop(reason)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.config.response_timeout_s):
                await self.outbox.transactions_sent()
        self.reboot()

    def require_online(self) -> None:
        if not self.online:
            raise NotConnected(f"{self.identity} is not connected")

    # ------------------------------------------------------------------ random behaviour
    def _has_random_events(self) -> bool:
        c = self.config
        return c.fault_rate_per_hour > 0 or c.offline_rate_per_hour > 0 or c.arrivals_per_hour > 0

    async def _random_events(self) -> None:
        """Poisson-ish faults, outages and driver arrivals for the demo fleet."""
        c = self.config
        tick = 1.0
        while True:
            await asyncio.sleep(tick)
            p = tick / 3600.0
            if self.online and self.rng.random() < c.offline_rate_per_hour * p:
                self.go_offline(c.offline_duration_s, abrupt=self.rng.random() < 0.5)
            for connector in self.connectors.values():
                if connector.status != "Faulted" and self.rng.random() < c.fault_rate_per_hour * p:
                    code = self.rng.choice(FAULT_CODES)
                    await connector.fault(code)
                    self.spawn(self._clear_later(connector, c.fault_duration_s))
                elif (
                    c.arrival_id_tags
                    and connector.can_start()
                    and not connector.plugged
                    and self.rng.random() < c.arrivals_per_hour * p
                ):
                    self.spawn(connector.swipe(self.rng.choice(c.arrival_id_tags)))

    async def _clear_later(self, connector: Connector, delay: float) -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(Exception):
            await connector.clear_fault()

    async def shutdown(self) -> None:
        """Cancel every background task (the fleet is stopping)."""
        for connector in self.connectors.values():
            await connector.shutdown()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able picture of the charger for the control API and the demo."""
        return {
            "identity": self.identity,
            "online": self.online,
            "boot_status": self.boot_status,
            "last_error": self.last_error,
            "connections": self.connections,
            "pending_transaction_messages": self.outbox.pending_transaction_messages,
            "connectors": [
                {
                    "connector_id": c.connector_id,
                    "status": c.status,
                    "error_code": c.error_code,
                    "plugged": c.plugged,
                    "power_w": c.power_w,
                    "meter_wh": round(c.meter_wh),
                    "soc_percent": round(c.battery.soc * 100, 1) if c.battery else None,
                    "transaction_id": c.session.transaction_id if c.session else None,
                }
                for c in self.connectors.values()
            ],
        }


__all__ = ["FAULT_CODES", "Station"]
