"""One GATT connection carrying protocol messages: fragmentation out, reassembly in.

A ``MessageChannel`` wraps a connected ``bleak.BleakClient``: it subscribes to the TX
characteristic, reassembles notifications into messages, and writes requests to RX in
MTU-sized fragments. Only one request is outstanding at a time (the protocol allows one per
connection); its answer is matched by kind and, for ERROR messages, by the request hash.
Unsolicited EVENT messages go to ``on_event``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from home_protocol.crypto import sha256
from home_protocol.errors import HomeProtocolError
from home_protocol.framing import Reassembler, fragment_message, fragment_size_for_mtu
from home_protocol.gatt import RX_CHAR_UUID, TX_CHAR_UUID
from home_protocol.messages import ErrorMessage, Event, Message, decode_message

__all__ = ["LinkLost", "MessageChannel"]

logger = logging.getLogger(__name__)


class LinkLost(Exception):
    """Internal: the connection carrying a request went away before the answer arrived."""


class MessageChannel:
    """``on_broken``: called when the channel can no longer be used on this connection (a
    request was abandoned between two of its fragments, see ``request``); the owner should
    drop the connection, which makes the charger discard its half-received message."""

    def __init__(
        self,
        client: BleakClient,
        on_event: Callable[[Event], None],
        on_broken: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self._on_event = on_event
        self._on_broken = on_broken
        self._reassembler = Reassembler()
        self._waiter: asyncio.Future[Message] | None = None
        self._ref = b""
        self.lost = False

    @property
    def fragment_size(self) -> int:
        return fragment_size_for_mtu(self.client.mtu_size)

    async def open(self) -> None:
        await self.client.start_notify(TX_CHAR_UUID, self._on_notify)

    def mark_lost(self) -> None:
        """Called from the disconnected callback: fail the outstanding request."""
        self.lost = True
        self._reassembler.reset()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(LinkLost())

    def _on_notify(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            payloads = self._reassembler.feed(bytes(data), time.monotonic())
        except HomeProtocolError as exc:
            logger.warning("dropping garbled notification stream: %s", exc)
            return
        for payload in payloads:
            try:
                message = decode_message(payload)
            except HomeProtocolError as exc:
                logger.warning("undecodable message from charger: %s", exc)
                continue
            if isinstance(message, Event):
                self._on_event(message)
                continue
            waiter = self._waiter
            if waiter is None or waiter.done():
                logger.info("unexpected %s from charger ignored", type(message).__name__)
                continue
            if isinstance(message, ErrorMessage) and message.ref and message.ref != self._ref:
                logger.info("error for another request ignored")
                continue
            waiter.set_result(message)

    async def request(self, payload: bytes) -> Message:
        """Send one message and wait (unbounded: callers wrap in a timeout) for its answer."""
        if self.lost:
            raise LinkLost()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Message] = loop.create_future()
        self._waiter = waiter
        self._ref = sha256(payload)[:8]
        fragments = fragment_message(payload, self.fragment_size)
        started = written = 0  # a write whose confirmation was lost may still have landed
        try:
            for fragment in fragments:
                started += 1
                await self.client.write_gatt_char(RX_CHAR_UUID, fragment, response=True)
                written += 1
            return await waiter
        finally:
            if len(fragments) > 1 and started and written < len(fragments) and not self.lost:
                # Cancelled or failed between fragments: the charger holds half a message and
                # would glue the next request onto it (§4 resynchronises only after 3 s), so
                # this connection cannot carry another request.
                logger.info("request abandoned mid-message; the connection must be renewed")
                self.mark_lost()
                if self._on_broken is not None:
                    self._on_broken()
            self._waiter = None
            if not waiter.done():
                waiter.cancel()
            elif not waiter.cancelled():
                waiter.exception()  # mark retrieved: a late LinkLost is not an error here
