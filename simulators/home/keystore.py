"""The charger's non-volatile memory: factory identity, enrolled keys and charge history.

A real charger keeps these in flash; the simulator keeps them in memory and, when a path is
given, in a JSON file written atomically (temp file + rename) after every change, so a
simulator process restarted with the same file keeps its label and its enrolled phones.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from home_protocol.commands import HistoryEntry, HouseholdKey
from home_protocol.crypto import (
    fingerprint,
    generate_private_key,
    key_id,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_bytes,
    random_bytes,
)
from home_protocol.label import SETUP_SECRET_SIZE, ChargerLabel
from home_protocol.reasons import KeyState, Role

__all__ = ["ChargerIdentity", "KeyRecord", "KeyStore", "KeyStoreError"]

DEFAULT_CAPACITY = 16


class KeyStoreError(Exception):
    """The persisted key store file is unreadable or inconsistent."""


@dataclasses.dataclass(frozen=True)
class ChargerIdentity:
    """Factory data: serial, static P-256 key and the setup secret printed on the label."""

    serial: str
    private_key: ec.EllipticCurvePrivateKey
    setup_secret: bytes

    @classmethod
    def generate(cls, serial: str) -> ChargerIdentity:
        return cls(serial, generate_private_key(), random_bytes(SETUP_SECRET_SIZE))

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.private_key)

    @property
    def label(self) -> ChargerLabel:
        return ChargerLabel(self.serial, self.setup_secret, fingerprint(self.public_key))


@dataclasses.dataclass(frozen=True)
class KeyRecord:
    public_key: bytes
    role: Role
    name: str
    state: KeyState
    added_at: int

    @property
    def key_id(self) -> bytes:
        return key_id(self.public_key)

    def household_key(self) -> HouseholdKey:
        return HouseholdKey(self.key_id, self.role, self.name, self.state, self.added_at)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class KeyStore:
    """Enrolled keys plus identity and history, optionally persisted to ``path``."""

    def __init__(
        self,
        identity: ChargerIdentity,
        path: Path | None = None,
        *,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.identity = identity
        self.path = path
        self.capacity = capacity
        self._keys: dict[bytes, KeyRecord] = {}
        self.history: list[HistoryEntry] = []
        self.settings: dict[str, int] = {}

    @classmethod
    def open(
        cls, path: Path | None, serial: str = "CPH-SIM-0001", *, capacity: int = DEFAULT_CAPACITY
    ) -> KeyStore:
        """Load ``path`` if it exists, else create a fresh identity (and save it if a path
        is given)."""
        if path is not None and path.exists():
            return cls._load(path, capacity)
        store = cls(ChargerIdentity.generate(serial), path, capacity=capacity)
        store.save()
        return store

    @classmethod
    def _load(cls, path: Path, capacity: int) -> KeyStore:
        try:
            raw: dict[str, Any] = json.loads(path.read_text("utf-8"))
            ident = raw["identity"]
            identity = ChargerIdentity(
                ident["serial"],
                private_key_from_bytes(base64.b64decode(ident["private_key"])),
                base64.b64decode(ident["setup_secret"]),
            )
            store = cls(identity, path, capacity=capacity)
            for k in raw["keys"]:
                rec = KeyRecord(
                    base64.b64decode(k["public_key"]),
                    Role(k["role"]),
                    k["name"],
                    KeyState(k["state"]),
                    int(k["added_at"]),
                )
                store._keys[rec.key_id] = rec
            store.history = [
                HistoryEntry(
                    int(h["id"]),
                    int(h["start"]),
                    None if h["end"] is None else int(h["end"]),
                    int(h["wh"]),
                    None if h["kid"] is None else bytes.fromhex(h["kid"]),
                )
                for h in raw.get("history", [])
            ]
            store.settings = {str(k): int(v) for k, v in raw.get("settings", {}).items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyStoreError(f"cannot read key store {path}: {exc}") from exc
        return store

    def save(self) -> None:
        if self.path is None:
            return
        data = {
            "identity": {
                "serial": self.identity.serial,
                "private_key": _b64(private_key_to_bytes(self.identity.private_key)),
                "setup_secret": _b64(self.identity.setup_secret),
            },
            "keys": [
                {
                    "public_key": _b64(r.public_key),
                    "role": int(r.role),
                    "name": r.name,
                    "state": int(r.state),
                    "added_at": r.added_at,
                }
                for r in self._keys.values()
            ],
            "history": [
                {
                    "id": h.session_id,
                    "start": h.started_at,
                    "end": h.ended_at,
                    "wh": h.energy_wh,
                    "kid": None if h.key_id is None else h.key_id.hex(),
                }
                for h in self.history
            ],
            "settings": self.settings,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keystore-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, self.path)

    # --- keys ---------------------------------------------------------------------------

    def get(self, kid: bytes) -> KeyRecord | None:
        return self._keys.get(kid)

    def records(self) -> list[KeyRecord]:
        return list(self._keys.values())

    def has_owner(self) -> bool:
        return any(r.role is Role.OWNER and r.state is KeyState.ACTIVE for r in self._keys.values())

    @property
    def full(self) -> bool:
        return len(self._keys) >= self.capacity

    def add(self, record: KeyRecord) -> None:
        self._keys[record.key_id] = record
        self.save()

    def approve(self, kid: bytes, role: Role) -> bool:
        rec = self._keys.get(kid)
        if rec is None:
            return False
        self._keys[kid] = dataclasses.replace(rec, role=role, state=KeyState.ACTIVE)
        self.save()
        return True

    def remove(self, kid: bytes) -> bool:
        if self._keys.pop(kid, None) is None:
            return False
        self.save()
        return True
