"""The signed-in driver's live link to the backend: one event stream for the whole app, and
what the driver is told when it drops and comes back.

Why app-wide (not only while a session is followed): a backend restart or a network change can
happen on any screen. Without a stream the wallet, the cards or the station list silently go
stale; with it the app notices the drop ("Reconnecting…"), reconnects by itself, reloads what
the current screen shows, and says so briefly ("Reconnected: showing the latest state") so
the driver knows the figures are fresh again. The stream's own resync event (the server could
not replay what was missed) triggers the same reload.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import flet as ft

from backend_client import RESYNC, ApiError, ChargepileClient, RetryPolicy, StreamState
from shared import ConnectionState

__all__ = ["LiveLink"]

NOTICE_SECONDS = 4.0
"""How long "Reconnected" stays on screen."""

RECONNECT_BACKOFF = RetryPolicy(attempts=1, base_delay=0.5, max_delay=4.0)
"""Reconnect at most every 4 s (the server's ``retry:`` hint may ask for longer): a restarted
backend is back on screen within a few seconds of answering again."""


@dataclass(eq=False)
class LiveLink(ft.Observable):
    """``state``: ``ONLINE`` (nothing shown), ``RECONNECTING`` or ``RECONNECTED`` (briefly)."""

    state: ConnectionState = ConnectionState.ONLINE
    reconnects: int = 0
    _client: ChargepileClient | None = None
    _on_back: Callable[[], Awaitable[None]] | None = None
    _task: asyncio.Task[None] | None = None
    _back: asyncio.Task[None] | None = None
    _hide: asyncio.Task[None] | None = None
    _notice_seconds: float = NOTICE_SECONDS

    def bind(
        self,
        client: ChargepileClient,
        on_back: Callable[[], Awaitable[None]],
        *,
        notice_seconds: float = NOTICE_SECONDS,
    ) -> None:
        """``on_back`` reloads what the current screen shows (after a reconnect or resync)."""
        self._client, self._on_back, self._notice_seconds = client, on_back, notice_seconds

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Follow the driver's event stream (idempotent; call once signed in)."""
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def stop(self) -> None:
        """Stop following (signed out, or the session ended)."""
        tasks = [t for t in (self._task, self._back, self._hide) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = self._back = self._hide = None
        self.state = ConnectionState.ONLINE

    async def _follow(self) -> None:
        assert self._client is not None
        # Nothing slow runs inside the stream's loop or its state callback (reloads are tasks
        # of their own), so a stop always lands while the stream waits for the network and
        # the stream closes itself cleanly.
        stream = self._client.events.stream(on_state=self._changed, backoff=RECONNECT_BACKOFF)
        try:
            async for event in stream:
                if event.type == RESYNC:
                    self._spawn_back(announce=False)  # events were lost: show current state
        except ApiError:
            # Signed out or forbidden: nothing to follow any more (screens still load on
            # their own); never leave a "Reconnecting…" that will not end.
            self.state = ConnectionState.ONLINE

    def _changed(self, state: StreamState) -> None:
        if state == StreamState.RECONNECTING:
            self._cancel(self._back)
            self._cancel(self._hide)
            self.state = ConnectionState.RECONNECTING
        elif state == StreamState.RECONNECTED:
            self.reconnects += 1
            self._spawn_back(announce=True)

    def _spawn_back(self, *, announce: bool) -> None:
        self._cancel(self._back)
        self._back = asyncio.get_running_loop().create_task(self._come_back(announce))

    async def _come_back(self, announce: bool) -> None:
        """Reload what the screen shows, then (after a reconnect) say so for a while."""
        if self._on_back is not None:
            with contextlib.suppress(ApiError):  # each screen shows its own load errors
                await self._on_back()
        if not announce:
            return
        self.state = ConnectionState.RECONNECTED
        self._cancel(self._hide)
        self._hide = asyncio.get_running_loop().create_task(self._hide_later())

    @staticmethod
    def _cancel(task: asyncio.Task[None] | None) -> None:
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    async def _hide_later(self) -> None:
        await asyncio.sleep(self._notice_seconds)
        if self.state == ConnectionState.RECONNECTED:
            self.state = ConnectionState.ONLINE
