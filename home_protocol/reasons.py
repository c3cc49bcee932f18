"""Reason codes, roles and key states: the small enumerations both sides must agree on.

They travel as unsigned integers on the wire, so their numeric values are part of the
specification (docs/home-ble-protocol.md, section "Reason codes") and must never be renumbered.
"""

from __future__ import annotations

import enum

__all__ = ["KeyState", "ReasonCode", "Role"]


class ReasonCode(enum.IntEnum):
    """Why the charger answered the way it did. ``OK`` is the only success value."""

    OK = 0
    MALFORMED = 1  # message or arguments could not be decoded
    UNSUPPORTED_VERSION = 2
    UNKNOWN_KEY = 3  # key_id is not enrolled
    KEY_PENDING = 4  # enrolled but waiting for the owner's approval
    BAD_AUTH = 5  # AEAD tag / proof did not verify (tampered or wrong key)
    STALE_EPOCH = 6  # command for another boot of the charger: start a new session
    COUNTER_REPLAY = 7  # counter not greater than the last accepted one (replay / rollback)
    EXPIRED = 8  # expires_at is in the past on the charger's clock
    EXPIRY_TOO_FAR = 9  # expires_at is more than MAX_COMMAND_TTL ahead
    NO_SESSION = 10  # command before a HELLO on this charger boot
    FORBIDDEN_ROLE = 11  # the key's role may not run this command
    INVALID_ARGUMENT = 12
    PAIRING_WINDOW_CLOSED = 13
    BAD_PROOF = 14  # enrollment proof wrong: wrong setup secret
    KEY_STORE_FULL = 15
    ALREADY_ENROLLED = 16
    LOCKED = 17  # charger locked by its owner
    NOT_PLUGGED = 18  # no vehicle connected (IEC 61851 state A)
    FAULT = 19  # charger in state F
    RATE_LIMITED = 20
    UNKNOWN_COMMAND = 21
    NOT_FOUND = 22
    INVALID_STATE = 23  # e.g. stop with no session running


class Role(enum.IntEnum):
    """What an enrolled key may do (see ``home_protocol.commands.PERMISSIONS``)."""

    OWNER = 1
    MEMBER = 2  # household member
    INSTALLER = 3


class KeyState(enum.IntEnum):
    """Enrollment state of a key in the charger's key store."""

    ACTIVE = 1
    PENDING = 2  # waiting for owner approval
