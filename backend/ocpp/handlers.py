"""The central system's answers to every charger-initiated OCPP 1.6 action.

One :class:`CentralSystemChargePoint` per websocket. Handlers are deliberately thin: unpack the
(library-validated) payload, call one domain service, return the ``call_result``. No SQL here
and no CSMS-initiated call from inside a handler (it would deadlock the library's single
receive loop; see notes/ocpp.md §1).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from ocpp.v16 import call_result

from backend import payments
from backend.context import AppContext
from backend.ocpp._ocpplib import ChargePoint16, on
from backend.ocpp.transport import StarletteConnection
from backend.services import charging, ocpp_chargers, ocpp_meter
from backend.services.ocpp_chargers import ChargerRef, Writer
from backend.services.ocpp_writes import Batcher, MeterBatcher

DATA_TRANSFER_VENDOR = "com.chargepile"


def _ts(value: object) -> datetime | None:
    return ocpp_meter.parse_time(value)


class CentralSystemChargePoint(ChargePoint16):
    """The central system's side of one charger connection."""

    def __init__(
        self,
        ref: ChargerRef,
        connection: StarletteConnection,
        ctx: AppContext,
        *,
        writer: Writer,
        meters: MeterBatcher,
        boots: Batcher[ocpp_chargers.BootInfo, str],
        heartbeats: Batcher[tuple[ChargerRef, datetime], None],
        response_timeout: float,
    ) -> None:
        super().__init__(ref.ocpp_id, connection, response_timeout=response_timeout)
        self.ref = ref
        self.connection = connection
        self.ctx = ctx
        self.writer = writer
        """Where writes go (group commit on SQLite); reads use ``ctx.sessions``."""
        self.meters = meters
        self.boots = boots
        self.heartbeats = heartbeats

    # ChargerLink protocol (backend.ocpp.registry)
    async def disconnect(self, code: int, reason: str) -> None:
        await self.connection.close(code, reason)

    def idle_seconds(self) -> float:
        return time.monotonic() - self.connection.last_frame

    # ------------------------------------------------------------------ core profile
    @on("BootNotification")
    async def on_boot_notification(
        self,
        charge_point_vendor: str,
        charge_point_model: str,
        charge_point_serial_number: str | None = None,
        charge_box_serial_number: str | None = None,
        firmware_version: str | None = None,
        **_: Any,
    ) -> Any:
        now = self.ctx.clock()
        status = await self.boots.submit(
            ocpp_chargers.BootInfo(
                ref=self.ref,
                vendor=charge_point_vendor,
                model=charge_point_model,
                serial_number=charge_point_serial_number or charge_box_serial_number,
                firmware_version=firmware_version,
                now=now,
            )
        )
        return call_result.BootNotification(
            current_time=now.isoformat(),
            interval=self.ctx.settings.ocpp_heartbeat_interval,
            status=status,
        )

    @on("Heartbeat")
    async def on_heartbeat(self, **_: Any) -> Any:
        now = self.ctx.clock()
        await self.heartbeats.submit((self.ref, now))
        return call_result.Heartbeat(current_time=now.isoformat())

    @on("StatusNotification")
    async def on_status_notification(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        timestamp: str | None = None,
        info: str | None = None,
        vendor_error_code: str | None = None,
        **_: Any,
    ) -> Any:
        await ocpp_chargers.status_notification(
            self.writer,
            self.ctx.events,
            self.ref,
            connector_no=connector_id,
            status=status,
            error_code=error_code,
            info=info,
            vendor_error_code=vendor_error_code,
            timestamp=_ts(timestamp),
            now=self.ctx.clock(),
        )
        return call_result.StatusNotification()

    @on("Authorize")
    async def on_authorize(self, id_tag: str, **_: Any) -> Any:
        info = await charging.authorize(
            self.ctx.sessions, self.ref, id_tag=id_tag, now=self.ctx.clock()
        )
        return call_result.Authorize(id_tag_info=info.as_ocpp())

    @on("StartTransaction")
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> Any:
        now = self.ctx.clock()
        transaction_id, info = await charging.start_transaction(
            self.writer,
            self.ctx.events,
            self.ref,
            connector_no=connector_id,
            id_tag=id_tag,
            meter_start=meter_start,
            timestamp=_ts(timestamp) or now,
            now=now,
        )
        return call_result.StartTransaction(
            transaction_id=transaction_id, id_tag_info=info.as_ocpp()
        )

    @on("MeterValues")
    async def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
        **_: Any,
    ) -> Any:
        if self.meters.running:
            await self.meters.submit(
                self.ref,
                transaction_id=transaction_id,
                meter_value=meter_value,
                now=self.ctx.clock(),
            )
        else:
            await charging.meter_values(
                self.writer,
                self.ctx.events,
                self.ref,
                connector_no=connector_id,
                transaction_id=transaction_id,
                meter_value=meter_value,
                now=self.ctx.clock(),
            )
        return call_result.MeterValues()

    @on("StopTransaction")
    async def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        now = self.ctx.clock()
        info = await charging.stop_transaction(
            self.writer,
            self.ctx.events,
            self.ref,
            transaction_id=transaction_id,
            meter_stop=meter_stop,
            timestamp=_ts(timestamp) or now,
            reason=reason,
            id_tag=id_tag,
            transaction_data=transaction_data,
            now=now,
            settled=lambda: payments.notify(self.ctx),
        )
        return call_result.StopTransaction(id_tag_info=info.as_ocpp() if info else None)

    @on("DataTransfer")
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_: Any
    ) -> Any:
        # 1.6 §4.3: a vendorId the central system does not know gets UnknownVendorId.
        if vendor_id != DATA_TRANSFER_VENDOR:
            return call_result.DataTransfer(status="UnknownVendorId")
        if message_id not in (None, "echo"):
            return call_result.DataTransfer(status="UnknownMessageId")
        return call_result.DataTransfer(status="Accepted", data=data)

    # ------------------------------------------------------------------ firmware management
    @on("FirmwareStatusNotification")
    async def on_firmware_status(self, status: str, **_: Any) -> Any:
        await ocpp_chargers.firmware_or_diagnostics_status(
            self.writer, self.ref, kind="firmware", status=status
        )
        return call_result.FirmwareStatusNotification()

    @on("DiagnosticsStatusNotification")
    async def on_diagnostics_status(self, status: str, **_: Any) -> Any:
        await ocpp_chargers.firmware_or_diagnostics_status(
            self.writer, self.ref, kind="diagnostics", status=status
        )
        return call_result.DiagnosticsStatusNotification()


__all__ = ["DATA_TRANSFER_VENDOR", "CentralSystemChargePoint"]
