"""``GET /api/v1/events``: the signed-in user's live events as server-sent events.

Drivers receive their own session updates, staff their operator's connector status changes
and faults. Each event is sent as ``id:``/``event:``/``data:`` lines; a client that reconnects
with ``Last-Event-ID`` first gets what it missed (or a ``stream.resync`` event). A comment
line every 15 s keeps proxies from closing an idle stream and lets the client notice a dead
connection. Each user may hold a few streams at once (phone + browser tabs) and open only so
many per minute (a reconnect loop must not hammer the server); beyond either limit the answer
is 429 with ``Retry-After`` (``event_streams_per_user``, ``event_stream_connects_per_minute``).

The stream authenticates with a short database session of its own, so a listening client
does not pin a pooled database connection for hours.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from backend.api.auth_deps import TokenDep, authenticate_briefly
from backend.api.deps import ContextDep
from backend.api.responses import errors
from backend.context import AppContext
from backend.errors import TooManyRequests
from backend.security import Principal
from backend.services.events import Audience
from backend_client.models import LiveEvent

router = APIRouter(tags=["events"])

KEEPALIVE_SECONDS = 15.0
RETRY_MS = 3000  # what an EventSource waits before reconnecting
CONNECT_WINDOW_SECONDS = 60.0


@dataclass
class _StreamSlots:
    """Open streams and recent connection attempts per user, kept in ``ctx.extensions``."""

    max_open: int
    connects_per_window: int
    clock: Callable[[], float] = time.monotonic
    open: dict[tuple[str, int], int] = field(default_factory=dict)
    connects: dict[tuple[str, int], deque[float]] = field(default_factory=dict)

    def acquire(self, key: tuple[str, int]) -> _Slot:
        """A slot for one more stream of ``key``, or :class:`TooManyRequests`."""
        now = self.clock()
        recent = self._recent(key, now)
        if len(recent) >= self.connects_per_window:
            retry_after = max(1, int(recent[0] + CONNECT_WINDOW_SECONDS - now + 0.999))
            raise TooManyRequests(
                f"At most {self.connects_per_window} event stream connections per minute; "
                "wait before reconnecting.",
                retry_after=retry_after,
            )
        recent.append(now)  # refused-for-too-many-open attempts count too: they are load
        if self.open.get(key, 0) >= self.max_open:
            raise TooManyRequests(
                f"At most {self.max_open} event streams per user; close one first.",
                retry_after=int(KEEPALIVE_SECONDS),
            )
        self.open[key] = self.open.get(key, 0) + 1
        return _Slot(self, key)

    def _recent(self, key: tuple[str, int], now: float) -> deque[float]:
        if len(self.connects) > 10_000:  # bound memory: drop users idle for a whole window
            for idle in [
                k
                for k, v in self.connects.items()
                if not v or v[-1] <= now - CONNECT_WINDOW_SECONDS
            ]:
                del self.connects[idle]
        recent = self.connects.setdefault(key, deque(maxlen=self.connects_per_window))
        while recent and recent[0] <= now - CONNECT_WINDOW_SECONDS:
            recent.popleft()
        return recent


@dataclass
class _Slot:
    slots: _StreamSlots
    key: tuple[str, int]
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            left = self.slots.open.get(self.key, 1) - 1
            if left > 0:
                self.slots.open[self.key] = left
            else:
                self.slots.open.pop(self.key, None)


def _slots(ctx: AppContext) -> _StreamSlots:
    slots = ctx.extensions.get(__name__)
    if not isinstance(slots, _StreamSlots):
        slots = _StreamSlots(
            max_open=ctx.settings.event_streams_per_user,
            connects_per_window=ctx.settings.event_stream_connects_per_minute,
        )
        ctx.extensions[__name__] = slots
    return slots


def _audience(principal: Principal) -> Audience:
    if principal.kind == "driver":
        return Audience.driver(principal.id)
    assert principal.operator_id is not None
    return Audience.operator(principal.operator_id)


def format_event(event: LiveEvent) -> str:
    """One SSE frame. JSON has no raw newlines, so ``data`` is always a single line."""
    return f"id: {event.id}\nevent: {event.type}\ndata: {event.model_dump_json()}\n\n"


async def _frames(
    ctx: AppContext, audience: Audience, last_event_id: int | None, slot: _Slot
) -> AsyncIterator[str]:
    events = ctx.events.subscribe(audience, last_event_id=last_event_id)
    # The next event is awaited in a task that survives keep-alive timeouts: cancelling the
    # generator's own __anext__ on every timeout would close the subscription.
    pending: asyncio.Task[LiveEvent] | None = None
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
            if not done:
                yield ": keep-alive\n\n"
                continue
            event, pending = pending.result(), None
            yield format_event(event)
    finally:
        slot.release()
        if pending is not None:
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        await events.aclose()  # type: ignore[attr-defined]


def _parse_last_event_id(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        parsed = int(value.strip())
    except ValueError:
        return None  # an id we never sent: start afresh rather than fail the reconnect
    return parsed if parsed >= 0 else None


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        **errors(429),
        200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
    },
)
async def events(
    ctx: ContextDep,
    token: TokenDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events for the signed-in user (see :class:`LiveEvent` for the types)."""
    principal = await authenticate_briefly(ctx, token)
    slot = _slots(ctx).acquire((principal.kind, principal.id))
    frames = _frames(ctx, _audience(principal), _parse_last_event_id(last_event_id), slot)
    # If the client is gone before the body starts, the generator never runs its finally:
    # release the slot when the generator object is collected instead.
    weakref.finalize(frames, slot.release)
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
