"""The charger's protocol face: answers to every CSMS-initiated OCPP 1.6 call.

One :class:`SimChargePoint` exists per websocket connection; the state it acts on lives in the
:class:`Station`. Handlers decide and answer at once; the work an answer promises (starting a
session, stopping one, rebooting, sending a triggered message) runs from the matching
``@after`` hook, i.e. only once the CALLRESULT is on the wire — the order OCPP requires, and
the way to avoid the library's call-inside-handler deadlock.

Subclasses change behaviour through the public hooks :meth:`before_answer`,
:meth:`remote_start_status` and :meth:`deliver` (see :mod:`simulators.ocpp.misbehaving`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ocpp.v16 import call, call_result

from simulators.ocpp._ocpplib import ChargePoint16, after, on
from simulators.ocpp.connector import FAULTED
from simulators.ocpp.physics import PURPOSE_MAX, PURPOSE_TX

if TYPE_CHECKING:
    from simulators.ocpp.station import Station

Followup = Callable[[], Coroutine[Any, Any, Any]]

DATA_TRANSFER_VENDOR = "com.chargepile"


class SimChargePoint(ChargePoint16):
    """A well-behaved OCPP 1.6J charge point."""

    def __init__(
        self, identity: str, connection: Any, station: Station, *, response_timeout: float
    ) -> None:
        super().__init__(identity, connection, response_timeout=response_timeout)
        self.station = station
        self._followups: dict[str, Followup] = {}

    # ------------------------------------------------------------------ hooks for subclasses
    async def before_answer(self, action: str) -> None:
        """Runs before every answer to the central system (slow chargers sleep here)."""

    def remote_start_status(self, connector_id: int) -> str:
        """Decide a RemoteStartTransaction for ``connector_id``: Accepted or Rejected."""
        connector = self.station.connectors.get(connector_id)
        if connector is None or not connector.can_start():
            return "Rejected"
        return "Accepted"

    async def deliver(self, payload: Any) -> Any:
        """Send one CALL and return the answer; CALLERROR raises (used by the outbox)."""
        return await self.call(payload, suppress=False)

    # ------------------------------------------------------------------ plumbing
    def _later(self, unique_id: str, work: Followup) -> None:
        self._followups[unique_id] = work

    def _run_followup(self, unique_id: str) -> None:
        work = self._followups.pop(unique_id, None)
        if work is not None:
            self.station.spawn(work())

    # ------------------------------------------------------------------ remote start / stop
    @on("RemoteStartTransaction")
    async def on_remote_start(
        self,
        id_tag: str,
        call_unique_id: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        await self.before_answer("RemoteStartTransaction")
        if connector_id is None:
            free = [c for c in self.station.connectors.values() if c.can_start()]
            connector_id = free[0].connector_id if free else 1
        status = self.remote_start_status(connector_id)
        if charging_profile is not None and (
            charging_profile.get("charging_profile_purpose") != PURPOSE_TX
        ):
            status = "Rejected"  # 1.6 §5.11: only a TxProfile may come with a remote start
        if status == "Accepted":
            connector = self.station.connectors[connector_id]
            self._later(call_unique_id, lambda: connector.remote_start(id_tag, charging_profile))
        return call_result.RemoteStartTransaction(status=status)

    @after("RemoteStartTransaction")
    def after_remote_start(self, call_unique_id: str, **_: Any) -> None:
        self._run_followup(call_unique_id)

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, transaction_id: int, call_unique_id: str, **_: Any) -> Any:
        await self.before_answer("RemoteStopTransaction")
        for connector in self.station.connectors.values():
            session = connector.session
            if session is not None and session.transaction_id == transaction_id:
                self._later(call_unique_id, functools.partial(connector.stop, "Remote"))
                return call_result.RemoteStopTransaction(status="Accepted")
        return call_result.RemoteStopTransaction(status="Rejected")

    @after("RemoteStopTransaction")
    def after_remote_stop(self, call_unique_id: str, **_: Any) -> None:
        self._run_followup(call_unique_id)

    # ------------------------------------------------------------------ reset / unlock / availability
    @on("Reset")
    async def on_reset(self, type: str, call_unique_id: str, **_: Any) -> Any:
        await self.before_answer("Reset")
        self._later(call_unique_id, lambda: self.station.reset(type))
        return call_result.Reset(status="Accepted")

    @after("Reset")
    def after_reset(self, call_unique_id: str, **_: Any) -> None:
        self._run_followup(call_unique_id)

    @on("UnlockConnector")
    async def on_unlock(self, connector_id: int, call_unique_id: str, **_: Any) -> Any:
        await self.before_answer("UnlockConnector")
        connector = self.station.connectors.get(connector_id)
        if connector is None:
            return call_result.UnlockConnector(status="NotSupported")
        if connector.status == FAULTED:
            return call_result.UnlockConnector(status="UnlockFailed")

        async def unlock() -> None:
            await connector.stop("UnlockCommand")
            if connector.plugged:
                await connector.unplug()

        self._later(call_unique_id, unlock)
        return call_result.UnlockConnector(status="Unlocked")

    @after("UnlockConnector")
    def after_unlock(self, call_unique_id: str, **_: Any) -> None:
        self._run_followup(call_unique_id)

    @on("ChangeAvailability")
    async def on_change_availability(self, connector_id: int, type: str, **_: Any) -> Any:
        await self.before_answer("ChangeAvailability")
        targets = (
            list(self.station.connectors.values())
            if connector_id == 0
            else [self.station.connectors[connector_id]]
            if connector_id in self.station.connectors
            else []
        )
        if not targets:
            return call_result.ChangeAvailability(status="Rejected")
        answers = [await c.set_operative(type == "Operative") for c in targets]
        status = "Scheduled" if "Scheduled" in answers else "Accepted"
        return call_result.ChangeAvailability(status=status)

    # ------------------------------------------------------------------ trigger / configuration
    @on("TriggerMessage")
    async def on_trigger(
        self, requested_message: str, call_unique_id: str, connector_id: int | None = None, **_: Any
    ) -> Any:
        await self.before_answer("TriggerMessage")
        station = self.station
        if (
            connector_id is not None
            and connector_id != 0
            and connector_id not in station.connectors
        ):
            return call_result.TriggerMessage(status="Rejected")
        targets = (
            [station.connectors[connector_id]]
            if connector_id
            else list(station.connectors.values())
        )

        async def send() -> None:
            if requested_message == "BootNotification":
                station.send_boot_notification()
            elif requested_message == "Heartbeat":
                station.outbox.submit("Heartbeat", call.Heartbeat)
            elif requested_message == "StatusNotification":
                if connector_id == 0:
                    station.report_main_status()
                for c in targets:
                    c.report_status()
            elif requested_message == "MeterValues":
                for c in targets:
                    c.trigger_meter_values()
            elif requested_message == "DiagnosticsStatusNotification":
                station.outbox.submit(
                    "DiagnosticsStatusNotification",
                    lambda: call.DiagnosticsStatusNotification(status="Idle"),
                )
            else:
                station.outbox.submit(
                    "FirmwareStatusNotification",
                    lambda: call.FirmwareStatusNotification(status="Idle"),
                )

        known = {
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "MeterValues",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
        }
        if requested_message not in known:
            return call_result.TriggerMessage(status="NotImplemented")
        self._later(call_unique_id, send)
        return call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def after_trigger(self, call_unique_id: str, **_: Any) -> None:
        self._run_followup(call_unique_id)

    @on("GetConfiguration")
    async def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        await self.before_answer("GetConfiguration")
        keys = self.station.keys
        wanted = key if key else keys.names()
        known = [
            {"key": k, "readonly": keys.readonly(k), "value": keys.value(k)}
            for k in wanted
            if k in keys
        ]
        unknown = [k for k in wanted if k not in keys]
        return call_result.GetConfiguration(
            configuration_key=known or None, unknown_key=unknown or None
        )

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        await self.before_answer("ChangeConfiguration")
        return call_result.ChangeConfiguration(status=self.station.change_configuration(key, value))

    # ------------------------------------------------------------------ smart charging
    @on("SetChargingProfile")
    async def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> Any:
        await self.before_answer("SetChargingProfile")
        purpose = cs_charging_profiles.get("charging_profile_purpose")
        if connector_id != 0 and connector_id not in self.station.connectors:
            return call_result.SetChargingProfile(status="Rejected")
        if purpose == PURPOSE_MAX and connector_id != 0:
            return call_result.SetChargingProfile(status="Rejected")
        if purpose == PURPOSE_TX:
            connector = self.station.connectors.get(connector_id)
            # A TxProfile needs a running transaction on that connector (1.6 §5.16.3).
            if connector is None or connector.session is None:
                return call_result.SetChargingProfile(status="Rejected")
            tx = cs_charging_profiles.get("transaction_id")
            if tx is not None and tx != connector.session.transaction_id:
                return call_result.SetChargingProfile(status="Rejected")
        self.station.profiles.install(connector_id, cs_charging_profiles, datetime.now(UTC))
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear_charging_profile(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> Any:
        await self.before_answer("ClearChargingProfile")
        removed = self.station.profiles.clear(
            profile_id=id,
            connector_id=connector_id,
            purpose=charging_profile_purpose,
            stack_level=stack_level,
        )
        return call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    # ------------------------------------------------------------------ misc
    @on("DataTransfer")
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_: Any
    ) -> Any:
        await self.before_answer("DataTransfer")
        if vendor_id != DATA_TRANSFER_VENDOR:
            return call_result.DataTransfer(status="UnknownVendorId")
        if message_id not in (None, "echo"):
            return call_result.DataTransfer(status="UnknownMessageId")
        return call_result.DataTransfer(status="Accepted", data=data)

    @on("ClearCache")
    async def on_clear_cache(self, **_: Any) -> Any:
        await self.before_answer("ClearCache")
        return call_result.ClearCache(status="Accepted")


__all__ = ["DATA_TRANSFER_VENDOR", "SimChargePoint"]
