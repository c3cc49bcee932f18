"""Following one running session: polling, the driver's event stream, and network loss.

Why apart from the flow: how updates arrive (a guest's status poll; a driver's pushed
``session.*`` events with a slower poll that heals gaps; back-off and a "reconnecting" state
when the network is gone) is one concern; what the driver sees of them is another
(:mod:`apps.user_mobile.state.charge`). The watcher hands every snapshot to the flow and asks
it how fast to look next.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from apps.user_mobile.state.session import Snapshot
from backend_client import RESYNC, ApiError, ChargepileClient, NotFound, StreamState
from backend_client.models import SessionPublic

__all__ = ["Next", "SessionWatcher", "Timing"]


@dataclass(frozen=True, slots=True)
class Timing:
    """How often to look at a running session (seconds)."""

    poll: float = 2.0
    poll_starting: float = 0.5
    """While the charger is starting (a few seconds): the driver is watching the steps."""
    poll_with_stream: float = 10.0
    retry_max: float = 15.0
    receipt_attempts: int = 20


class Next(StrEnum):
    """What the flow wants after a snapshot."""

    STARTING = "starting"  # look again soon
    RUNNING = "running"  # look again at the normal pace
    DONE = "done"  # the session ended: stop watching


class SessionWatcher:
    """Polls ``fetch`` (and, for drivers, listens to the event stream) until the flow says done.

    Args:
        fetch: the session's current snapshot.
        on_snapshot: the flow's reaction; returns what to do next.
        on_link: ``True`` while the backend answers, ``False`` while it cannot be reached.
        on_gone: the session no longer exists (404).
        stream: also listen to ``client.events`` for this ``session_id``.
    """

    def __init__(
        self,
        client: ChargepileClient,
        *,
        session_id: int,
        fetch: Callable[[], Awaitable[Snapshot]],
        on_snapshot: Callable[[Snapshot], Awaitable[Next]],
        on_link: Callable[[bool], None],
        on_gone: Callable[[], Awaitable[None]],
        stream: bool,
        timing: Timing,
    ) -> None:
        self._client, self._session_id = client, session_id
        self._fetch, self._on_snapshot = fetch, on_snapshot
        self._on_link, self._on_gone = on_link, on_gone
        self._timing = timing
        self._stream_ok = False
        self._kick = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._poll_task: asyncio.Task[None] = loop.create_task(self._poll_loop())
        self._stream_task: asyncio.Task[None] | None = (
            loop.create_task(self._stream_loop()) if stream else None
        )

    @property
    def running(self) -> bool:
        return not self._poll_task.done()

    def kick(self) -> None:
        """Look at the session now (the app's live link just came back)."""
        self._kick.set()

    def cancel(self) -> None:
        """Stop watching (the session goes on at the charger)."""
        current = asyncio.current_task()
        for task in (self._poll_task, self._stream_task):
            if task is not None and task is not current and not task.done():
                task.cancel()

    async def _poll_loop(self) -> None:
        delay = self._timing.poll
        while True:
            try:
                snapshot = await self._fetch()
            except NotFound:
                await self._on_gone()
                break
            except ApiError:
                self._on_link(False)
                delay = min(self._timing.retry_max, delay * 2)
                await self._pause(delay)  # a kick (the app's link is back) retries at once
                continue
            self._on_link(True)
            step = await self._on_snapshot(snapshot)
            if step == Next.DONE:
                break
            if step == Next.STARTING:
                delay = self._timing.poll_starting
            elif self._stream_ok:
                delay = self._timing.poll_with_stream
            else:
                delay = self._timing.poll
            await self._pause(delay)
        if self._stream_task is not None:
            self._stream_task.cancel()

    async def _pause(self, seconds: float) -> None:
        """Sleep until the next poll, or until the stream (re)connects: events published
        before it was listening are not replayed to a new stream, so look once at once."""
        self._kick.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._kick.wait(), seconds)

    async def _stream_state(self, state: StreamState) -> None:
        self._stream_ok = state in (StreamState.CONNECTED, StreamState.RECONNECTED)
        if self._stream_ok:
            self._kick.set()

    async def _stream_loop(self) -> None:
        try:
            async for event in self._client.events.stream(on_state=self._stream_state):
                if event.type == RESYNC:
                    self._kick.set()  # events were lost: the poll looks now
                    continue
                if not event.type.startswith("session.") or event.data.get("id") != (
                    self._session_id
                ):
                    continue
                snapshot = Snapshot.from_session(SessionPublic.model_validate(event.data))
                if await self._on_snapshot(snapshot) == Next.DONE:
                    self._kick.set()  # the poll loop confirms and finishes (receipt)
                    return
        except ApiError:
            self._stream_ok = False  # polling carries on
