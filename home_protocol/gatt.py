"""GATT layout and advertisement format of a chargepile home charger.

One custom service with three characteristics (see the spec, section "GATT layout"):

* ``INFO``  read, open: CBOR map describing the charger (no secrets)
* ``RX``    write with response: request fragments from the app
* ``TX``    notify: response and event fragments from the charger

The advertisement (31 bytes: flags, the 128-bit service UUID, manufacturer data) carries the
protocol version, the pairing-window flag (so the app can say "ready to enrol" before
connecting) and a 4-byte serial tag, the first bytes of SHA-256(serial), so the app finds the
charger of a scanned label without the serial itself being broadcast. The scan response
carries the local name ``CPH-`` + the tag in hex, for people looking at a generic scanner.
"""

from __future__ import annotations

import dataclasses
import hashlib

from home_protocol.cbor import dumps, loads
from home_protocol.errors import DecodeError

__all__ = [
    "COMPANY_ID",
    "INFO_CHAR_UUID",
    "PROTOCOL_VERSION",
    "RX_CHAR_UUID",
    "SERVICE_UUID",
    "TX_CHAR_UUID",
    "ChargerInfo",
    "advertised_name",
    "decode_manufacturer_data",
    "encode_manufacturer_data",
    "serial_tag",
]

PROTOCOL_VERSION = 1
SERVICE_UUID = "c4a50001-6b1e-4e0f-9d2a-68f1c3e2b001"
INFO_CHAR_UUID = "c4a50002-6b1e-4e0f-9d2a-68f1c3e2b001"
RX_CHAR_UUID = "c4a50003-6b1e-4e0f-9d2a-68f1c3e2b001"
TX_CHAR_UUID = "c4a50004-6b1e-4e0f-9d2a-68f1c3e2b001"
COMPANY_ID = 0xFFFF  # Bluetooth SIG "reserved for testing"; a product would use its own id

_FLAG_PAIRING_WINDOW = 0x01


def advertised_name(serial: str) -> str:
    """``CPH-`` + first 8 hex digits of SHA-256(serial): recognisable, not the serial itself."""
    return "CPH-" + hashlib.sha256(serial.encode("utf-8")).hexdigest()[:8]


def serial_tag(serial: str) -> bytes:
    """First 4 bytes of SHA-256(serial): identifies a labelled charger in advertisements."""
    return hashlib.sha256(serial.encode("utf-8")).digest()[:4]


def encode_manufacturer_data(serial: str, pairing_window_open: bool) -> bytes:
    """Manufacturer data after the company id: version, flags, 4-byte serial tag."""
    flags = _FLAG_PAIRING_WINDOW if pairing_window_open else 0
    return bytes([PROTOCOL_VERSION, flags]) + serial_tag(serial)


def decode_manufacturer_data(data: bytes) -> tuple[int, bool, bytes]:
    """Return (protocol version, pairing window open, serial tag)."""
    if len(data) < 6:
        raise DecodeError("manufacturer data too short")
    return data[0], bool(data[1] & _FLAG_PAIRING_WINDOW), bytes(data[2:6])


@dataclasses.dataclass(frozen=True, slots=True)
class ChargerInfo:
    """Content of the open INFO characteristic."""

    protocol_version: int
    model: str
    firmware: str
    serial_hash: str  # same 8 hex digits as in the advertised name
    public_key: bytes  # charger's static P-256 key, checked against the label fingerprint
    pairing_window_open: bool
    max_current_a: int  # hardware maximum

    def encode(self) -> bytes:
        return dumps(
            {
                "v": self.protocol_version,
                "model": self.model,
                "fw": self.firmware,
                "sh": self.serial_hash,
                "pk": self.public_key,
                "pw": self.pairing_window_open,
                "hwmax": self.max_current_a,
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> ChargerInfo:
        raw = loads(data)
        if not isinstance(raw, dict):
            raise DecodeError("charger info must be a map")
        try:
            v, model, fw, sh = raw["v"], raw["model"], raw["fw"], raw["sh"]
            pk, pw, hwmax = raw["pk"], raw["pw"], raw["hwmax"]
        except KeyError as exc:
            raise DecodeError(f"charger info lacks {exc}") from exc
        if not (
            isinstance(v, int)
            and not isinstance(v, bool)
            and isinstance(model, str)
            and isinstance(fw, str)
            and isinstance(sh, str)
            and isinstance(pk, bytes)
            and isinstance(pw, bool)
            and isinstance(hwmax, int)
            and not isinstance(hwmax, bool)
        ):
            raise DecodeError("charger info has wrongly typed fields")
        return cls(v, model, fw, sh, pk, pw, hwmax)
