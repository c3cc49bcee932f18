"""A strict, deterministic subset of CBOR (RFC 8949) for protocol messages.

Why our own: the protocol needs a compact self-describing encoding that a charger firmware can
decode with any CBOR library, while the decoder here must reject everything outside a small,
canonical subset so that attacker-controlled bytes have one meaning only. Supported items:

* major 0/1 unsigned and negative integers (64-bit range), shortest form only
* major 2 byte strings, major 3 UTF-8 text strings (definite length)
* major 4 arrays, major 5 maps with int or text keys, no duplicate keys
* simple values false (0xf4), true (0xf5), null (0xf6)

Not supported (rejected by the decoder): indefinite lengths, tags, floats, undefined, other
simple values, non-shortest length encodings, trailing bytes, nesting deeper than
``MAX_DEPTH``. Encoding of maps keeps insertion order; the protocol never relies on map order
for authentication (authenticated data is always an array).
"""

from __future__ import annotations

import struct
from typing import TypeAlias

from home_protocol.errors import DecodeError

__all__ = ["MAX_DEPTH", "CborKey", "CborValue", "dumps", "loads"]

CborKey: TypeAlias = int | str
CborValue: TypeAlias = (
    int | bytes | str | bool | list["CborValue"] | dict[CborKey, "CborValue"] | None
)

MAX_DEPTH = 16
_MAX_INT = 2**64 - 1


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([(major << 5) | value])
    if value < 0x100:
        return bytes([(major << 5) | 24, value])
    if value < 0x10000:
        return bytes([(major << 5) | 25]) + struct.pack(">H", value)
    if value < 0x100000000:
        return bytes([(major << 5) | 26]) + struct.pack(">I", value)
    return bytes([(major << 5) | 27]) + struct.pack(">Q", value)


def _encode(value: CborValue, out: bytearray, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("CBOR value nested too deeply")
    # bool before int: bool is a subclass of int
    if value is False:
        out.append(0xF4)
    elif value is True:
        out.append(0xF5)
    elif value is None:
        out.append(0xF6)
    elif isinstance(value, int):
        if value >= 0:
            if value > _MAX_INT:
                raise ValueError("integer out of CBOR range")
            out += _head(0, value)
        else:
            if -1 - value > _MAX_INT:
                raise ValueError("integer out of CBOR range")
            out += _head(1, -1 - value)
    elif isinstance(value, bytes | bytearray):
        out += _head(2, len(value))
        out += value
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        out += _head(3, len(raw))
        out += raw
    elif isinstance(value, list | tuple):
        out += _head(4, len(value))
        for item in value:
            _encode(item, out, depth + 1)
    elif isinstance(value, dict):
        out += _head(5, len(value))
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, int | str):
                raise ValueError("CBOR map keys must be int or str")
            _encode(key, out, depth + 1)
            _encode(item, out, depth + 1)
    else:
        raise ValueError(f"cannot CBOR-encode {type(value).__name__}")


def dumps(value: CborValue) -> bytes:
    """Encode ``value``; raises ValueError for types outside the subset."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise DecodeError("truncated CBOR item")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def head(self) -> tuple[int, int]:
        first = self.take(1)[0]
        major, info = first >> 5, first & 0x1F
        if major == 7:
            return major, info
        if info < 24:
            return major, info
        if info == 24:
            value = self.take(1)[0]
            minimum = 24
        elif info == 25:
            value = struct.unpack(">H", self.take(2))[0]
            minimum = 0x100
        elif info == 26:
            value = struct.unpack(">I", self.take(4))[0]
            minimum = 0x10000
        elif info == 27:
            value = struct.unpack(">Q", self.take(8))[0]
            minimum = 0x100000000
        else:
            raise DecodeError("indefinite or reserved CBOR length")
        if value < minimum:
            raise DecodeError("non-canonical CBOR length")
        return major, value

    def item(self, depth: int) -> CborValue:
        if depth > MAX_DEPTH:
            raise DecodeError("CBOR nested too deeply")
        major, arg = self.head()
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major == 2:
            return self.take(arg)
        if major == 3:
            try:
                return self.take(arg).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DecodeError("invalid UTF-8 in CBOR text") from exc
        if major == 4:
            # every item takes at least one byte: bound the count before allocating
            if arg > len(self.data) - self.pos:
                raise DecodeError("truncated CBOR array")
            return [self.item(depth + 1) for _ in range(arg)]
        if major == 5:
            if arg * 2 > len(self.data) - self.pos:
                raise DecodeError("truncated CBOR map")
            result: dict[CborKey, CborValue] = {}
            for _ in range(arg):
                key = self.item(depth + 1)
                if isinstance(key, bool) or not isinstance(key, int | str):
                    raise DecodeError("CBOR map key must be int or text")
                if key in result:
                    raise DecodeError("duplicate CBOR map key")
                result[key] = self.item(depth + 1)
            return result
        if major == 7:
            if arg == 20:
                return False
            if arg == 21:
                return True
            if arg == 22:
                return None
            raise DecodeError("unsupported CBOR simple value or float")
        raise DecodeError("CBOR tags are not supported")


def loads(data: bytes) -> CborValue:
    """Decode exactly one item spanning all of ``data``; raises DecodeError otherwise."""
    reader = _Reader(bytes(data))
    value = reader.item(0)
    if reader.pos != len(reader.data):
        raise DecodeError("trailing bytes after CBOR item")
    return value
