"""How a session gets its charger link (the app's composition root uses one of these).

* :func:`os_link`: bleak on the operating system's Bluetooth (desktop builds).
* :class:`SharedRadio`: bleak over Bumble's HCI transport to the simulated charger in another
  process (``chargepile sim home`` → ``tcp-client:127.0.0.1:9102``), for ``make demo``.
  In web mode the app's Python runs on the *server*, so every browser session shares the
  server's one radio; the simulator exposes one central controller, so one link drives it at
  a time: a new session takes the radio over and the previous session's link is closed (a tab
  closed in the browser keeps its Flet session for an hour, so first-come would lock out a
  reload). Fine for a demo; a real deployment runs the app on the phone, next to its radio.
* Phones: bleak cannot run inside a Flet phone build (no python-for-android / Chaquopy there);
  a phone transport would be another :data:`LinkFactory` returning a ``HomeChargerLink``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from apps.home.ble.bleak_link import BleakHomeChargerLink
from apps.home.ble.keys import AppKeyStorage, load_or_create_app_key
from apps.home.ble.link import HomeChargerLink

__all__ = ["LinkFactory", "LinkHandle", "OwnedLink", "SharedRadio", "close_in_time", "os_link"]

logger = logging.getLogger(__name__)


class LinkHandle(Protocol):
    """A session's link plus what to release when the session ends."""

    @property
    def link(self) -> HomeChargerLink: ...

    async def close(self) -> None: ...


LinkFactory = Callable[[AppKeyStorage], Awaitable[LinkHandle]]
"""Builds a session's link around the app key kept in the given storage (created on first
use). Raises ``apps.home.errors.StorageError`` when the key cannot be read or saved."""


@dataclass
class OwnedLink:
    """A link the session owns alone; closing the session closes it."""

    link: BleakHomeChargerLink

    async def close(self) -> None:
        await self.link.close()


async def close_in_time(handle: LinkHandle, timeout: float = 5.0) -> bool:
    """Close ``handle``, waiting at most ``timeout`` s; the close goes on in the background.

    Why: closing waits for the BLE stack to abandon a connection attempt in progress, which
    can take a while; a session ending must not hang on it.
    """
    task = asyncio.ensure_future(handle.close())
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        logger.warning("the session's charger link is still closing after %.0f s", timeout)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return False
    task.result()
    return True


async def os_link(key_storage: AppKeyStorage) -> LinkHandle:
    """bleak on the OS's Bluetooth stack (BlueZ, CoreBluetooth, WinRT)."""
    return OwnedLink(BleakHomeChargerLink(await load_or_create_app_key(key_storage)))


@dataclass(eq=False)
class _Lease:
    owner: SharedRadio
    link: BleakHomeChargerLink

    async def close(self) -> None:
        await self.owner.release(self)


@dataclass(eq=False)
class SharedRadio:
    """One Bumble HCI radio for the whole server; the latest session gets the link.

    Args:
        transport: Bumble transport moniker of the simulator (``tcp-client:127.0.0.1:9102``).
        link_options: extra ``BleakHomeChargerLink`` keyword arguments (timeouts).
        takeover_timeout: how long a new session waits for the previous link to close.
    """

    transport: str
    link_options: dict[str, Any] = field(default_factory=dict)
    takeover_timeout: float = 3.0
    _radio: Any = None
    _closing: set[asyncio.Task[None]] = field(default_factory=set)
    _current: _Lease | None = None
    _lock: asyncio.Lock | None = None

    async def open(self, key_storage: AppKeyStorage) -> LinkHandle:
        """A :data:`LinkFactory`: close the previous session's link, lend the radio out."""
        from apps.home.ble.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner

        key = await load_or_create_app_key(key_storage)
        if self._lock is None:  # created here: it must belong to the server's event loop
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._current is not None:
                previous, self._current = self._current, None
                await self._close_previous(previous.link)
            if self._radio is None:
                self._radio = BumbleRadio(transport=self.transport)
            link = BleakHomeChargerLink(
                key,
                scanner_backend=BumbleScanner,
                client_backend=BumbleClient,
                backend_kwargs={"radio": self._radio},
                **self.link_options,
            )
            self._current = _Lease(self, link)
            return self._current

    async def _close_previous(self, link: BleakHomeChargerLink) -> None:
        # Closing waits for the BLE stack to abandon a connection attempt in progress; the new
        # session must not wait for it. The close goes on in the background and is awaited at shutdown.
        task = asyncio.ensure_future(link.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        try:
            await asyncio.wait_for(asyncio.shield(task), self.takeover_timeout)
        except TimeoutError:
            logger.warning("previous session's link still closing; taking the radio over")

    async def release(self, lease: _Lease) -> None:
        await lease.link.close()
        if self._current is lease:
            self._current = None

    async def aclose(self) -> None:
        """Close the current link and the HCI transport (server shutdown)."""
        if self._current is not None:
            await self.release(self._current)
        if self._closing:
            await asyncio.wait(self._closing, timeout=self.takeover_timeout * 10)
        if self._radio is not None:
            radio, self._radio = self._radio, None
            await radio.close()
