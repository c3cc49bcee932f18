"""The interface the home app's views and state use to talk to a home charger.

Views never import bleak or bumble: they get a ``HomeChargerLink`` (from ``bleak_link`` on
desktop and in tests/demo; a phone transport can implement the same Protocol later, since bleak
cannot run inside a Flet phone build). Everything here is plain data plus one Protocol.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Sequence
from typing import Protocol, TypeAlias

from home_protocol.commands import (
    ChargerStatus,
    HistoryEntry,
    HouseholdKey,
    Schedule,
    WeeklyWindow,
)
from home_protocol.label import ChargerLabel
from home_protocol.reasons import Role

__all__ = [
    "ChargerPairing",
    "DiscoveredCharger",
    "HomeChargerLink",
    "LinkEvent",
    "LinkState",
    "LinkStateChanged",
    "StatusChanged",
]


class LinkState(enum.StrEnum):
    DISCONNECTED = "disconnected"  # no charger selected, or disconnect() called
    CONNECTING = "connecting"  # first connection attempt in progress
    CONNECTED = "connected"  # link up and secure session established: commands go through
    RECONNECTING = "reconnecting"  # link lost; retrying on its own with back-off
    CLOSED = "closed"  # close() called; the object cannot be used again


@dataclasses.dataclass(frozen=True, slots=True)
class DiscoveredCharger:
    """A home charger seen while scanning."""

    address: str
    name: str  # "CPH-" + 8 hex digits of SHA-256(serial), as in the scan response
    pairing_window_open: bool
    rssi: int | None

    def matches(self, label: ChargerLabel) -> bool:
        """True if this advertisement belongs to the charger whose label was scanned."""
        from home_protocol.gatt import advertised_name

        return self.name.upper() == advertised_name(label.serial).upper()


@dataclasses.dataclass(frozen=True, slots=True)
class ChargerPairing:
    """What the app keeps per enrolled charger (store it with ``to_json``; not secret)."""

    address: str
    serial: str
    charger_public_key: bytes
    key_id: bytes
    role: Role
    pending: bool  # enrolled but waiting for the owner's approval

    def to_json(self) -> str:
        return json.dumps(
            {
                "address": self.address,
                "serial": self.serial,
                "charger_public_key": self.charger_public_key.hex(),
                "key_id": self.key_id.hex(),
                "role": int(self.role),
                "pending": self.pending,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ChargerPairing:
        raw = json.loads(text)
        return cls(
            address=str(raw["address"]),
            serial=str(raw["serial"]),
            charger_public_key=bytes.fromhex(raw["charger_public_key"]),
            key_id=bytes.fromhex(raw["key_id"]),
            role=Role(int(raw["role"])),
            pending=bool(raw["pending"]),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class StatusChanged:
    """The charger pushed a new status (plug, start, power, energy, fault...)."""

    status: ChargerStatus


@dataclasses.dataclass(frozen=True, slots=True)
class LinkStateChanged:
    state: LinkState
    detail: str = ""  # human-readable cause, e.g. "link lost" or the last connect error


LinkEvent: TypeAlias = StatusChanged | LinkStateChanged
LinkListener: TypeAlias = Callable[[LinkEvent], None]


class HomeChargerLink(Protocol):
    """Connection to one home charger at a time.

    Errors (apps.home.ble.errors): every command raises ``CommandTimeout`` if no answer came
    within its timeout, ``NotConnectedError`` if no session could be established in that time,
    ``ChargerRefused`` (``.reason``: home_protocol.ReasonCode) when the charger said no.
    A command interrupted by a link drop is retried after the automatic reconnect with the same
    request id, so the charger never performs it twice.
    """

    @property
    def state(self) -> LinkState: ...

    @property
    def status(self) -> ChargerStatus | None:
        """Last status received (command result or pushed event), None before any."""
        ...

    @property
    def pairing(self) -> ChargerPairing | None: ...

    def subscribe(self, listener: LinkListener) -> Callable[[], None]:
        """Call ``listener`` (on the event loop) for every LinkEvent; returns unsubscribe."""
        ...

    async def scan(self, timeout: float = 5.0) -> list[DiscoveredCharger]: ...

    async def enroll(
        self, label: ChargerLabel, *, role: Role = Role.OWNER, name: str = "phone"
    ) -> ChargerPairing:
        """Find the labelled charger, prove the setup secret, register this app's key.

        Raises EnrollmentError (``.reason``: PAIRING_WINDOW_CLOSED, BAD_PROOF, ...),
        IdentityMismatch if the charger's key does not match the label fingerprint,
        ChargerNotFound if it is not advertising.
        """
        ...

    async def connect(self, pairing: ChargerPairing) -> None:
        """Start keeping a session with ``pairing``'s charger; returns once CONNECTED
        (NotConnectedError on timeout — the link keeps retrying in the background)."""
        ...

    async def disconnect(self) -> None: ...

    async def close(self) -> None: ...

    async def get_status(self) -> ChargerStatus: ...

    async def start_charging(self) -> ChargerStatus: ...

    async def pause_charging(self) -> ChargerStatus: ...

    async def stop_charging(self) -> ChargerStatus: ...

    async def set_current_limit(self, amps: int) -> ChargerStatus: ...

    async def set_installation(self, max_current_a: int, phases: int) -> ChargerStatus: ...

    async def get_schedule(self) -> Schedule: ...

    async def set_delayed_start(self, at_unix: int) -> Schedule: ...

    async def set_weekly_plan(self, windows: Sequence[WeeklyWindow]) -> Schedule: ...

    async def clear_schedule(self, what: str = "all") -> Schedule: ...

    async def history(self, max_entries: int = 20) -> list[HistoryEntry]: ...

    async def list_keys(self) -> list[HouseholdKey]: ...

    async def approve_key(self, key_id: bytes, role: Role = Role.MEMBER) -> list[HouseholdKey]: ...

    async def remove_key(self, key_id: bytes) -> list[HouseholdKey]: ...

    async def set_clock(self, unix_seconds: int) -> ChargerStatus: ...

    async def set_locked(self, locked: bool) -> ChargerStatus: ...
