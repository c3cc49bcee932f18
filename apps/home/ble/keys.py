"""Storage of the app's private P-256 key, the one secret the home app holds.

``AppKeyStorage`` is the interface; ``KeyringKeyStorage`` uses the OS keychain through
``keyring`` on desktop, ``MemoryKeyStorage`` serves tests and the demo. A Flet SecureStorage
implementation (for phones, where keyring does not exist) implements the same Protocol in the
UI layer. The key is stored as the hex of its 32-byte private scalar.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from home_protocol.crypto import (
    generate_private_key,
    private_key_from_bytes,
    private_key_to_bytes,
)

__all__ = ["AppKeyStorage", "KeyringKeyStorage", "MemoryKeyStorage", "load_or_create_app_key"]


class AppKeyStorage(Protocol):
    """Async get/set/delete of one secret string (the key as hex)."""

    async def load(self) -> str | None: ...

    async def save(self, value: str) -> None: ...

    async def delete(self) -> None: ...


class MemoryKeyStorage:
    """Process-memory storage: the key is lost when the process ends."""

    def __init__(self, value: str | None = None) -> None:
        self._value = value

    async def load(self) -> str | None:
        return self._value

    async def save(self, value: str) -> None:
        self._value = value

    async def delete(self) -> None:
        self._value = None


class KeyringKeyStorage:
    """OS keychain (Secret Service, macOS Keychain, Windows Credential Locker) via keyring.

    keyring calls block (D-Bus, security framework), so they run in a worker thread.
    """

    def __init__(self, service: str = "chargepile-home", username: str = "app-key") -> None:
        self._service = service
        self._username = username

    async def load(self) -> str | None:
        import keyring

        value = await asyncio.to_thread(keyring.get_password, self._service, self._username)
        return value if isinstance(value, str) else None

    async def save(self, value: str) -> None:
        import keyring

        await asyncio.to_thread(keyring.set_password, self._service, self._username, value)

    async def delete(self) -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError):
            await asyncio.to_thread(keyring.delete_password, self._service, self._username)


async def load_or_create_app_key(storage: AppKeyStorage) -> ec.EllipticCurvePrivateKey:
    """Return the stored key, creating and storing a new one on first use."""
    stored = await storage.load()
    if stored:
        return private_key_from_bytes(bytes.fromhex(stored))
    key = generate_private_key()
    await storage.save(private_key_to_bytes(key).hex())
    return key
