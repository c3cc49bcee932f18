"""The live-event bus keeps memory bounded with a thousand sessions charging.

Every meter value of every session is published to its driver; kept forever, a thousand
drivers' replay buffers would grow to gigabytes. A driver's buffer is short, audiences nobody
listens to are forgotten least recently used first, and a phone resuming on a forgotten
audience is told to reload (resync) instead of silently missing the end of its session.
"""

from __future__ import annotations

import asyncio

from backend.services.events import Audience, InProcessEventBus
from backend_client.models import LiveEvent


async def _first(bus: InProcessEventBus, audience: Audience, last_event_id: int) -> LiveEvent:
    stream = bus.subscribe(audience, last_event_id=last_event_id)
    try:
        async with asyncio.timeout(2):
            return await anext(stream)
    finally:
        await stream.aclose()


async def test_a_driver_that_was_away_long_resyncs_and_one_briefly_away_catches_up() -> None:
    bus = InProcessEventBus(buffer_size=1000, driver_buffer_size=10)
    driver = Audience.driver(1)
    for n in range(50):
        bus.publish("session.updated", {"n": n}, driver)
    # Away for 45 events: more than a driver's buffer holds.
    assert (await _first(bus, driver, last_event_id=5)).type == "stream.resync"
    # Away for 3 events: they are replayed in order.
    replayed = await _first(bus, driver, last_event_id=47)
    assert (replayed.type, replayed.data) == ("session.updated", {"n": 47})


async def test_forgotten_audiences_resync_and_listened_ones_are_kept() -> None:
    bus = InProcessEventBus(max_idle_channels=3)
    listening = Audience.driver(100)
    stream = bus.subscribe(listening)
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)  # the subscription is registered
    bus.publish("session.updated", {"who": "listening"}, listening)
    for driver_id in range(1, 8):  # seven idle drivers: only three are remembered
        bus.publish("session.updated", {"who": driver_id}, Audience.driver(driver_id))
    assert (await asyncio.wait_for(waiting, 2)).data == {"who": "listening"}
    assert bus.subscriber_count(listening) == 1
    await stream.aclose()
    # Event ids are global: 1 went to the listener, 2..8 to drivers 1..7.
    # Driver 1 was forgotten: resuming just before its event asks the phone to reload.
    assert (await _first(bus, Audience.driver(1), last_event_id=1)).type == "stream.resync"
    # Driver 7 is recent: its event is still replayed.
    assert (await _first(bus, Audience.driver(7), last_event_id=7)).data == {"who": 7}
