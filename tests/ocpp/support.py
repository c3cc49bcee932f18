"""Shared helpers for the OCPP suites: fast simulator settings and an event recorder."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from backend.services.events import Audience, EventBus
from backend_client.models import LiveEvent
from simulators.ocpp import SessionRecord, SimConfig
from simulators.ocpp.meter import iso


def fast_config(**overrides: Any) -> SimConfig:
    """Simulator settings that make a session take a second or two instead of an hour."""
    values: dict[str, Any] = {
        "meter_interval_s": 0.1,
        "time_scale": 600.0,
        "response_timeout_s": 5.0,
        "transaction_message_retry_interval_s": 0.1,
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.2,
        "reconnect_jitter_s": 0.05,
        "full_stop_delay_s": 0.2,
        "auto_unplug_after_s": None,
        "ev_randomise": False,
        "ping_interval_s": None,
        "seed": 7,
    }
    values.update(overrides)
    return SimConfig(**values)


class EventRecorder:
    """Collects one audience's live events in the background (what its SSE stream carries)."""

    def __init__(self, bus: EventBus, audience: Audience) -> None:
        self.events: list[LiveEvent] = []
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._collect(bus, audience))

    async def _collect(self, bus: EventBus, audience: Audience) -> None:
        async for event in bus.subscribe(audience):
            self.events.append(event)
            self._changed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.type == kind]

    async def wait_for(
        self, kind: str, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while len(self.of(kind)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.of(kind)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def stored_sample_count(record: SessionRecord) -> int:
    """How many meter rows the backend should hold for a finished session: every periodic
    sample plus StopTransaction's Transaction.Begin/End readings, one per distinct timestamp
    as sent (millisecond precision, so two readings in the same millisecond are one row)."""
    assert record.stopped_at is not None
    stamps = {iso(s.timestamp) for s in record.samples}
    stamps |= {iso(record.started_at), iso(record.stopped_at)}
    return len(stamps)
