"""The central system's answers to every charger-initiated OCPP 1.6 action.

One :class:`CentralSystemChargePoint` per websocket (its receive loop is
:class:`backend.ocpp.dispatch.FrameLoop`). Handlers are deliberately thin: take the
schema-checked payload (wire form, camelCase keys), call one domain service, return the answer
payload. No SQL here and no CSMS-initiated call from inside a handler (the connection's frames
are handled one at a time, so the answer could never be read: notes/ocpp.md §1).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar

from backend import payments
from backend.context import AppContext
from backend.ocpp.dispatch import FrameLoop, Handler, TokenBucket
from backend.ocpp.frames import Schemas
from backend.ocpp.meters import MeterBatcher
from backend.ocpp.transport import StarletteConnection
from backend.services import charging, ocpp_chargers, ocpp_meter
from backend.services.ocpp_chargers import ChargerRef, Writer
from backend.services.ocpp_writes import Batcher

DATA_TRANSFER_VENDOR = "com.chargepile"

Payload = dict[str, Any]


def _ts(value: object) -> datetime | None:
    return ocpp_meter.parse_time(value)


class CentralSystemChargePoint(FrameLoop):
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
        schemas: Schemas,
        limiter: TokenBucket,
        response_timeout: float,
    ) -> None:
        super().__init__(
            ref.ocpp_id,
            connection,
            schemas=schemas,
            limiter=limiter,
            response_timeout=response_timeout,
        )
        self.ref = ref
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
    async def on_boot_notification(self, p: Payload) -> Payload:
        now = self.ctx.clock()
        status = await self.boots.submit(
            ocpp_chargers.BootInfo(
                ref=self.ref,
                vendor=p["chargePointVendor"],
                model=p["chargePointModel"],
                serial_number=p.get("chargePointSerialNumber") or p.get("chargeBoxSerialNumber"),
                firmware_version=p.get("firmwareVersion"),
                now=now,
            )
        )
        return {
            "currentTime": now.isoformat(),
            "interval": self.ctx.settings.ocpp_heartbeat_interval,
            "status": status,
        }

    async def on_heartbeat(self, p: Payload) -> Payload:
        now = self.ctx.clock()
        await self.heartbeats.submit((self.ref, now))
        return {"currentTime": now.isoformat()}

    async def on_status_notification(self, p: Payload) -> Payload:
        await ocpp_chargers.status_notification(
            self.writer,
            self.ctx.events,
            self.ref,
            connector_no=p["connectorId"],
            status=p["status"],
            error_code=p["errorCode"],
            info=p.get("info"),
            vendor_error_code=p.get("vendorErrorCode"),
            timestamp=_ts(p.get("timestamp")),
            now=self.ctx.clock(),
        )
        return {}

    async def on_authorize(self, p: Payload) -> Payload:
        info = await charging.authorize(
            self.ctx.sessions, self.ref, id_tag=p["idTag"], now=self.ctx.clock()
        )
        return {"idTagInfo": info.as_ocpp()}

    async def on_start_transaction(self, p: Payload) -> Payload:
        now = self.ctx.clock()
        transaction_id, info = await charging.start_transaction(
            self.writer,
            self.ctx.events,
            self.ref,
            connector_no=p["connectorId"],
            id_tag=p["idTag"],
            meter_start=p["meterStart"],
            timestamp=_ts(p["timestamp"]) or now,
            now=now,
        )
        return {"transactionId": transaction_id, "idTagInfo": info.as_ocpp()}

    async def on_meter_values(self, p: Payload) -> Payload:
        if self.meters.running:
            await self.meters.submit(
                self.ref,
                transaction_id=p.get("transactionId"),
                meter_value=p["meterValue"],
                now=self.ctx.clock(),
            )
        else:
            await charging.meter_values(
                self.writer,
                self.ctx.events,
                self.ref,
                connector_no=p["connectorId"],
                transaction_id=p.get("transactionId"),
                meter_value=p["meterValue"],
                now=self.ctx.clock(),
            )
        return {}

    async def on_stop_transaction(self, p: Payload) -> Payload:
        now = self.ctx.clock()
        info = await charging.stop_transaction(
            self.writer,
            self.ctx.events,
            self.ref,
            transaction_id=p["transactionId"],
            meter_stop=p["meterStop"],
            timestamp=_ts(p["timestamp"]) or now,
            reason=p.get("reason"),
            id_tag=p.get("idTag"),
            transaction_data=p.get("transactionData"),
            now=now,
            settled=lambda: payments.notify(self.ctx),
        )
        return {"idTagInfo": info.as_ocpp()} if info else {}

    async def on_data_transfer(self, p: Payload) -> Payload:
        # 1.6 §4.3: a vendorId the central system does not know gets UnknownVendorId.
        if p["vendorId"] != DATA_TRANSFER_VENDOR:
            return {"status": "UnknownVendorId"}
        if p.get("messageId") not in (None, "echo"):
            return {"status": "UnknownMessageId"}
        data = p.get("data")
        return {"status": "Accepted"} if data is None else {"status": "Accepted", "data": data}

    # ------------------------------------------------------------------ firmware management
    async def on_firmware_status(self, p: Payload) -> Payload:
        await ocpp_chargers.firmware_or_diagnostics_status(
            self.writer, self.ref, kind="firmware", status=p["status"]
        )
        return {}

    async def on_diagnostics_status(self, p: Payload) -> Payload:
        await ocpp_chargers.firmware_or_diagnostics_status(
            self.writer, self.ref, kind="diagnostics", status=p["status"]
        )
        return {}

    routes: ClassVar[Mapping[str, Handler]] = MappingProxyType(
        {
            "BootNotification": on_boot_notification,
            "Heartbeat": on_heartbeat,
            "StatusNotification": on_status_notification,
            "Authorize": on_authorize,
            "StartTransaction": on_start_transaction,
            "MeterValues": on_meter_values,
            "StopTransaction": on_stop_transaction,
            "DataTransfer": on_data_transfer,
            "FirmwareStatusNotification": on_firmware_status,
            "DiagnosticsStatusNotification": on_diagnostics_status,
        }
    )


__all__ = ["DATA_TRANSFER_VENDOR", "CentralSystemChargePoint"]
