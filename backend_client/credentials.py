"""Where the client keeps the refresh token between runs: one small async interface.

Only the *refresh token* is ever stored (never a password, never the short-lived access token,
which lives in memory). Three implementations exist, chosen by platform:

- :class:`MemoryCredentialStore`: tests, server-side web sessions (the token dies with the
  process; a Flet web app keeps one client per browser session);
- :class:`KeyringCredentialStore`: desktop runs and the CLI (the OS keychain);
- Flet ``SecureStorage`` on phones: lives in the UI layer (``shared/``), because it needs a
  running Flet page. It fits the Protocol like this::

      class SecureStorageCredentials:
          def __init__(self, storage: flet_secure_storage.SecureStorage, key: str) -> None:
              self._storage, self._key = storage, key

          async def get_refresh_token(self) -> str | None:
              return await self._storage.get(self._key)

          async def set_refresh_token(self, token: str) -> None:
              await self._storage.set(self._key, token)

          async def clear(self) -> None:
              await self._storage.remove(self._key)

  Implementations translate their own failures into :class:`CredentialStoreError`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, runtime_checkable

from backend_client.errors import CredentialStoreError

__all__ = [
    "CredentialStore",
    "KeyringCredentialStore",
    "MemoryCredentialStore",
    "desktop_credential_store",
]


@runtime_checkable
class CredentialStore(Protocol):
    """Async storage of one refresh token (one account on one platform)."""

    async def get_refresh_token(self) -> str | None:
        """The stored refresh token, or ``None`` when nobody is logged in."""
        ...

    async def set_refresh_token(self, token: str) -> None:
        """Replace the stored refresh token (called after every login and rotation)."""
        ...

    async def clear(self) -> None:
        """Forget the token (logout, or the session expired)."""
        ...


class MemoryCredentialStore:
    """Keeps the refresh token in this object only: gone when the process ends."""

    def __init__(self, refresh_token: str | None = None) -> None:
        self._token = refresh_token

    async def get_refresh_token(self) -> str | None:
        return self._token

    async def set_refresh_token(self, token: str) -> None:
        self._token = token

    async def clear(self) -> None:
        self._token = None


class KeyringCredentialStore:
    """The refresh token in the operating system's keychain, via the ``keyring`` package.

    ``keyring`` calls may block (D-Bus, macOS Keychain prompts), so they run in a worker thread
    with a timeout. On a machine without a usable backend (headless Linux, containers) every
    call raises :class:`CredentialStoreError` explaining the alternative.

    Args:
        account: the key under which the token is stored, e.g. ``"operator@https://host"``.
        service: the keychain service name.
        timeout: seconds to wait for the keychain before giving up.
        backend: a ``keyring.backend.KeyringBackend`` to use instead of the platform default.
    """

    def __init__(
        self,
        account: str,
        *,
        service: str = "chargepile",
        timeout: float = 10.0,
        backend: Any = None,
    ) -> None:
        self._account = account
        self._service = service
        self._timeout = timeout
        self._backend = backend

    def _keyring(self) -> Any:
        # Imported lazily: phone builds ship without keyring and never construct this class.
        try:
            import keyring
            import keyring.errors
        except ImportError as exc:  # pragma: no cover - keyring is a dependency
            raise CredentialStoreError("The 'keyring' package is not installed.") from exc
        return self._backend if self._backend is not None else keyring.get_keyring()

    async def _call(self, method: str, *args: str) -> Any:
        import keyring.errors

        def run() -> Any:
            return getattr(self._keyring(), method)(self._service, self._account, *args)

        try:
            return await asyncio.wait_for(asyncio.to_thread(run), self._timeout)
        except keyring.errors.NoKeyringError as exc:
            raise CredentialStoreError(
                "No system keyring is available on this machine (headless or container). "
                "Use MemoryCredentialStore, or install and unlock a keyring backend "
                "(e.g. gnome-keyring / KWallet / keyrings.alt)."
            ) from exc
        except keyring.errors.KeyringError as exc:
            raise CredentialStoreError(f"The system keyring failed: {exc}") from exc
        except TimeoutError as exc:
            raise CredentialStoreError(
                f"The system keyring did not answer within {self._timeout:g} s (locked?)."
            ) from exc

    async def get_refresh_token(self) -> str | None:
        token = await self._call("get_password")
        return token if isinstance(token, str) and token else None

    async def set_refresh_token(self, token: str) -> None:
        await self._call("set_password", token)

    async def clear(self) -> None:
        import keyring.errors

        try:
            await self._call("delete_password")
        except CredentialStoreError as exc:
            # Deleting what is not there is success; anything else is a real failure.
            if not isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
                raise


def desktop_credential_store(account: str, *, backend: Any = None) -> CredentialStore:
    """The store for a desktop run or the CLI: the OS keychain when one is usable, else
    memory only (headless machines, containers: the user signs in once per run).

    Phone builds and browsers pass their Flet ``SecureStorage`` adapter instead; a
    server-side web session uses :class:`MemoryCredentialStore`.
    """
    try:
        import keyring
        import keyring.backends.fail
    except ImportError:  # pragma: no cover - keyring is a dependency on desktops
        return MemoryCredentialStore()
    chosen = backend if backend is not None else keyring.get_keyring()
    usable = not isinstance(chosen, keyring.backends.fail.Keyring) and (
        getattr(chosen, "priority", 0) > 0
    )
    if not usable:
        return MemoryCredentialStore()
    return KeyringCredentialStore(account, backend=backend)
