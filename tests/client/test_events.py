"""The live event stream against a real uvicorn server on loopback: events arrive, a dropped
connection is re-established and resumed with Last-Event-ID, and lost history turns into a
``stream.resync`` the app can act on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from backend.services.events import Audience, InProcessEventBus
from backend_client import (
    RESYNC,
    ChargepileClient,
    EventStream,
    RetryPolicy,
    StreamState,
    Unauthenticated,
)
from backend_client.models import LiveEvent
from tests.client.support import LiveServer
from tests.support.builders import PASSWORD, World, context

FAST_BACKOFF = RetryPolicy(attempts=1, base_delay=0.05, max_delay=0.2)


def bus(app: FastAPI) -> InProcessEventBus:
    events = context(app).events
    assert isinstance(events, InProcessEventBus)
    return events


async def wait_for(predicate: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110 - state owned by others
            await asyncio.sleep(0.01)


@asynccontextmanager
async def consuming(stream: EventStream) -> AsyncIterator[asyncio.Queue[LiveEvent | Exception]]:
    """Iterate ``stream`` in a task, delivering events (or the final error) to a queue."""
    queue: asyncio.Queue[LiveEvent | Exception] = asyncio.Queue()

    async def run() -> None:
        try:
            async for event in stream:
                queue.put_nowait(event)
        except Exception as exc:  # delivered to the test, which asserts on it
            queue.put_nowait(exc)

    task = asyncio.create_task(run())
    try:
        yield queue
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await stream.aclose()


async def next_event(queue: asyncio.Queue[LiveEvent | Exception]) -> LiveEvent:
    async with asyncio.timeout(10):
        item = await queue.get()
    assert isinstance(item, LiveEvent), item
    return item


@pytest.fixture
async def operator_client(live_server: LiveServer, world: World) -> AsyncIterator[ChargepileClient]:
    async with ChargepileClient(live_server.url) as client:
        await client.auth.login_staff(world.admin_email, PASSWORD)
        yield client


async def test_events_arrive_and_survive_a_server_restart(
    app: FastAPI, live_server: LiveServer, operator_client: ChargepileClient, world: World
) -> None:
    audience = Audience.operator(world.operator_id)
    states: list[StreamState] = []
    stream = operator_client.events.stream(on_state=states.append, backoff=FAST_BACKOFF)
    async with consuming(stream) as queue:
        await wait_for(lambda: bus(app).subscriber_count(audience) == 1)
        bus(app).publish("connector.status", {"connector_no": 1, "status": "Charging"}, audience)
        first = await next_event(queue)
        assert (first.type, first.data["status"]) == ("connector.status", "Charging")
        assert states == [StreamState.CONNECTED]

        await live_server.stop()  # the connection drops mid-stream
        await wait_for(lambda: stream.state == StreamState.RECONNECTING)
        # Events published while the client is away are not lost...
        bus(app).publish("fault.opened", {"fault_id": 1}, audience)
        bus(app).publish("connector.status", {"connector_no": 1, "status": "Faulted"}, audience)
        await live_server.start()

        missed = [await next_event(queue), await next_event(queue)]
        assert [e.type for e in missed] == ["fault.opened", "connector.status"]
        assert [e.id for e in missed] == [first.id + 1, first.id + 2]
        assert states[-1] == StreamState.RECONNECTED and stream.reconnects == 1
        assert stream.last_event_id == first.id + 2

        # ...and the resumed stream goes on delivering live events.
        bus(app).publish("charger.offline", {"charger_id": 1}, audience)
        assert (await next_event(queue)).type == "charger.offline"


async def test_a_resume_point_the_server_no_longer_holds_gives_a_resync(
    app: FastAPI, operator_client: ChargepileClient, world: World
) -> None:
    audience = Audience.operator(world.operator_id)
    bus(app).publish("connector.status", {"status": "Available"}, audience)
    # An id from before a server restart (the server's counter is lower): it cannot replay.
    stream = operator_client.events.stream(last_event_id=10_000, backoff=FAST_BACKOFF)
    async with consuming(stream) as queue:
        event = await next_event(queue)
    assert event.type == RESYNC


async def test_a_signed_out_client_gets_unauthenticated_not_endless_retries(
    live_server: LiveServer,
) -> None:
    async with ChargepileClient(live_server.url) as client:
        stream = client.events.stream(backoff=FAST_BACKOFF)
        async with consuming(stream) as queue:
            async with asyncio.timeout(10):
                outcome = await queue.get()
    assert isinstance(outcome, Unauthenticated)
    assert stream.state == StreamState.CLOSED


async def test_a_server_that_stays_down_ends_the_stream_when_asked_to_give_up(
    live_server: LiveServer, world: World
) -> None:
    async with ChargepileClient(live_server.url) as client:
        await client.auth.login_driver(world.driver_email, PASSWORD)
        await live_server.stop()
        stream = client.events.stream(backoff=FAST_BACKOFF, max_failures=2)
        async with consuming(stream) as queue:
            async with asyncio.timeout(10):
                outcome = await queue.get()
    from backend_client import ServerUnavailable

    assert isinstance(outcome, ServerUnavailable)


async def test_an_in_process_transport_cannot_hang_the_stream(app: FastAPI, world: World) -> None:
    # ASGITransport buffers the endless body; the open timeout turns that into a retry.
    async with ChargepileClient(
        "http://testserver", transport=httpx.ASGITransport(app=app)
    ) as client:
        await client.auth.login_driver(world.driver_email, PASSWORD)
        states: list[StreamState] = []
        stream = client.events.stream(
            connect_timeout=0.2, backoff=FAST_BACKOFF, max_failures=1, on_state=states.append
        )
        async with consuming(stream) as queue:
            async with asyncio.timeout(10):
                outcome = await queue.get()
    assert isinstance(outcome, Exception)
    assert states[-1] == StreamState.CLOSED


async def test_closing_from_another_task_ends_the_loop_quietly(
    app: FastAPI, operator_client: ChargepileClient, world: World
) -> None:
    audience = Audience.operator(world.operator_id)
    stream = operator_client.events.stream(backoff=FAST_BACKOFF)
    seen: list[LiveEvent] = []

    async def follow() -> str:
        async for event in stream:
            seen.append(event)
        return "ended"

    task = asyncio.create_task(follow())
    await wait_for(lambda: bus(app).subscriber_count(audience) == 1)
    bus(app).publish("fault.opened", {"fault_id": 7}, audience)
    await wait_for(lambda: len(seen) == 1)
    await stream.aclose()  # e.g. the operator signs out
    async with asyncio.timeout(10):
        assert await task == "ended"
    assert stream.state == StreamState.CLOSED
    await wait_for(lambda: bus(app).subscriber_count(audience) == 0)


async def test_closing_while_waiting_to_reconnect_ends_the_loop(
    live_server: LiveServer, world: World
) -> None:
    async with ChargepileClient(live_server.url) as client:
        await client.auth.login_driver(world.driver_email, PASSWORD)
        await live_server.stop()
        slow = RetryPolicy(attempts=1, base_delay=30, max_delay=30, jitter=0)
        stream = client.events.stream(backoff=slow)

        async def follow() -> str:
            async for _ in stream:
                pass
            return "ended"

        task = asyncio.create_task(follow())
        await wait_for(lambda: stream.state == StreamState.CONNECTING and not task.done())
        await asyncio.sleep(0.1)  # now in its 30 s back-off
        await stream.aclose()
        async with asyncio.timeout(5):
            assert await task == "ended"


async def test_a_token_that_expires_during_an_outage_is_renewed_on_reconnect(
    live_server: LiveServer, world: World
) -> None:
    now = [1000.0]
    async with ChargepileClient(live_server.url, clock=lambda: now[0]) as client:
        await client.auth.login_driver(world.driver_email, PASSWORD)
        stream = client.events.stream(backoff=FAST_BACKOFF)
        async with consuming(stream):
            await wait_for(lambda: stream.state == StreamState.CONNECTED)
            await live_server.stop()
            now[0] += 3600  # the outage outlasts the access token
            await wait_for(lambda: stream.state == StreamState.RECONNECTING)
            await asyncio.sleep(0.5)  # several reconnects fail, renewal included
            assert state_of(stream) == StreamState.RECONNECTING
            await live_server.start()
            await wait_for(lambda: stream.state == StreamState.RECONNECTED)
        assert client.tokens.refresh_count == 1


def state_of(stream: EventStream) -> StreamState:
    """The state now (a call, so the type checker does not carry an earlier check over)."""
    return stream.state


async def first_event(stream: EventStream) -> LiveEvent:
    return await anext(aiter(stream))


async def test_too_many_streams_is_waited_out_not_fatal(
    app: FastAPI, live_server: LiveServer, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.api.routes import events as events_route

    monkeypatch.setattr(events_route, "KEEPALIVE_SECONDS", 1.0)  # Retry-After: 1
    async with ChargepileClient(live_server.url) as client:
        await client.auth.login_driver(world.driver_email, PASSWORD)
        streams = [
            client.events.stream(backoff=FAST_BACKOFF)
            for _ in range(app.state.ctx.settings.event_streams_per_user + 1)
        ]
        tasks = [asyncio.create_task(first_event(s)) for s in streams[:-1]]
        await wait_for(lambda: all(s.state == StreamState.CONNECTED for s in streams[:-1]))
        extra = asyncio.create_task(first_event(streams[-1]))
        await asyncio.sleep(0.5)
        assert state_of(streams[-1]) == StreamState.CONNECTING  # refused (429), waiting
        tasks[0].cancel()
        await streams[0].aclose()  # the phone's old connection finally goes away
        await wait_for(lambda: streams[-1].state == StreamState.CONNECTED)
        for task in [*tasks, extra]:
            task.cancel()
        await asyncio.gather(*tasks, extra, return_exceptions=True)
        for stream in streams:
            await stream.aclose()
