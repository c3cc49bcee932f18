"""Framing: one protocol message = ``u16 big-endian length ‖ payload``, cut into MTU-sized fragments.

BLE writes and notifications carry at most ``ATT_MTU - 3`` bytes, 20 at the default MTU of 23,
while an enrolment request is ~170 bytes. Fragments carry no header of their own: the receiver
reads the length prefix and concatenates until it has that many bytes. Both directions keep one
message in flight per connection, so fragments of two messages never interleave; a reassembly
timeout resynchronises the stream if a fragment is lost (e.g. the link dropped mid-message).
"""

from __future__ import annotations

import struct

from home_protocol.errors import FramingError, MessageTooLarge, ReassemblyTimeout

__all__ = [
    "DEFAULT_REASSEMBLY_TIMEOUT",
    "MAX_MESSAGE_SIZE",
    "MIN_FRAGMENT_SIZE",
    "Reassembler",
    "fragment_message",
    "fragment_size_for_mtu",
]

MAX_MESSAGE_SIZE = 2048
"""Reassembly cap in bytes (payload, without the 2-byte prefix)."""
DEFAULT_REASSEMBLY_TIMEOUT = 3.0
"""Seconds between the first and the last fragment of one message."""
MIN_FRAGMENT_SIZE = 20
"""Smallest usable fragment: ATT_MTU 23 minus the 3-byte ATT header."""


def fragment_size_for_mtu(att_mtu: int) -> int:
    """Largest fragment a write or notification can carry at ``att_mtu``."""
    return max(MIN_FRAGMENT_SIZE, min(att_mtu, 517) - 3)


def fragment_message(payload: bytes, fragment_size: int) -> list[bytes]:
    """Prefix ``payload`` with its length and split it into fragments of ``fragment_size``."""
    if not payload:
        raise FramingError("empty message")
    if len(payload) > MAX_MESSAGE_SIZE:
        raise MessageTooLarge(f"message of {len(payload)} bytes exceeds {MAX_MESSAGE_SIZE}")
    if fragment_size < MIN_FRAGMENT_SIZE:
        raise FramingError(f"fragment size {fragment_size} below {MIN_FRAGMENT_SIZE}")
    data = struct.pack(">H", len(payload)) + payload
    return [data[i : i + fragment_size] for i in range(0, len(data), fragment_size)]


class Reassembler:
    """Collects fragments of one direction of one connection into whole messages (sans-IO).

    ``feed`` takes the time from the caller (any monotonic clock in seconds) so tests and the
    simulator's virtual clock drive timeouts deterministically.
    """

    def __init__(
        self,
        max_message_size: int = MAX_MESSAGE_SIZE,
        timeout: float = DEFAULT_REASSEMBLY_TIMEOUT,
    ) -> None:
        self._max = max_message_size
        self._timeout = timeout
        self._buffer = bytearray()
        self._started_at = 0.0

    @property
    def pending(self) -> int:
        """Bytes buffered for an incomplete message (0 when idle)."""
        return len(self._buffer)

    def reset(self) -> None:
        """Drop any partial message (link dropped, connection closed)."""
        self._buffer.clear()

    def feed(self, fragment: bytes, now: float) -> list[bytes]:
        """Add one fragment; return the messages it completes (usually zero or one).

        Raises ReassemblyTimeout when a stale partial message had to be discarded (the new
        fragment is kept as the start of the next message, so the caller may simply log and
        carry on), MessageTooLarge / FramingError for a declared length of 0 or over the cap
        (the buffer is then reset).
        """
        timed_out = False
        if self._buffer and now - self._started_at > self._timeout:
            self._buffer.clear()
            timed_out = True
        if not self._buffer:
            self._started_at = now
        self._buffer += fragment
        messages: list[bytes] = []
        while len(self._buffer) >= 2:
            (length,) = struct.unpack_from(">H", self._buffer)
            if length == 0:
                self._buffer.clear()
                raise FramingError("zero-length message")
            if length > self._max:
                self._buffer.clear()
                raise MessageTooLarge(f"declared length {length} exceeds {self._max}")
            if len(self._buffer) < 2 + length:
                break
            messages.append(bytes(self._buffer[2 : 2 + length]))
            del self._buffer[: 2 + length]
            self._started_at = now
        if timed_out and not messages:
            raise ReassemblyTimeout("partial message discarded after timeout")
        return messages
