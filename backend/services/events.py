"""Live event fan-out for the server-sent-events streams.

Events are addressed to audiences: one driver (their own sessions) or one operator (status
changes and faults of their chargers). Each audience keeps a bounded replay buffer so a client
that reconnects with ``Last-Event-ID`` receives what it missed; if it missed more than the
buffer holds it gets a ``stream.resync`` event and reloads state.

Memory stays bounded with a thousand sessions running: a driver's replay buffer is short
(``driver_buffer_size``: a phone that reconnects after a few meter intervals catches up, one
that was away longer resyncs and reloads, which it must be able to do anyway), and audiences
nobody listens to are forgotten beyond ``max_idle_channels``, least recently used first (a
client resuming on a forgotten audience gets a resync rather than silently missing events).

``EventBus`` is the seam for running several backend processes later (a broker-backed bus
would implement the same two methods); :class:`InProcessEventBus` is the implementation now.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from backend_client.models import LiveEvent


@dataclass(frozen=True)
class Audience:
    """Who receives an event: ``("driver", driver_id)`` or ``("operator", operator_id)``."""

    kind: str
    id: int

    @classmethod
    def driver(cls, driver_id: int) -> Audience:
        return cls("driver", driver_id)

    @classmethod
    def operator(cls, operator_id: int) -> Audience:
        return cls("operator", operator_id)


class EventBus(Protocol):
    """Publish events and subscribe to one audience's stream."""

    def publish(self, event_type: str, data: dict[str, Any], *audiences: Audience) -> None: ...

    def subscribe(
        self, audience: Audience, *, last_event_id: int | None = None
    ) -> AsyncIterator[LiveEvent]: ...


@dataclass
class _Channel:
    buffer: deque[LiveEvent]
    since: int
    """The bus's last event id when this channel was made: it never saw anything older."""
    subscribers: set[asyncio.Queue[LiveEvent]] = field(default_factory=set)


class InProcessEventBus:
    """Event bus for a single backend process.

    Publishing never blocks: a subscriber too slow to drain its queue is dropped a resync event
    and its queue is cleared, rather than holding back everyone else.
    """

    def __init__(
        self,
        *,
        buffer_size: int = 1000,
        queue_size: int = 1000,
        driver_buffer_size: int = 100,
        max_idle_channels: int = 10_000,
    ) -> None:
        self._buffer_size = buffer_size
        self._driver_buffer_size = min(driver_buffer_size, buffer_size)
        self._queue_size = queue_size
        self._max_idle_channels = max_idle_channels
        self._last_id = 0
        self._forgot = False  # whether any audience's history was dropped
        self._channels: OrderedDict[Audience, _Channel] = OrderedDict()

    def _channel(self, audience: Audience) -> _Channel:
        channel = self._channels.get(audience)
        if channel is None:
            size = self._driver_buffer_size if audience.kind == "driver" else self._buffer_size
            channel = _Channel(buffer=deque(maxlen=size), since=self._last_id)
            self._channels[audience] = channel
            self._forget_idle()
        else:
            self._channels.move_to_end(audience)
        return channel

    def _forget_idle(self) -> None:
        """Drop the least recently used audiences nobody listens to, beyond the limit."""
        excess = len(self._channels) - self._max_idle_channels
        if excess <= 0:
            return
        for audience in [a for a, c in self._channels.items() if not c.subscribers][:excess]:
            del self._channels[audience]
            self._forgot = True

    def publish(self, event_type: str, data: dict[str, Any], *audiences: Audience) -> None:
        self._last_id += 1
        event = LiveEvent(id=self._last_id, type=event_type, data=data)
        for audience in dict.fromkeys(audiences):
            channel = self._channel(audience)
            channel.buffer.append(event)
            for queue in channel.subscribers:
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:
                    _drain(queue)
                    queue.put_nowait(_resync(event.id))

    async def subscribe(
        self, audience: Audience, *, last_event_id: int | None = None
    ) -> AsyncIterator[LiveEvent]:
        """Yield events for ``audience``: first the missed ones after ``last_event_id``."""
        channel = self._channel(audience)
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue(self._queue_size)
        channel.subscribers.add(queue)
        try:
            if last_event_id is not None:
                buffered = list(channel.buffer)
                oldest = buffered[0].id if buffered else None
                if last_event_id > self._last_id:
                    # An id from before a server restart: our counter started again.
                    yield _resync(self._last_id)
                elif oldest is not None and last_event_id < oldest - 1:
                    yield _resync(buffered[-1].id)
                elif oldest is None and self._forgot and last_event_id < channel.since:
                    # This audience's history was forgotten while nobody listened.
                    yield _resync(self._last_id)
                else:
                    for event in buffered:
                        if event.id > last_event_id:
                            yield event
            while True:
                yield await queue.get()
        finally:
            channel.subscribers.discard(queue)

    def subscriber_count(self, audience: Audience) -> int:
        """How many live streams ``audience`` has open (used for rate limiting)."""
        channel = self._channels.get(audience)
        return len(channel.subscribers) if channel else 0


def _resync(event_id: int) -> LiveEvent:
    return LiveEvent(id=event_id, type="stream.resync", data={})


def _drain(queue: asyncio.Queue[LiveEvent]) -> None:
    while not queue.empty():
        queue.get_nowait()
