"""``HomeChargerLink`` over bleak: the production BLE path of the home app.

Production uses bleak's OS backend (``scanner_backend=None, client_backend=None``); tests and
the demo inject the Bumble backend (apps.home.ble.bumble_backend) and everything above bleak
stays the same. Behaviour:

* A supervisor task keeps one connection to the selected charger: scan for it, connect,
  subscribe, check its key, handshake; on link loss it reconnects on its own with capped
  exponential back-off and jitter, and re-subscribes (a new BleakClient each time, as bleak
  requires).
* Every command has a timeout. One command is in flight at a time. A command interrupted by
  a link drop is re-sent after the reconnect with the *same request id*, so the charger answers
  from memory instead of acting twice. STALE_EPOCH / NO_SESSION / COUNTER_REPLAY / EXPIRED
  answers (charger rebooted, clocks drifted) trigger a new handshake and one more try.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError, BleakGATTProtocolError
from cryptography.hazmat.primitives.asymmetric import ec

from apps.home.ble.channel import LinkLost, MessageChannel
from apps.home.ble.enrolment import enroll_with_client, parse_advertisement
from apps.home.ble.errors import (
    ChargerNotFound,
    ChargerRefused,
    CommandTimeout,
    HomeLinkError,
    IdentityMismatch,
    LinkClosedError,
    NotConnectedError,
)
from apps.home.ble.link import (
    ChargerPairing,
    DiscoveredCharger,
    HomeChargerLink,
    LinkEvent,
    LinkListener,
    LinkState,
    LinkStateChanged,
    StatusChanged,
)
from apps.home.ble.operations import ChargerOperations
from home_protocol.cbor import CborKey, CborValue
from home_protocol.commands import (
    REQUEST_ID_SIZE,
    ChargerStatus,
    EventType,
    Op,
)
from home_protocol.crypto import random_bytes
from home_protocol.errors import HomeProtocolError
from home_protocol.gatt import (
    INFO_CHAR_UUID,
    SERVICE_UUID,
    ChargerInfo,
    serial_tag,
)
from home_protocol.label import ChargerLabel
from home_protocol.messages import ErrorMessage, Event, Response, SessionInfo
from home_protocol.messages import encode_message as encode
from home_protocol.reasons import ReasonCode, Role
from home_protocol.session import ClientSession

__all__ = ["BleakHomeChargerLink"]

logger = logging.getLogger(__name__)

_RESYNC_REASONS = frozenset(
    {
        ReasonCode.STALE_EPOCH,
        ReasonCode.NO_SESSION,
        ReasonCode.COUNTER_REPLAY,
        ReasonCode.EXPIRED,
        ReasonCode.EXPIRY_TOO_FAR,
    }
)


class BleakHomeChargerLink(ChargerOperations):
    """``HomeChargerLink`` over bleak (see the module docstring).

    ``app_key``: this app's P-256 private key (``keys.load_or_create_app_key``).
    ``scanner_backend`` / ``client_backend``: bleak backend classes, None = the OS's;
    ``backend_kwargs`` are passed to both (e.g. ``{"radio": BumbleRadio(...)}``).
    Timeouts in seconds: ``command_timeout`` bounds each command including reconnects and
    retries, ``connect_timeout`` each connection attempt and ``connect()``, ``scan_timeout``
    the search for the charger. Reconnect back-off doubles from ``backoff_initial`` up to
    ``backoff_max`` with ±20 % jitter, and restarts after each successful session.
    """

    def __init__(
        self,
        app_key: ec.EllipticCurvePrivateKey,
        *,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        backend_kwargs: Mapping[str, Any] | None = None,
        command_timeout: float = 5.0,
        connect_timeout: float = 10.0,
        scan_timeout: float = 5.0,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
    ) -> None:
        self._key = app_key
        self._scanner_backend = scanner_backend
        self._client_backend = client_backend
        self._backend_kwargs = dict(backend_kwargs or {})
        self.command_timeout = command_timeout
        self.connect_timeout = connect_timeout
        self.scan_timeout = scan_timeout
        self._backoff = (backoff_initial, backoff_max)
        self._state = LinkState.DISCONNECTED
        self._status: ChargerStatus | None = None
        self._pairing: ChargerPairing | None = None
        self._listeners: list[LinkListener] = []
        self._supervisor: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._op_lock = asyncio.Lock()
        self._channel: MessageChannel | None = None
        self._session: ClientSession | None = None
        self._last_error = ""
        self._refused = asyncio.Event()  # set when the charger definitively refused a session
        self._refusal: ReasonCode | None = None
        self.reconnects = 0  # successful sessions after the first one (diagnostics, bench)

    # --- observation ----------------------------------------------------------------------

    @property
    def state(self) -> LinkState:
        return self._state

    @property
    def status(self) -> ChargerStatus | None:
        return self._status

    @property
    def pairing(self) -> ChargerPairing | None:
        return self._pairing

    @property
    def session_epoch(self) -> bytes | None:
        """Epoch of the current session (diagnostics: changes when the charger reboots)."""
        return self._session.epoch if self._session is not None else None

    def subscribe(self, listener: LinkListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: LinkEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("link listener failed")

    def _set_state(self, state: LinkState, detail: str = "") -> None:
        if state is not self._state:
            self._state = state
            self._emit(LinkStateChanged(state, detail))

    def _set_status(self, status: ChargerStatus) -> None:
        self._status = status
        self._emit(StatusChanged(status))

    # --- bleak plumbing -------------------------------------------------------------------

    def _scanner_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"service_uuids": [SERVICE_UUID]}
        if self._scanner_backend is not None:
            kw["backend"] = self._scanner_backend
        kw.update(self._backend_kwargs)
        return kw

    def _client(self, device: BLEDevice, on_disconnect: Callable[[], None]) -> BleakClient:
        kw: dict[str, Any] = dict(self._backend_kwargs)
        if self._client_backend is not None:
            kw["backend"] = self._client_backend
        return BleakClient(
            device,
            disconnected_callback=lambda _c: on_disconnect(),
            timeout=self.connect_timeout,
            **kw,
        )

    async def _find(
        self, predicate: Callable[[BLEDevice, AdvertisementData], bool], timeout: float
    ) -> BLEDevice | None:
        return await BleakScanner.find_device_by_filter(
            lambda d, ad: SERVICE_UUID in ad.service_uuids and predicate(d, ad),
            timeout=timeout,
            **self._scanner_kwargs(),
        )

    async def scan(self, timeout: float = 5.0) -> list[DiscoveredCharger]:
        self._check_open()
        found = await BleakScanner.discover(
            timeout=timeout, return_adv=True, **self._scanner_kwargs()
        )
        result = []
        for device, ad in found.values():
            parsed = parse_advertisement(ad)
            if parsed is None:
                continue
            window, tag = parsed
            name = ad.local_name or device.name or ("CPH-" + tag.hex())
            result.append(DiscoveredCharger(device.address, name, window, ad.rssi))
        return sorted(result, key=lambda c: -(c.rssi if c.rssi is not None else -999))

    # --- enrolment --------------------------------------------------------------------------

    async def enroll(
        self, label: ChargerLabel, *, role: Role = Role.OWNER, name: str = "phone"
    ) -> ChargerPairing:
        self._check_open()
        wanted = serial_tag(label.serial)

        def is_labelled(_d: BLEDevice, ad: AdvertisementData) -> bool:
            parsed = parse_advertisement(ad)
            return parsed is not None and parsed[1] == wanted

        device = await self._find(is_labelled, self.scan_timeout)
        if device is None:
            raise ChargerNotFound(f"charger {label.serial} is not advertising nearby")
        channel: list[MessageChannel] = []  # filled by enroll_with_client once opened

        def on_disconnect() -> None:
            for c in channel:
                c.mark_lost()

        client = self._client(device, on_disconnect)
        return await enroll_with_client(
            client,
            channel,
            self._key,
            label,
            role=role,
            name=name,
            timeout=self.connect_timeout + self.command_timeout,
        )

    # --- connection supervision ---------------------------------------------------------------

    def _check_open(self) -> None:
        if self._state is LinkState.CLOSED:
            raise LinkClosedError("link closed")

    async def connect(self, pairing: ChargerPairing) -> None:
        self._check_open()
        if self._pairing != pairing or self._supervisor is None or self._supervisor.done():
            await self._stop_supervisor()
            self._pairing = pairing
            self._set_state(LinkState.CONNECTING)
            self._supervisor = asyncio.create_task(self._supervise(), name="home-link-supervisor")
        self._refused.clear()
        try:
            async with asyncio.timeout(self.connect_timeout):
                await self._wait_session()
        except TimeoutError as exc:
            raise NotConnectedError(self._last_error or "charger not reachable") from exc

    async def _wait_session(self) -> None:
        """Wait until a session is up; NotConnectedError as soon as the charger refuses one
        (the supervisor keeps trying in the background, e.g. until the owner approves)."""
        if self._connected.is_set():
            return
        connected = asyncio.ensure_future(self._connected.wait())
        refused = asyncio.ensure_future(self._refused.wait())
        try:
            await asyncio.wait({connected, refused}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            connected.cancel()
            refused.cancel()
        if not self._connected.is_set():
            raise NotConnectedError(self._last_error or "session refused", self._refusal)

    async def disconnect(self) -> None:
        await self._stop_supervisor()
        if self._state is not LinkState.CLOSED:
            self._set_state(LinkState.DISCONNECTED)

    async def close(self) -> None:
        await self.disconnect()
        self._set_state(LinkState.CLOSED)

    async def _stop_supervisor(self) -> None:
        task, self._supervisor = self._supervisor, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _supervise(self) -> None:
        delay = self._backoff[0]
        sessions = 0
        while True:
            established = False
            try:
                established = await self._run_connection(sessions)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure of one attempt must not end supervision
                # A lower layer (the BLE stack) may swallow our cancellation and fail the attempt
                # instead; the request is still pending on the task, so honour it here rather
                # than retrying forever while close() waits.
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise asyncio.CancelledError from exc
                self._last_error = str(exc) or type(exc).__name__
                expected = (HomeLinkError, BleakError, HomeProtocolError, TimeoutError, OSError)
                if isinstance(exc, expected):
                    logger.info("home charger connection attempt failed: %s", self._last_error)
                else:
                    logger.exception("unexpected failure while connecting to the home charger")
                if isinstance(exc, ChargerRefused | IdentityMismatch):
                    self._refusal = exc.reason if isinstance(exc, ChargerRefused) else None
                    self._refused.set()
            if established:
                sessions += 1
                delay = self._backoff[0]
            self._set_state(LinkState.RECONNECTING, self._last_error)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self._backoff[1])

    async def _run_connection(self, sessions: int) -> bool:
        """One connection's life. Returns True if a session was established before the link
        ended (normally by a disconnect), raises if it could not be established."""
        pairing = self._pairing
        assert pairing is not None
        device = await self._find(lambda d, _ad: d.address == pairing.address, self.scan_timeout)
        if device is None:
            raise ChargerNotFound("charger not advertising")
        lost = asyncio.Event()
        channel: MessageChannel | None = None

        def on_disconnect() -> None:
            lost.set()
            self._connected.clear()
            if channel is not None:
                channel.mark_lost()

        client = self._client(device, on_disconnect)
        try:
            async with asyncio.timeout(self.connect_timeout + self.command_timeout):
                await client.connect()
                info = ChargerInfo.decode(bytes(await client.read_gatt_char(INFO_CHAR_UUID)))
                if info.public_key != pairing.charger_public_key:
                    raise IdentityMismatch("charger key differs from the one enrolled with")
                session = ClientSession(self._key, pairing.charger_public_key)
                channel = MessageChannel(
                    client, lambda event: self._on_event(session, event), on_disconnect
                )
                await channel.open()
                await self._handshake(channel, session)
            self._channel, self._session = channel, session
            if sessions:
                self.reconnects += 1
            self._last_error = ""
            self._refusal = None
            self._refused.clear()
            self._set_state(LinkState.CONNECTED)
            self._connected.set()
            await lost.wait()
            self._last_error = "link lost"
            return True
        finally:
            self._connected.clear()
            if self._channel is channel:
                self._channel = self._session = None
            if channel is not None:
                channel.mark_lost()
            with contextlib.suppress(Exception):
                await client.disconnect()

    async def _handshake(self, channel: MessageChannel, session: ClientSession) -> None:
        hello = session.hello()
        reply = await channel.request(encode(hello))
        if isinstance(reply, ErrorMessage):
            raise ChargerRefused(reply.reason, "session refused")
        if not isinstance(reply, SessionInfo):
            raise HomeLinkError(f"unexpected answer to HELLO: {type(reply).__name__}")
        session.accept_session_info(reply, asyncio.get_running_loop().time())

    def _on_event(self, session: ClientSession, event: Event) -> None:
        if not session.established:
            return
        try:
            etype, data = session.open_event(event)
            if etype is EventType.STATUS:
                self._set_status(ChargerStatus.from_cbor(data))
        except HomeProtocolError as exc:
            logger.warning("rejected event from charger: %s", exc)

    # --- commands -----------------------------------------------------------------------------

    async def _call(self, op: Op, args: dict[CborKey, CborValue] | None = None) -> CborValue:
        self._check_open()
        if self._pairing is None:
            raise NotConnectedError("no charger selected: call connect() first")
        req_id = random_bytes(REQUEST_ID_SIZE)
        resyncs = 0
        ever_connected = False
        try:
            async with asyncio.timeout(self.command_timeout):
                while True:
                    await self._wait_session()
                    ever_connected = True
                    async with self._op_lock:
                        channel, session = self._channel, self._session
                        if channel is None or session is None or channel.lost:
                            await asyncio.sleep(0.01)
                            continue
                        loop = asyncio.get_running_loop()
                        pending = session.seal_command(op, args, now=loop.time(), req_id=req_id)
                        try:
                            reply = await channel.request(pending.payload)
                        except BleakGATTProtocolError as exc:
                            raise HomeLinkError(f"charger rejected the write: {exc}") from exc
                        except (LinkLost, BleakError):
                            # maybe executed, answer lost: retry with the same req_id
                            await asyncio.sleep(0.01)
                            continue
                        if isinstance(reply, ErrorMessage):
                            reason = reply.reason
                        elif isinstance(reply, Response):
                            body = session.open_response(reply, pending)
                            if body.reason is ReasonCode.OK:
                                return body.result
                            reason = body.reason
                            if reason not in _RESYNC_REASONS:
                                detail = body.result if isinstance(body.result, str) else ""
                                raise ChargerRefused(reason, detail)
                        else:
                            raise HomeLinkError(f"unexpected answer: {type(reply).__name__}")
                        if reason in _RESYNC_REASONS and resyncs < 2:
                            resyncs += 1
                            await self._handshake(channel, session)
                            continue
                        raise ChargerRefused(reason)
        except TimeoutError as exc:
            if not ever_connected:
                raise NotConnectedError(self._last_error or "charger not reachable") from exc
            raise CommandTimeout(
                f"{op.name} got no answer within {self.command_timeout} s"
            ) from exc
        except HomeProtocolError as exc:
            raise HomeLinkError(f"invalid answer from charger: {exc}") from exc


if TYPE_CHECKING:

    def _conforms(link: BleakHomeChargerLink) -> HomeChargerLink:
        return link  # mypy proves BleakHomeChargerLink implements the HomeChargerLink Protocol
