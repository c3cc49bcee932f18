"""One connector's life: plug-in, authorisation, a charging session with meter values, stop.

The connector is a small state machine over the OCPP 1.6 ChargePointStatus values::

    Available ─plug─▶ Preparing ─auth+StartTransaction─▶ Charging ⇄ SuspendedEV/SuspendedEVSE
        ▲                                                      │ stop (remote/RFID/full/fault)
        └──────────── unplug ◀──────── Finishing ◀─────────────┘
    any ─fault─▶ Faulted ─clear─▶ Finishing/Available;  ChangeAvailability ─▶ Unavailable

Every transition reports a StatusNotification; every session sends StartTransaction,
periodic MeterValues and StopTransaction through the station's :class:`Outbox`, and is
written into a :class:`SessionRecord` as it happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol

from ocpp.v16 import call

from simulators.ocpp.config import ChargerSpec, EvSpec, SimConfig
from simulators.ocpp.errors import InvalidState
from simulators.ocpp.meter import iso, meter_value, register_reading
from simulators.ocpp.outbox import Outbox, answer_or_none
from simulators.ocpp.physics import Battery, ProfileStore, connector_power_w
from simulators.ocpp.records import MeterSample, SessionRecord

AVAILABLE = "Available"
PREPARING = "Preparing"
CHARGING = "Charging"
SUSPENDED_EV = "SuspendedEV"
SUSPENDED_EVSE = "SuspendedEVSE"
FINISHING = "Finishing"
UNAVAILABLE = "Unavailable"
FAULTED = "Faulted"

SESSION_STATES = (PREPARING, CHARGING, SUSPENDED_EV, SUSPENDED_EVSE)


class StationContext(Protocol):
    """What a connector needs from the charger it belongs to (see :class:`Station`)."""

    identity: str
    spec: ChargerSpec
    config: SimConfig
    outbox: Outbox
    profiles: ProfileStore

    @property
    def online(self) -> bool: ...

    def config_value(self, key: str) -> str | None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    def new_ev(self) -> EvSpec: ...

    def record_session(self, record: SessionRecord) -> None: ...


class Connector:
    """A physical connector of a simulated charger."""

    def __init__(self, station: StationContext, connector_id: int, meter_start_wh: float) -> None:
        self.station = station
        self.connector_id = connector_id
        self.status = AVAILABLE
        self.error_code = "NoError"
        self.info: str | None = None
        self.plugged = False
        self.operative = True
        self.meter_wh = meter_start_wh
        self.session: SessionRecord | None = None
        self.battery: Battery | None = None
        self.power_w = 0.0
        self._tx_started_at: datetime | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._unplug_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._status_changed = asyncio.Condition()

    # ----------------------------------------------------------------- status reporting
    def _set_status(
        self, status: str, error_code: str = "NoError", info: str | None = None
    ) -> None:
        self.status, self.error_code, self.info = status, error_code, info
        self.report_status()
        self.station.spawn(self._notify_waiters())

    async def _notify_waiters(self) -> None:
        async with self._status_changed:
            self._status_changed.notify_all()

    async def wait_status(self, status: str, timeout: float) -> None:
        """Wait until the connector is in ``status`` (raises TimeoutError)."""
        async with asyncio.timeout(timeout), self._status_changed:
            await self._status_changed.wait_for(lambda: self.status == status)

    def report_status(self) -> None:
        """Queue a StatusNotification with the current state (dropped when offline)."""
        payload = call.StatusNotification(
            connector_id=self.connector_id,
            error_code=self.error_code,
            status=self.status,
            timestamp=iso(datetime.now(UTC)),
            info=self.info,
        )
        self.station.outbox.submit(f"StatusNotification#{self.connector_id}", lambda: payload)

    # ----------------------------------------------------------------- driver actions
    async def plug_in(self, ev: EvSpec | None = None) -> None:
        """A vehicle is connected: Available → Preparing."""
        async with self._lock:
            if self.plugged:
                raise InvalidState(f"connector {self.connector_id} already has a vehicle")
            self._plug(ev)

    def _plug(self, ev: EvSpec | None) -> None:
        self.plugged = True
        self.battery = Battery.from_spec(ev or self.station.new_ev())
        if self.status == AVAILABLE:
            self._set_status(PREPARING)

    async def unplug(self) -> None:
        """The vehicle leaves; a running session stops with reason EVDisconnected."""
        async with self._lock:
            if not self.plugged:
                raise InvalidState(f"connector {self.connector_id} has no vehicle")
            if self.session is not None:
                await self._stop_locked("EVDisconnected", unplugged=True)
            self._unplug_now()

    def _unplug_now(self) -> None:
        self.plugged = False
        self.battery = None
        if self._unplug_task is not None and self._unplug_task is not asyncio.current_task():
            self._unplug_task.cancel()
        self._unplug_task = None
        if self.status in (PREPARING, FINISHING, SUSPENDED_EV, SUSPENDED_EVSE, CHARGING):
            self._set_status(AVAILABLE if self.operative else UNAVAILABLE)

    async def swipe(self, id_tag: str) -> str:
        """An RFID card is presented: start a session, or stop the one it started.

        Returns what happened: ``"started"``, ``"stopped"`` or the authorisation status.
        """
        async with self._lock:
            if self.session is not None:
                if self.session.id_tag != id_tag:
                    raise InvalidState("another card's session is running on this connector")
                await self._stop_locked("Local")
                return "stopped"
            return await self._start_locked(id_tag, "rfid", authorize=True)

    # ----------------------------------------------------------------- CSMS-initiated
    def can_start(self) -> bool:
        return self.operative and self.status not in (FAULTED, UNAVAILABLE) and self.session is None

    async def remote_start(self, id_tag: str, profile: dict[str, Any] | None) -> None:
        """Carry out an accepted RemoteStartTransaction (runs after the answer is sent)."""
        async with self._lock:
            if not self.can_start():
                return
            authorize = (self.station.config_value("AuthorizeRemoteTxRequests") or "").lower()
            result = await self._start_locked(id_tag, "remote", authorize=authorize == "true")
            if result == "started" and profile is not None:
                self.station.profiles.install(self.connector_id, profile, datetime.now(UTC))

    async def stop(self, reason: str) -> None:
        """Stop the running session, if any (remote stop, reset, unlock, deauthorisation)."""
        async with self._lock:
            if self.session is not None:
                await self._stop_locked(reason)

    async def fault(self, error_code: str, info: str | None = None) -> None:
        """Hardware fault: energy stops at once, the session ends (reason Other), Faulted."""
        async with self._lock:
            self._cancel_loop()
            self._set_status(FAULTED, error_code, info)
            if self.session is not None:
                await self._stop_locked("Other", keep_status=True)

    async def clear_fault(self) -> None:
        async with self._lock:
            if self.status != FAULTED:
                raise InvalidState(f"connector {self.connector_id} is not faulted")
            if not self.operative:
                self._set_status(UNAVAILABLE)
            elif self.plugged:
                self._set_status(FINISHING)
                self._schedule_auto_unplug()
            else:
                self._set_status(AVAILABLE)

    async def set_operative(self, operative: bool) -> str:
        """ChangeAvailability for this connector; returns Accepted or Scheduled."""
        async with self._lock:
            self.operative = operative
            if self.session is not None:
                return "Scheduled" if not operative else "Accepted"
            if not operative and self.status != FAULTED:
                self._set_status(UNAVAILABLE)
            elif operative and self.status == UNAVAILABLE:
                self._set_status(PREPARING if self.plugged else AVAILABLE)
            return "Accepted"

    # ----------------------------------------------------------------- session internals
    async def _start_locked(self, id_tag: str, started_by: str, *, authorize: bool) -> str:
        if not self.can_start():
            raise InvalidState(f"connector {self.connector_id} cannot start ({self.status})")
        if not self.plugged:
            # The simulated driver plugs in right after presenting the card / app start.
            self._plug(None)
        if authorize and self.station.online:
            answer = await answer_or_none(
                self.station.outbox.submit("Authorize", lambda: call.Authorize(id_tag=id_tag)),
                self.station.config.response_timeout_s * 2,
            )
            status = "Unreachable" if answer is None else str(answer.id_tag_info["status"])
            if status != "Accepted":
                return status
        # Offline: LocalAuthorizeOffline lets the card through; the central system decides
        # when StartTransaction is replayed (and may answer with a non-Accepted idTagInfo).
        now = datetime.now(UTC)
        record = SessionRecord(
            identity=self.station.identity,
            connector_id=self.connector_id,
            id_tag=id_tag,
            started_by=started_by,
            meter_start_wh=round(self.meter_wh),
            started_at=now,
        )
        self.session = record
        self._tx_started_at = now
        self.station.record_session(record)

        def on_start(answer: Any) -> None:
            record.transaction_id = int(answer.transaction_id)
            record.start_acknowledged = True
            if str(answer.id_tag_info.get("status")) != "Accepted" and record.active:
                self.station.spawn(self.stop("DeAuthorized"))

        self.station.outbox.submit(
            "StartTransaction",
            lambda: call.StartTransaction(
                connector_id=self.connector_id,
                id_tag=id_tag,
                meter_start=record.meter_start_wh,
                timestamp=iso(now),
            ),
            transactional=True,
            on_result=on_start,
            on_drop=record.dropped_messages.append,
        )
        self._update_power(now)
        self._set_status(CHARGING)
        # Like real chargers (SampledDataTxStartedMeasurands), one Transaction.Begin sample
        # right away: the driver sees power flowing without waiting a whole meter interval.
        begin = self._sample(now)
        record.samples.append(begin)
        self._send_meter_values(record, begin, context="Transaction.Begin")
        self._loop_task = self.station.spawn(self._charging_loop(record))
        return "started"

    def _cancel_loop(self) -> None:
        task, self._loop_task = self._loop_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self.power_w = 0.0

    async def _stop_locked(
        self, reason: str, *, keep_status: bool = False, unplugged: bool = False
    ) -> None:
        record = self.session
        if record is None:
            return
        self._cancel_loop()
        now = datetime.now(UTC)
        end = self._sample(now)
        record.meter_stop_wh = end.energy_wh
        record.stopped_at = now
        record.stop_reason = reason
        self.session = None
        self._tx_started_at = None
        self.station.profiles.drop_tx_profiles(self.connector_id)
        begin = register_reading(record.started_at, record.meter_start_wh, "Transaction.Begin")
        finish = register_reading(now, end.energy_wh, "Transaction.End")

        def build() -> Any | None:
            if record.transaction_id is None:
                return None  # StartTransaction was never accepted: nothing to stop
            return call.StopTransaction(
                meter_stop=end.energy_wh,
                timestamp=iso(now),
                transaction_id=record.transaction_id,
                reason=reason,
                id_tag=record.id_tag,
                transaction_data=[begin, finish],
            )

        def on_stop(_answer: Any) -> None:
            record.stop_acknowledged = True

        self.station.outbox.submit(
            "StopTransaction",
            build,
            transactional=True,
            on_result=on_stop,
            on_drop=record.dropped_messages.append,
        )
        if keep_status:
            return
        if not self.operative:
            self._set_status(UNAVAILABLE)
        elif unplugged:
            return  # _unplug_now reports Available
        else:
            self._set_status(FINISHING)
            self._schedule_auto_unplug()

    def _schedule_auto_unplug(self) -> None:
        delay = self.station.config.auto_unplug_after_s
        if delay is None or not self.plugged:
            return
        if self._unplug_task is not None:
            self._unplug_task.cancel()
        self._unplug_task = self.station.spawn(self._auto_unplug(delay))

    async def _auto_unplug(self, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self._lock:
            if self.plugged and self.session is None and self.status in (FINISHING, PREPARING):
                self._unplug_task = None
                self._unplug_now()

    def _sample(self, now: datetime) -> MeterSample:
        spec = self.station.spec
        current = self.power_w / (spec.voltage * spec.phases)
        soc = self.battery.soc * 100.0 if self.battery is not None else 0.0
        return MeterSample(
            timestamp=now,
            energy_wh=round(self.meter_wh),
            power_w=round(self.power_w, 1),
            current_a=round(current, 2),
            soc_percent=round(soc, 1),
        )

    def meter_interval_s(self) -> float:
        raw = self.station.config_value("MeterValueSampleInterval")
        try:
            value = float(raw) if raw is not None else self.station.config.meter_interval_s
        except ValueError:
            value = self.station.config.meter_interval_s
        return value if value > 0 else self.station.config.meter_interval_s

    def current_sample(self) -> MeterSample:
        return self._sample(datetime.now(UTC))

    def _update_power(self, now: datetime) -> None:
        spec = self.station.spec
        if self.battery is None:
            self.power_w = 0.0
            return
        limit = self.station.profiles.limit_w(
            self.connector_id, now, self._tx_started_at, spec.voltage, spec.phases
        )
        self.power_w = connector_power_w(
            rating_w=spec.max_kw * 1000.0, battery=self.battery, profile_limit_w=limit
        )

    async def _charging_loop(self, record: SessionRecord) -> None:
        config = self.station.config
        last = time.monotonic()
        full_since: float | None = None
        while True:
            await asyncio.sleep(self.meter_interval_s())
            tick = time.monotonic()
            sim_seconds = (tick - last) * config.time_scale
            last = tick
            battery = self.battery
            if battery is None:
                return
            # Energy for the interval just ended flows at the power set at its start.
            self.meter_wh += battery.charge(self.power_w, sim_seconds)
            now = datetime.now(UTC)
            self._update_power(now)
            if battery.full:
                self.power_w = 0.0
                if self.status != SUSPENDED_EV:
                    self._set_status(SUSPENDED_EV)
                    full_since = tick
            elif self.power_w <= 0.0 and self.status != SUSPENDED_EVSE:
                self._set_status(SUSPENDED_EVSE)
            elif self.power_w > 0.0 and self.status != CHARGING:
                self._set_status(CHARGING)
            sample = self._sample(now)
            record.samples.append(sample)
            self._send_meter_values(record, sample)
            if full_since is not None and tick - full_since >= config.full_stop_delay_s:
                # Vehicle full: the driver ends the session from the car (SuspendedEV → stop).
                self.station.spawn(self.stop("Local"))
                return

    def _send_meter_values(
        self, record: SessionRecord, sample: MeterSample, context: str = "Sample.Periodic"
    ) -> None:
        element = meter_value(sample, context)

        def on_ack(_answer: Any) -> None:
            record.meter_values_acknowledged += 1

        self.station.outbox.submit(
            "MeterValues",
            lambda: call.MeterValues(
                connector_id=self.connector_id,
                transaction_id=record.transaction_id,
                meter_value=[element],
            ),
            transactional=True,
            on_result=on_ack,
            on_drop=record.dropped_messages.append,
        )

    def trigger_meter_values(self) -> None:
        """TriggerMessage(MeterValues): one Trigger-context sample, live only."""
        element = meter_value(self.current_sample(), "Trigger")
        tx = self.session.transaction_id if self.session is not None else None
        self.station.outbox.submit(
            "MeterValues(Trigger)",
            lambda: call.MeterValues(
                connector_id=self.connector_id, transaction_id=tx, meter_value=[element]
            ),
        )

    async def shutdown(self) -> None:
        """Stop background work (fleet shutdown); the session is left as it is."""
        self._cancel_loop()
        task, self._unplug_task = self._unplug_task, None
        for t in (task,):
            if t is not None:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t


__all__ = ["Connector", "StationContext"]
