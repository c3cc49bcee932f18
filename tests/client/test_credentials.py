"""Refresh tokens are kept behind one small interface; the keyring store fails clearly on a
headless machine instead of leaking keyring's own exceptions."""

from __future__ import annotations

import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from backend_client import (
    ApiError,
    CredentialStore,
    CredentialStoreError,
    KeyringCredentialStore,
    MemoryCredentialStore,
    desktop_credential_store,
)


class DictKeyring(keyring.backend.KeyringBackend):
    """A working keyring backend in memory (what a desktop keychain does)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.items[(service, username)]


def headless_backend() -> keyring.backend.KeyringBackend:
    """What ``keyring`` picks on a machine without a keychain (this one)."""
    return keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]


def test_every_store_fits_the_protocol() -> None:
    assert isinstance(MemoryCredentialStore(), CredentialStore)
    assert isinstance(KeyringCredentialStore("a"), CredentialStore)


async def test_the_keyring_store_round_trips_a_token() -> None:
    backend = DictKeyring()
    store = KeyringCredentialStore("driver@http://127.0.0.1:8000", backend=backend)
    assert await store.get_refresh_token() is None
    await store.set_refresh_token("rt-1")
    assert await store.get_refresh_token() == "rt-1"
    assert backend.items == {("chargepile", "driver@http://127.0.0.1:8000"): "rt-1"}
    await store.clear()
    await store.clear()  # clearing twice is fine
    assert await store.get_refresh_token() is None


async def test_a_headless_machine_gets_a_clear_error() -> None:
    store = KeyringCredentialStore("x", backend=headless_backend())
    with pytest.raises(CredentialStoreError) as caught:
        await store.set_refresh_token("rt")
    assert "MemoryCredentialStore" in caught.value.message
    assert isinstance(caught.value, ApiError)


async def test_the_memory_store_forgets() -> None:
    store = MemoryCredentialStore("rt")
    await store.clear()
    assert await store.get_refresh_token() is None


def test_desktops_use_the_keychain_and_headless_machines_memory() -> None:
    assert isinstance(desktop_credential_store("a", backend=DictKeyring()), KeyringCredentialStore)
    headless = desktop_credential_store("a", backend=headless_backend())
    assert isinstance(headless, MemoryCredentialStore)
