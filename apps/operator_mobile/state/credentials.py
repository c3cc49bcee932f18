"""The refresh token kept on the operator's device with Flet ``SecureStorage``.

Implements ``backend_client.CredentialStore``: on phones the token lives in the Keystore /
Keychain; in a browser in the site's local storage (AES-GCM, key beside it: obfuscation only,
see notes/flet.md §7). Only the refresh token is stored; the access token stays in memory.
``SecureStorage`` calls run on the client; a broken or missing client answer is translated into
``CredentialStoreError`` so the sign-in screen can say what failed.
"""

from __future__ import annotations

from typing import Protocol

from backend_client import CredentialStoreError

__all__ = ["REFRESH_TOKEN_KEY", "SecureStorageCredentials", "StorageLike"]

REFRESH_TOKEN_KEY = "chargepile.operator.refresh_token"


class StorageLike(Protocol):
    """The part of ``flet_secure_storage.SecureStorage`` used here."""

    async def get(self, key: str) -> object: ...

    async def set(self, key: str, value: object) -> None: ...

    async def remove(self, key: str) -> None: ...


class SecureStorageCredentials:
    """``CredentialStore`` over a Flet secure storage service owned by the page's session.

    Args:
        storage: ``flet_secure_storage.SecureStorage()`` created in the page context (keep this
            object alive: Flet drops unreferenced services).
        key: the storage key (one operator account per device).
    """

    def __init__(self, storage: StorageLike, key: str = REFRESH_TOKEN_KEY) -> None:
        self._storage = storage
        self._key = key

    async def get_refresh_token(self) -> str | None:
        try:
            value = await self._storage.get(self._key)
        except Exception as exc:  # the client reports any storage failure as a plain error
            raise CredentialStoreError(f"Secure storage could not be read: {exc}") from exc
        return value if isinstance(value, str) and value else None

    async def set_refresh_token(self, token: str) -> None:
        try:
            await self._storage.set(self._key, token)
        except Exception as exc:
            raise CredentialStoreError(f"Secure storage could not be written: {exc}") from exc

    async def clear(self) -> None:
        try:
            await self._storage.remove(self._key)
        except Exception as exc:
            raise CredentialStoreError(f"Secure storage could not be cleared: {exc}") from exc
