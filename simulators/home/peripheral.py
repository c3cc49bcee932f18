"""The simulated charger as a real BLE GATT peripheral on Google's Bumble stack.

This module only moves bytes: GATT writes go into ``ChargerCore.receive`` and whatever the
core queues goes out as notifications, one message's fragments at a time per connection. It
also runs the schedule tick, keeps the advertisement's pairing-window flag current, and
implements the radio-level test controls (drop links, reboot, lose the next response).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from typing import Any

from bumble import att
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from home_protocol.framing import fragment_size_for_mtu
from home_protocol.gatt import (
    COMPANY_ID,
    INFO_CHAR_UUID,
    RX_CHAR_UUID,
    SERVICE_UUID,
    TX_CHAR_UUID,
    advertised_name,
    encode_manufacturer_data,
)
from home_protocol.messages import MessageKind
from simulators.home.core import ChargerCore

__all__ = ["HomeChargerPeripheral"]

logger = logging.getLogger(__name__)
_HCI_REMOTE_USER_TERMINATED = 0x13


class HomeChargerPeripheral:
    """Binds a ChargerCore to a Bumble ``Device`` (not yet powered on)."""

    def __init__(
        self,
        core: ChargerCore,
        device: Device,
        *,
        advertising_interval_ms: float = 20.0,
        max_mtu: int = 247,
        tick_interval: float = 0.2,
    ) -> None:
        self.core = core
        self.device = device
        self._adv_interval = advertising_interval_ms
        self._max_mtu = max_mtu
        self._tick_interval = tick_interval
        self._connections: dict[int, Connection] = {}
        self._send_lock = asyncio.Lock()
        self._adv_lock = asyncio.Lock()
        self._tick_task: asyncio.Task[None] | None = None
        self._readvertise: asyncio.Task[None] | None = None
        self._window_flag: bool | None = None
        self.drop_before_next_response = False
        self.mute_responses = False  # execute commands but never answer (app must time out)
        self.writes_received = 0
        self.internal_errors = 0  # written fragments the core failed on (fuzz tests: stays 0)
        self._tx: Characteristic[bytes] = Characteristic(
            UUID(TX_CHAR_UUID),
            Characteristic.Properties.NOTIFY,
            Characteristic.READABLE,
            # notifications carry their own value; a write must not plant one for readers
            CharacteristicValue[bytes](read=lambda _c: b"", write=self._refuse_write),
        )
        info: Characteristic[bytes] = Characteristic(
            UUID(INFO_CHAR_UUID),
            Characteristic.Properties.READ,
            Characteristic.READABLE,
            CharacteristicValue[bytes](read=self._read_info, write=self._refuse_write),
        )
        rx: Characteristic[bytes] = Characteristic(
            UUID(RX_CHAR_UUID),
            Characteristic.Properties.WRITE | Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
            Characteristic.WRITEABLE,
            CharacteristicValue[bytes](write=self._on_write),
        )
        device.add_service(Service(UUID(SERVICE_UUID), [info, rx, self._tx]))
        device.on("connection", self._on_connection)
        self._read_only = frozenset({info.handle, self._tx.handle})
        self._server_write_command = device.gatt_server.on_att_write_command
        # Bumble looks ATT handlers up by name on the server instance
        device.gatt_server.on_att_write_command = self._on_write_command

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def start(self) -> None:
        self.device.gatt_server.max_mtu = self._max_mtu
        await self.device.power_on()
        await self._advertise()
        self._tick_task = asyncio.create_task(self._tick_loop(), name="home-sim-tick")

    async def stop(self) -> None:
        if self._tick_task is not None:
            self._tick_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick_task
            self._tick_task = None
        if self._readvertise is not None:
            self._readvertise.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._readvertise
        await self.drop_links()
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()
        with contextlib.suppress(Exception):
            await self.device.power_off()

    # --- advertising --------------------------------------------------------------------

    async def _advertise(self) -> None:
        # One (re)start at a time: the tick (pairing window changed), a new connection and the
        # pairing button can all ask at once, and two interleaved stop/start sequences make
        # Bumble fail (KeyError on the removed advertising set), leaving the charger silent.
        async with self._adv_lock:
            await self._advertise_now()

    async def _advertise_now(self) -> None:
        window = self.core.pairing_window_open
        self._window_flag = window
        adv = AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (
                    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                    UUID(SERVICE_UUID).to_bytes(),
                ),
                (
                    AdvertisingData.MANUFACTURER_SPECIFIC_DATA,
                    struct.pack("<H", COMPANY_ID)
                    + encode_manufacturer_data(self.core.store.identity.serial, window),
                ),
            ]
        )
        name = advertised_name(self.core.store.identity.serial).encode("ascii")
        scan_response = AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, name)])
        if self.device.is_advertising:
            await self.device.stop_advertising()
        await self.device.start_advertising(
            auto_restart=True,
            advertising_data=bytes(adv),
            scan_response_data=bytes(scan_response),
            advertising_interval_min=self._adv_interval,
            advertising_interval_max=self._adv_interval,
        )

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self._tick_interval)
            try:
                self.core.model.tick()
                if self.core.pairing_window_open != self._window_flag:
                    await self._advertise()
                await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("home simulator tick failed")

    # --- GATT plumbing ------------------------------------------------------------------

    def _read_info(self, connection: Connection) -> bytes:
        return self.core.info().encode()

    def _on_write_command(self, bearer: Any, request: att.ATT_Write_Command) -> None:
        """Drop Write Commands to read-only characteristics silently, as ATT specifies (a
        command has no error response). Bumble would run the refusing write handler and log
        each one as an exception with a traceback: a flood of them from any stranger in range
        would bury the charger's log."""
        if request.attribute_handle in self._read_only:
            return
        self._server_write_command(bearer, request)

    def _refuse_write(self, connection: Connection, value: bytes) -> None:
        # Bumble's GATT server does not enforce write permissions itself
        raise att.ATT_Error(att.ATT_WRITE_NOT_PERMITTED_ERROR)

    def _on_connection(self, connection: Connection) -> None:
        conn_id = connection.handle
        self._connections[conn_id] = connection
        self.core.connect(conn_id, fragment_size_for_mtu(connection.att_mtu))

        def on_mtu() -> None:
            self.core.set_fragment_size(conn_id, fragment_size_for_mtu(connection.att_mtu))

        def on_disconnection(reason: Any) -> None:
            self._connections.pop(conn_id, None)
            self.core.disconnect(conn_id)

        connection.on("connection_att_mtu_update", on_mtu)
        connection.on("disconnection", on_disconnection)
        # keep advertising while connected so a second phone (or the enrolment of one while
        # another holds a session) can still find and connect to the charger
        if self._readvertise is None or self._readvertise.done():
            self._readvertise = asyncio.create_task(self._advertise_if_stopped())

    async def _advertise_if_stopped(self) -> None:
        try:
            if not self.device.is_advertising:
                await self._advertise()
        except Exception as exc:
            logger.info("could not resume advertising: %s", exc)

    async def _on_write(self, connection: Connection, value: bytes) -> None:
        self.writes_received += 1
        try:
            self.core.receive(connection.handle, bytes(value), time.monotonic())
        except Exception:
            # last line of defence: whatever a stranger writes, the charger keeps serving
            # everyone else (the fuzz tests require this counter to stay 0)
            self.internal_errors += 1
            logger.exception("charger core failed on a written fragment")
        await self._flush()

    async def _flush(self) -> None:
        async with self._send_lock:
            for out in self.core.take_outgoing():
                connection = self._connections.get(out.conn_id)
                if connection is None:
                    continue
                if self.mute_responses and out.kind is MessageKind.RESPONSE:
                    continue
                if self.drop_before_next_response and out.kind is MessageKind.RESPONSE:
                    # the command was executed, but its answer is lost with the link
                    self.drop_before_next_response = False
                    await self._disconnect(connection)
                    continue
                try:
                    for fragment in out.fragments:
                        await self.device.notify_subscriber(connection, self._tx, fragment)
                except Exception as exc:  # link went away while notifying
                    logger.info("notification to %s failed: %s", out.conn_id, exc)

    async def _disconnect(self, connection: Connection) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.disconnect(_HCI_REMOTE_USER_TERMINATED), 2.0)

    # --- controls -----------------------------------------------------------------------

    async def drop_links(self) -> None:
        """Disconnect every central, as if the radio link were lost."""
        for connection in list(self._connections.values()):
            await self._disconnect(connection)

    async def reboot(self) -> None:
        """Power-cycle the charger: links drop, sessions die, a new epoch starts."""
        await self.drop_links()
        self.core.model.power_cycle()
        self.core.reboot()
        await self._advertise()

    async def refresh_advertising(self) -> None:
        """Re-advertise now (e.g. after the pairing button changed the window flag)."""
        await self._advertise()
