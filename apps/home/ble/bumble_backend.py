"""A bleak 3.x backend running on Google Bumble's virtual controllers (tests and the demo).

This machine (and CI) has no Bluetooth hardware or kernel support, so the home app's BLE layer
is exercised through unmodified ``bleak.BleakScanner``/``BleakClient`` with this backend
injected (``backend=BumbleScanner`` / ``backend=BumbleClient``, ``radio=...``). Everything
above bleak is the production code path; the ATT/GATT stack underneath is Bumble's real one.

Compared with the research sketch it: shares one central between many scanners and clients
(scan reference counting, several simultaneous connections), serialises connection attempts
(a controller initiates one at a time), pauses and resumes scanning around a connect, cleans
up on cancellation (cancels a pending connect, disconnects a connection that completed after
cancellation), restarts cleanly after stop, and maps ATT errors to ``BleakGATTProtocolError``
and link loss to ``BleakError``. When the HCI transport of a simulator in another process goes
away (the simulator was restarted), it reports every open connection as lost and reopens the
transport on next use, so the app reconnects without being restarted itself.

Usage::

    radio = BumbleRadio(link)                       # in-process LocalLink shared with a sim
    radio = BumbleRadio(transport="tcp-client:127.0.0.1:9102")   # simulator in another process
    BleakScanner(backend=BumbleScanner, radio=radio)
    BleakClient(device, backend=BumbleClient, radio=radio)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid as _uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from bleak.assigned_numbers import gatt_char_props_to_strs
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import (
    AdvertisementData,
    AdvertisementDataCallback,
    BaseBleakScanner,
)
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

__all__ = ["BumbleClient", "BumbleRadio", "BumbleScanner", "to_bleak_uuid"]

_T = TypeVar("_T")
_HCI_CONNECTION_TIMEOUT = 0x08  # reason reported for links lost with the transport
_UUID_LIST_TYPES = (
    AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)


def to_bleak_uuid(u: UUID) -> str:
    """Bumble stores UUIDs little-endian; bleak wants the lower-case 128-bit string."""
    return str(_uuid.UUID(bytes=bytes(reversed(u.to_bytes(force_128=True)))))


class BumbleRadio:
    """The app's view of the air: one central Device shared by all scanners and clients."""

    def __init__(
        self,
        link: LocalLink | None = None,
        *,
        transport: str | None = None,
        central_address: str = "C0:00:00:00:00:01",
    ) -> None:
        if (link is None) == (transport is None):
            raise ValueError("give exactly one of link (in-process) or transport (HCI moniker)")
        self.link = link
        self._transport_name = transport
        self._transport: Any = None
        self._central_address = central_address
        self._central: Device | None = None
        self._lock = asyncio.Lock()
        self.connect_lock = asyncio.Lock()  # a controller initiates one connection at a time
        self._scan_users = 0
        self._scan_active = False
        self.transport_losses = 0  # times the simulator process went away (diagnostics)

    @property
    def transport_lost(self) -> bool:
        """The HCI transport (simulator in another process) went away: the central is dead
        and the next ``central()`` reopens the transport."""
        source = getattr(self._transport, "source", None)
        terminated = getattr(source, "terminated", None)
        return isinstance(terminated, asyncio.Future) and terminated.done()

    def _on_transport_lost(self, dev: Device) -> None:
        # The controller is gone with the simulator process, so no disconnection event will
        # ever come from it: report one for every open connection, like a phone whose
        # Bluetooth adapter was reset, so links notice and start reconnecting.
        for conn in list(dev.connections.values()):
            with contextlib.suppress(Exception):
                conn.emit("disconnection", _HCI_CONNECTION_TIMEOUT)
        self.transport_losses += 1

    async def _forget_dead_central(self) -> None:
        dev, transport = self._central, self._transport
        self._central, self._transport = None, None
        self._scan_users, self._scan_active = 0, False
        if dev is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(dev.power_off(), 1.0)
        if transport is not None:
            with contextlib.suppress(Exception):
                await transport.close()

    async def central(self) -> Device:
        async with self._lock:
            if self._central is not None and self.transport_lost:
                await self._forget_dead_central()
            if self._central is None:
                if self._transport_name is not None:
                    from bumble.transport import open_transport

                    # fails (OSError) while the simulator is down; the caller's reconnect
                    # back-off retries
                    self._transport = await open_transport(self._transport_name)
                    dev = Device.with_hci(
                        "home-app",
                        Address(self._central_address),
                        self._transport.source,
                        self._transport.sink,
                    )
                    terminated = getattr(self._transport.source, "terminated", None)
                    if isinstance(terminated, asyncio.Future):
                        lost = functools.partial(self._on_transport_lost, dev)
                        terminated.add_done_callback(lambda _f: lost())
                else:
                    ctrl = Controller(
                        "home-app", link=self.link, public_address=self._central_address
                    )
                    dev = Device(
                        name="home-app",
                        address=Address(self._central_address),
                        host=Host(ctrl, AsyncPipeSink(ctrl)),
                    )
                await dev.power_on()
                self._central = dev
            return self._central

    async def close(self) -> None:
        """Disconnect everything and release the HCI transport."""
        async with self._lock:
            dev, self._central = self._central, None
            if dev is not None:
                for conn in list(dev.connections.values()):
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.disconnect(), 2.0)
                with contextlib.suppress(Exception):
                    await dev.power_off()
            if self._transport is not None:
                with contextlib.suppress(Exception):
                    await self._transport.close()
                self._transport = None

    async def acquire_scan(self, active: bool) -> Device:
        dev = await self.central()
        self._scan_users += 1
        self._scan_active = self._scan_active or active
        if not dev.is_scanning:
            await dev.start_scanning(active=self._scan_active, filter_duplicates=False)
        return dev

    async def release_scan(self) -> None:
        self._scan_users = max(0, self._scan_users - 1)
        dev = self._central
        if self._scan_users == 0 and dev is not None:
            self._scan_active = False
            if dev.is_scanning:
                await dev.stop_scanning()

    async def pause_scan(self) -> bool:
        dev = self._central
        if dev is not None and dev.is_scanning:
            await dev.stop_scanning()
            return True
        return False

    async def resume_scan(self) -> None:
        dev = self._central
        if dev is not None and self._scan_users > 0 and not dev.is_scanning:
            await dev.start_scanning(active=self._scan_active, filter_duplicates=False)


class BumbleScanner(BaseBleakScanner):
    """``BleakScanner(backend=BumbleScanner, radio=radio)``."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        radio: BumbleRadio,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = radio
        self._active = scanning_mode == "active"
        self._dev: Device | None = None

    def _on_adv(self, adv: Advertisement) -> None:
        d = adv.data
        uuids: list[str] = []
        for list_type in _UUID_LIST_TYPES:
            value = d.get(list_type)
            if isinstance(value, list):
                uuids.extend(to_bleak_uuid(u) for u in value if isinstance(u, UUID))
        if not self.is_allowed_uuid(uuids):
            return
        name = d.get(AdvertisingData.COMPLETE_LOCAL_NAME) or d.get(
            AdvertisingData.SHORTENED_LOCAL_NAME
        )
        mfr = d.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA)
        sdata = d.get_all(AdvertisingData.SERVICE_DATA_128_BIT_UUID) + d.get_all(
            AdvertisingData.SERVICE_DATA_16_BIT_UUID
        )
        ad = AdvertisementData(
            local_name=name,
            manufacturer_data={cid: bytes(v) for cid, v in mfr},
            service_data={to_bleak_uuid(u): bytes(v) for u, v in sdata},
            service_uuids=uuids,
            tx_power=d.get(AdvertisingData.TX_POWER_LEVEL),
            rssi=adv.rssi,
            platform_data=(adv,),
        )
        addr = adv.address.to_string(False)
        device = self.create_or_update_device(addr, addr, name, adv.address, ad)
        self.call_detection_callbacks(device, ad)

    async def start(self) -> None:
        if self._dev is not None:  # restart: stop the previous run first
            await self.stop()
        self.seen_devices = {}
        dev = await self._radio.acquire_scan(self._active)
        dev.on("advertisement", self._on_adv)
        self._dev = dev

    async def stop(self) -> None:
        dev, self._dev = self._dev, None
        if dev is not None:
            dev.remove_listener("advertisement", self._on_adv)
            await self._radio.release_scan()


class BumbleClient(BaseBleakClient):
    """``BleakClient(device, backend=BumbleClient, radio=radio[, mtu=247])``."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        radio: BumbleRadio,
        mtu: int = 247,
        services: set[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._radio = radio
        self._mtu = mtu
        details = getattr(address_or_ble_device, "details", None)
        self._peer_addr = details if isinstance(details, Address) else Address(self.address)
        self._conn: Connection | None = None
        self._peer: Peer | None = None
        self._subs: dict[int, Any] = {}

    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return self._conn.att_mtu if self._conn is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._conn is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        dev = await self._radio.central()
        async with self._radio.connect_lock:
            resumed = await self._radio.pause_scan()
            try:
                conn = await self._connect(dev)
            finally:
                if resumed:
                    await self._radio.resume_scan()
        self._conn = conn
        conn.on("disconnection", self._on_disconnect)
        try:
            if pair:
                await self._att(conn.pair())
            peer = Peer(conn)
            if self._mtu > 23:
                await self._att(peer.request_mtu(self._mtu))
            await self._att(peer.discover_all())  # type: ignore[no-untyped-call]
            self._peer = peer
            self.services = self._build_services(peer)
        except BaseException:
            await self._drop()
            raise

    async def _connect(self, dev: Device) -> Connection:
        task = asyncio.ensure_future(dev.connect(self._peer_addr))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self._timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            with contextlib.suppress(Exception):
                await dev.cancel_connection(self._peer_addr)  # type: ignore[no-untyped-call]
            with contextlib.suppress(BaseException):
                late = await asyncio.wait_for(task, 1.0)
                await late.disconnect()  # completed despite the cancel: do not leak it
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise BleakDeviceNotFoundError(
                self.address, f"Device {self.address} not connectable"
            ) from exc
        except Exception as exc:
            raise BleakError(f"connect to {self.address} failed: {exc}") from exc

    def _build_services(self, peer: Peer) -> BleakGATTServiceCollection:
        coll = BleakGATTServiceCollection()
        for s in peer.services:
            bs = BleakGATTService(s, s.handle, to_bleak_uuid(s.uuid))
            coll.add_service(bs)
            for c in s.characteristics:
                bc = BleakGATTCharacteristic(
                    c,
                    c.handle,
                    to_bleak_uuid(c.uuid),
                    list(gatt_char_props_to_strs(c.properties)),
                    lambda: self.mtu_size - 3,
                    bs,
                )
                coll.add_characteristic(bc)
                for d in c.descriptors:
                    coll.add_descriptor(BleakGATTDescriptor(d, d.handle, to_bleak_uuid(d.type), bc))
        return coll

    def _on_disconnect(self, reason: int) -> None:
        self._conn = self._peer = None
        self._subs.clear()
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def _drop(self) -> None:
        conn, self._conn, self._peer = self._conn, None, None
        if conn is not None:
            conn.remove_listener("disconnection", self._on_disconnect)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.disconnect(), 2.0)

    async def disconnect(self) -> None:
        # only unsolicited disconnects call the disconnected callback
        await self._drop()
        self._subs.clear()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        if self._conn is None:
            raise BleakError("Not connected")
        await self._att(self._conn.pair())

    async def unpair(self) -> None:
        dev = await self._radio.central()
        if dev.keystore is not None:
            await dev.keystore.delete(str(self._peer_addr))
        await self.disconnect()

    def _require(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def _att(self, aw: Awaitable[_T]) -> _T:
        try:
            return await aw
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc
        except asyncio.CancelledError as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we are being cancelled: propagate
            # Bumble cancels pending ATT requests when the link drops
            raise BleakError("Not connected (link lost during operation)") from exc
        except BleakError:
            raise
        except Exception as exc:
            if self._conn is None:
                raise BleakError("Not connected (link lost during operation)") from exc
            raise BleakError(f"GATT operation failed: {exc!r}") from exc

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await self._att(self._require().read_value(characteristic.handle)))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await self._att(self._require().read_value(descriptor.handle)))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        peer = self._require()
        await self._att(
            peer.write_value(characteristic.handle, bytes(data), with_response=response)
        )

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        peer = self._require()
        await self._att(peer.write_value(descriptor.handle, bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        def sub(value: bytes) -> None:
            callback(bytearray(value))

        await self._att(self._require().subscribe(characteristic.obj, sub))
        self._subs[characteristic.handle] = sub

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        sub = self._subs.pop(characteristic.handle, None)
        await self._att(self._require().unsubscribe(characteristic.obj, sub))
