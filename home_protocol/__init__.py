"""chargepile home charger protocol over Bluetooth LE, shared by the home app and the charger.

Sans-IO: nothing here touches Bluetooth, sockets or the event loop. Specification:
docs/home-ble-protocol.md. Layers, bottom up:

* ``gatt``        service / characteristic UUIDs, advertisement and INFO characteristic
* ``framing``     u16-length-prefixed messages fragmented to the ATT MTU, with reassembly
* ``cbor``        the strict CBOR subset every message is encoded with
* ``messages``    the eight message kinds (enrol, hello, session info, command, ...)
* ``crypto``      P-256 ECDH, HKDF-SHA256, AES-256-GCM, HMAC-SHA256
* ``label``       QR / typed setup code on the charger's label
* ``enrollment``  proof of the setup secret when a phone enrols
* ``session``     handshake, per-boot epoch, counters, sealed commands/responses/events
* ``commands``    operations, role permissions, typed results
* ``reasons``     reason codes, roles, key states
* ``errors``      the exception tree
"""

from home_protocol.commands import (
    PERMISSIONS,
    ChargerStatus,
    EventType,
    HistoryEntry,
    HouseholdKey,
    Op,
    Schedule,
    WeeklyWindow,
)
from home_protocol.errors import (
    AuthenticationError,
    CryptoError,
    DecodeError,
    FramingError,
    HomeProtocolError,
    LabelError,
    MessageTooLarge,
    ReassemblyTimeout,
    RefusedError,
    SessionError,
)
from home_protocol.gatt import (
    INFO_CHAR_UUID,
    PROTOCOL_VERSION,
    RX_CHAR_UUID,
    SERVICE_UUID,
    TX_CHAR_UUID,
    ChargerInfo,
)
from home_protocol.label import ChargerLabel, parse_label
from home_protocol.reasons import KeyState, ReasonCode, Role

__all__ = [
    "INFO_CHAR_UUID",
    "PERMISSIONS",
    "PROTOCOL_VERSION",
    "RX_CHAR_UUID",
    "SERVICE_UUID",
    "TX_CHAR_UUID",
    "AuthenticationError",
    "ChargerInfo",
    "ChargerLabel",
    "ChargerStatus",
    "CryptoError",
    "DecodeError",
    "EventType",
    "FramingError",
    "HistoryEntry",
    "HomeProtocolError",
    "HouseholdKey",
    "KeyState",
    "LabelError",
    "MessageTooLarge",
    "Op",
    "ReasonCode",
    "ReassemblyTimeout",
    "RefusedError",
    "Role",
    "Schedule",
    "SessionError",
    "WeeklyWindow",
    "parse_label",
]
