"""Where the home app keeps its secrets on the device: the app key and the charger pairing.

``AppKeyStorage`` (apps.home.ble.keys) is a one-value async store. The app needs two slots:
``"app-key"`` (the P-256 private key, the one real secret) and ``"pairing"``
(``ChargerPairing.to_json()``, not secret but tied to the key). A :data:`StorageFactory` gives
the store for a slot; ``make_main`` calls it inside the page's context, once per slot.

* Web and phones: :class:`SecureStorageKeyStorage` over ``flet_secure_storage.SecureStorage``.
  It runs on the *client* (the browser or phone), so each user's key stays on their device even
  though a web session's Python runs on the server. On Android/iOS that is Keystore/Keychain; in
  a browser it is AES-GCM in local storage with the key beside it (obfuscation only, see
  notes/flet.md §7).
* Desktop: ``KeyringKeyStorage`` (the OS keychain) via :func:`keyring_storage`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from apps.home.ble.keys import AppKeyStorage, KeyringKeyStorage
from apps.home.errors import StorageError

__all__ = [
    "APP_KEY_SLOT",
    "PAIRING_SLOT",
    "SecureStorageKeyStorage",
    "SecureStorageLike",
    "StorageFactory",
    "device_storage",
    "keyring_storage",
    "secure_storage",
]

APP_KEY_SLOT = "app-key"
PAIRING_SLOT = "pairing"
_PREFIX = "chargepile.home."

StorageFactory = Callable[[str], AppKeyStorage]
"""Returns the store of one slot (``APP_KEY_SLOT`` or ``PAIRING_SLOT``); called in page context."""


class SecureStorageLike(Protocol):
    """The part of ``flet_secure_storage.SecureStorage`` used here."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...

    async def remove(self, key: str) -> None: ...


class SecureStorageKeyStorage:
    """``AppKeyStorage`` over Flet SecureStorage (the client device's secure store).

    Args:
        storage: a ``SecureStorage()`` created in the page context; this object keeps it
            referenced (Flet drops unreferenced services after an event).
        slot: which value (``"app-key"``, ``"pairing"``); stored as ``chargepile.home.<slot>``.

    Raises:
        StorageError: the client could not read/write (no secure store, user denied...).
    """

    def __init__(self, storage: SecureStorageLike, slot: str) -> None:
        self._storage = storage
        self._key = _PREFIX + slot

    async def load(self) -> str | None:
        try:
            value = await self._storage.get(self._key)
        except Exception as exc:  # the client reports every failure as a plain error string
            raise StorageError(f"secure storage could not be read: {exc}") from exc
        return value if isinstance(value, str) and value else None

    async def save(self, value: str) -> None:
        try:
            await self._storage.set(self._key, value)
        except Exception as exc:
            raise StorageError(f"secure storage could not be written: {exc}") from exc

    async def delete(self) -> None:
        try:
            await self._storage.remove(self._key)
        except Exception as exc:
            raise StorageError(f"secure storage could not be cleared: {exc}") from exc


def secure_storage() -> StorageFactory:
    """Factory for web and phones; call it inside ``main(page)`` (one SecureStorage per page)."""
    import flet_secure_storage as fss

    service: SecureStorageLike = fss.SecureStorage()

    def factory(slot: str) -> AppKeyStorage:
        return SecureStorageKeyStorage(service, slot)

    return factory


def keyring_storage(service: str = "chargepile-home") -> StorageFactory:
    """Factory for desktop: one keychain entry per slot under ``service``."""

    def factory(slot: str) -> AppKeyStorage:
        return KeyringKeyStorage(service=service, username=slot)

    return factory


def device_storage() -> StorageFactory:
    """SecureStorage in the browser and on phones, the OS keychain on desktop.

    Call inside ``main(page)``. In web mode the app's Python runs on the server, so keyring
    there would hold one key for every visitor; the browser's storage keeps each user's own.
    """
    import flet as ft

    page = ft.context.page
    if page.web or page.platform is None or page.platform.is_mobile():
        return secure_storage()
    return keyring_storage()
