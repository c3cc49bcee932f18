"""Protocol messages (the payload of one frame) and their strict wire encoding.

Every message is a CBOR array ``[version, kind, fields...]`` with positional fields, so the
encoding is compact and has exactly one valid form. ``decode_message`` checks version, kind,
field count, types and sizes and raises DecodeError for anything else; it never returns a
half-valid message. The meaning of each field is in docs/home-ble-protocol.md.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import TypeAlias

from home_protocol.cbor import CborValue, dumps, loads
from home_protocol.crypto import KEY_ID_SIZE, NONCE_SIZE, PUBLIC_KEY_SIZE
from home_protocol.errors import DecodeError
from home_protocol.gatt import PROTOCOL_VERSION
from home_protocol.reasons import ReasonCode, Role

__all__ = [
    "CHALLENGE_SIZE",
    "EPOCH_SIZE",
    "MAX_NAME_LENGTH",
    "Command",
    "EnrollRequest",
    "EnrollResult",
    "ErrorMessage",
    "Event",
    "Hello",
    "Message",
    "MessageKind",
    "Response",
    "SessionInfo",
    "decode_message",
]

CHALLENGE_SIZE = 16
EPOCH_SIZE = 16
MAX_NAME_LENGTH = 32
_MAC_SIZE = 32
_MAX_U63 = 2**63 - 1


class MessageKind(enum.IntEnum):
    ENROLL_REQUEST = 1
    ENROLL_RESULT = 2
    HELLO = 3
    SESSION_INFO = 4
    COMMAND = 5
    RESPONSE = 6
    EVENT = 7
    ERROR = 8


def _bytes(value: CborValue, size: int | None = None, max_size: int = 2048) -> bytes:
    if not isinstance(value, bytes):
        raise DecodeError("expected a byte string")
    if size is not None and len(value) != size:
        raise DecodeError(f"expected {size} bytes, got {len(value)}")
    if len(value) > max_size:
        raise DecodeError("byte string too long")
    return value


def _uint(value: CborValue, maximum: int = _MAX_U63) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise DecodeError("expected an unsigned integer in range")
    return value


def _enum_role(value: CborValue) -> Role:
    try:
        return Role(_uint(value, 255))
    except ValueError as exc:
        raise DecodeError("unknown role") from exc


def _enum_reason(value: CborValue) -> ReasonCode:
    try:
        return ReasonCode(_uint(value, 255))
    except ValueError as exc:
        raise DecodeError("unknown reason code") from exc


@dataclasses.dataclass(frozen=True, slots=True)
class EnrollRequest:
    """App → charger: enrol ``app_public_key`` with ``role``, proving the setup secret."""

    app_public_key: bytes
    nonce: bytes
    role: Role
    name: str
    proof: bytes
    kind = MessageKind.ENROLL_REQUEST

    def fields(self) -> list[CborValue]:
        return [self.app_public_key, self.nonce, int(self.role), self.name, self.proof]


@dataclasses.dataclass(frozen=True, slots=True)
class EnrollResult:
    """Charger → app: ``status`` OK (active) or KEY_PENDING (owner must approve)."""

    status: ReasonCode
    key_id: bytes
    role: Role
    proof: bytes
    kind = MessageKind.ENROLL_RESULT

    def fields(self) -> list[CborValue]:
        return [int(self.status), self.key_id, int(self.role), self.proof]


@dataclasses.dataclass(frozen=True, slots=True)
class Hello:
    """App → charger: open a session for ``key_id``; ``challenge`` binds the answer."""

    key_id: bytes
    challenge: bytes
    kind = MessageKind.HELLO

    def fields(self) -> list[CborValue]:
        return [self.key_id, self.challenge]


@dataclasses.dataclass(frozen=True, slots=True)
class SessionInfo:
    """Charger → app: boot epoch, last accepted counter, charger clock, HMAC tag."""

    key_id: bytes
    epoch: bytes
    counter: int
    clock: int
    tag: bytes
    kind = MessageKind.SESSION_INFO

    def fields(self) -> list[CborValue]:
        return [self.key_id, self.epoch, self.counter, self.clock, self.tag]


@dataclasses.dataclass(frozen=True, slots=True)
class Command:
    """App → charger: an encrypted request. The header fields are the AEAD's associated data."""

    key_id: bytes
    epoch: bytes
    counter: int
    expires_at: int
    nonce: bytes
    ciphertext: bytes
    kind = MessageKind.COMMAND

    def fields(self) -> list[CborValue]:
        return [
            self.key_id,
            self.epoch,
            self.counter,
            self.expires_at,
            self.nonce,
            self.ciphertext,
        ]


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    """Charger → app: encrypted answer bound to the request's hash and counter."""

    counter: int
    nonce: bytes
    ciphertext: bytes
    kind = MessageKind.RESPONSE

    def fields(self) -> list[CborValue]:
        return [self.counter, self.nonce, self.ciphertext]


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """Charger → app: encrypted unsolicited state change, ``seq`` increasing per session."""

    seq: int
    nonce: bytes
    ciphertext: bytes
    kind = MessageKind.EVENT

    def fields(self) -> list[CborValue]:
        return [self.seq, self.nonce, self.ciphertext]


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorMessage:
    """Charger → app, unauthenticated: refusal before a session key could be used.

    ``ref`` is the first 8 bytes of SHA-256 of the refused message so the app can match it.
    """

    reason: ReasonCode
    ref: bytes
    kind = MessageKind.ERROR

    def fields(self) -> list[CborValue]:
        return [int(self.reason), self.ref]


Message: TypeAlias = (
    EnrollRequest | EnrollResult | Hello | SessionInfo | Command | Response | Event | ErrorMessage
)


def encode_message(message: Message) -> bytes:
    body: list[CborValue] = [PROTOCOL_VERSION, int(message.kind)]
    body.extend(message.fields())
    return dumps(body)


def decode_message(data: bytes) -> Message:
    """Decode one frame payload; raises DecodeError for anything not exactly valid."""
    raw = loads(data)
    if not isinstance(raw, list) or len(raw) < 2:
        raise DecodeError("message must be an array [version, kind, ...]")
    if _uint(raw[0], 255) != PROTOCOL_VERSION:
        raise DecodeError("unsupported protocol version")
    try:
        kind = MessageKind(_uint(raw[1], 255))
    except ValueError as exc:
        raise DecodeError("unknown message kind") from exc
    f = raw[2:]
    expected = {
        MessageKind.ENROLL_REQUEST: 5,
        MessageKind.ENROLL_RESULT: 4,
        MessageKind.HELLO: 2,
        MessageKind.SESSION_INFO: 5,
        MessageKind.COMMAND: 6,
        MessageKind.RESPONSE: 3,
        MessageKind.EVENT: 3,
        MessageKind.ERROR: 2,
    }[kind]
    if len(f) != expected:
        raise DecodeError(f"{kind.name} needs {expected} fields, got {len(f)}")
    if kind is MessageKind.ENROLL_REQUEST:
        name = f[3]
        if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH:
            raise DecodeError("enrolment name must be text of at most 32 characters")
        return EnrollRequest(
            _bytes(f[0], PUBLIC_KEY_SIZE),
            _bytes(f[1], CHALLENGE_SIZE),
            _enum_role(f[2]),
            name,
            _bytes(f[4], _MAC_SIZE),
        )
    if kind is MessageKind.ENROLL_RESULT:
        return EnrollResult(
            _enum_reason(f[0]), _bytes(f[1], KEY_ID_SIZE), _enum_role(f[2]), _bytes(f[3], _MAC_SIZE)
        )
    if kind is MessageKind.HELLO:
        return Hello(_bytes(f[0], KEY_ID_SIZE), _bytes(f[1], CHALLENGE_SIZE))
    if kind is MessageKind.SESSION_INFO:
        return SessionInfo(
            _bytes(f[0], KEY_ID_SIZE),
            _bytes(f[1], EPOCH_SIZE),
            _uint(f[2]),
            _uint(f[3]),
            _bytes(f[4], _MAC_SIZE),
        )
    if kind is MessageKind.COMMAND:
        return Command(
            _bytes(f[0], KEY_ID_SIZE),
            _bytes(f[1], EPOCH_SIZE),
            _uint(f[2]),
            _uint(f[3]),
            _bytes(f[4], NONCE_SIZE),
            _bytes(f[5]),
        )
    if kind is MessageKind.RESPONSE:
        return Response(_uint(f[0]), _bytes(f[1], NONCE_SIZE), _bytes(f[2]))
    if kind is MessageKind.EVENT:
        return Event(_uint(f[0]), _bytes(f[1], NONCE_SIZE), _bytes(f[2]))
    return ErrorMessage(_enum_reason(f[0]), _bytes(f[1], max_size=KEY_ID_SIZE))
