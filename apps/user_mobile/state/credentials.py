"""Where the driver's sign-in is remembered, and the guest's running session is found again.

``SecureStorageCredentials`` implements ``backend_client.CredentialStore`` over Flet's
``SecureStorage`` (Keystore / Keychain on phones; on the H5 page the browser's local storage,
which is obfuscation only — see notes/flet.md §7). Only the refresh token is stored.
``DeviceMemory`` keeps the guest's receipt token the same way, so a guest who closes the page
mid-session finds the session again when the QR page is reopened on the same phone.
"""

from __future__ import annotations

from typing import Protocol

from backend_client import CredentialStoreError

__all__ = [
    "GUEST_TOKEN_KEY",
    "REFRESH_TOKEN_KEY",
    "DeviceMemory",
    "MemoryStorage",
    "SecureStorageCredentials",
    "StorageLike",
]

REFRESH_TOKEN_KEY = "chargepile.driver.refresh_token"
GUEST_TOKEN_KEY = "chargepile.driver.guest_session"


class StorageLike(Protocol):
    """The part of ``flet_secure_storage.SecureStorage`` used here."""

    async def get(self, key: str) -> object: ...

    async def set(self, key: str, value: object) -> None: ...

    async def remove(self, key: str) -> None: ...


class MemoryStorage:
    """A ``StorageLike`` in this process only (benchmarks, server-side runs without a device)."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    async def get(self, key: str) -> object:
        return self.values.get(key)

    async def set(self, key: str, value: object) -> None:
        self.values[key] = value

    async def remove(self, key: str) -> None:
        self.values.pop(key, None)


class DeviceMemory:
    """Small string values kept on the driver's device under fixed keys."""

    def __init__(self, storage: StorageLike) -> None:
        self._storage = storage

    async def get(self, key: str) -> str | None:
        try:
            value = await self._storage.get(key)
        except Exception as exc:  # the Flet client reports any storage failure as a plain error
            raise CredentialStoreError(f"Secure storage could not be read: {exc}") from exc
        return value if isinstance(value, str) and value else None

    async def set(self, key: str, value: str) -> None:
        try:
            await self._storage.set(key, value)
        except Exception as exc:
            raise CredentialStoreError(f"Secure storage could not be written: {exc}") from exc

    async def remove(self, key: str) -> None:
        try:
            await self._storage.remove(key)
        except Exception as exc:
            raise CredentialStoreError(f"Secure storage could not be cleared: {exc}") from exc


class SecureStorageCredentials:
    """``CredentialStore`` over the device's secure storage (one driver account per device)."""

    def __init__(self, storage: StorageLike, key: str = REFRESH_TOKEN_KEY) -> None:
        self._memory = DeviceMemory(storage)
        self._key = key

    async def get_refresh_token(self) -> str | None:
        return await self._memory.get(self._key)

    async def set_refresh_token(self, token: str) -> None:
        await self._memory.set(self._key, token)

    async def clear(self) -> None:
        await self._memory.remove(self._key)
