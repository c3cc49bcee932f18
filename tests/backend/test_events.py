"""The live event stream (``GET /api/v1/events``) over a real ASGI connection.

httpx's ASGITransport waits for the whole response, which never comes for an event stream, so
these tests speak ASGI to the app directly: the same app object, read frame by frame.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.api.routes import events as events_route
from backend.services.events import Audience
from tests.support.builders import World, build_world, context, login


@dataclass
class AsgiStream:
    """One open streaming response: its status, headers and the body received so far."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    chunk: asyncio.Event = field(default_factory=asyncio.Event)
    finished: bool = False

    async def frames(self, count: int, *, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait for ``count`` complete event frames (comments and retry lines skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                parsed = [f for f in _parse(bytes(self.body)) if "id" in f]
                if len(parsed) >= count:
                    return parsed[:count]
                self.chunk.clear()
                await self.chunk.wait()

    async def text_containing(self, needle: str, *, timeout: float = 5.0) -> str:
        async with asyncio.timeout(timeout):
            while needle not in self.body.decode():
                self.chunk.clear()
                await self.chunk.wait()
        return self.body.decode()


def _parse(raw: bytes) -> list[dict[str, Any]]:
    frames = []
    for block in raw.decode().split("\n\n")[:-1]:
        frame: dict[str, Any] = {}
        for line in block.split("\n"):
            if line.startswith(":") or ": " not in line:
                continue
            key, value = line.split(": ", 1)
            frame[key] = value
        if "data" in frame:
            frame["data"] = json.loads(frame["data"])
        frames.append(frame)
    return frames


@asynccontextmanager
async def open_stream(app: FastAPI, headers: dict[str, str]) -> AsyncIterator[AsgiStream]:
    stream = AsgiStream()
    disconnect = asyncio.Event()
    started = asyncio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            stream.status = message["status"]
            stream.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            started.set()
        elif message["type"] == "http.response.body":
            stream.body.extend(message.get("body", b""))
            stream.finished = not message.get("more_body", False)
            stream.chunk.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/events",
        "raw_path": b"/api/v1/events",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    task = asyncio.create_task(app(scope, receive, send))
    try:
        async with asyncio.timeout(5):
            await started.wait()
        yield stream
    finally:
        disconnect.set()
        async with asyncio.timeout(5):
            await task


@pytest.fixture
async def world(app: FastAPI) -> World:
    return await build_world(app)


async def _subscribed(app: FastAPI, audience: Audience, count: int = 1) -> None:
    bus = context(app).events
    async with asyncio.timeout(5):
        while bus.subscriber_count(audience) < count:  # type: ignore[attr-defined]  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_stream_delivers_the_users_events_only(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    driver = Audience.driver(world.driver.id)
    operator = Audience.operator(world.operator_id)
    headers = await login(client, world.driver_email, kind="driver")
    async with open_stream(app, headers) as stream:
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        await _subscribed(app, driver)
        bus = context(app).events
        bus.publish("connector.status", {"status": "Faulted"}, operator)  # not for drivers
        bus.publish("session.updated", {"session_id": 7, "energy_wh": 1234}, driver)
        [frame] = await stream.frames(1)
        assert frame["event"] == "session.updated"
        assert frame["data"]["data"] == {"session_id": 7, "energy_wh": 1234}
        assert int(frame["id"]) == frame["data"]["id"]
        assert "retry: 3000" in stream.body.decode()


async def test_staff_stream_gets_operator_events(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    headers = await login(client, world.staff_email)
    async with open_stream(app, headers) as stream:
        await _subscribed(app, Audience.operator(world.operator_id))
        context(app).events.publish(
            "fault.opened", {"charger_id": 1}, Audience.operator(world.operator_id)
        )
        [frame] = await stream.frames(1)
        assert frame["event"] == "fault.opened"


async def test_reconnect_with_last_event_id_resumes(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    driver = Audience.driver(world.driver.id)
    bus = context(app).events
    headers = await login(client, world.driver_email, kind="driver")
    async with open_stream(app, headers) as stream:
        await _subscribed(app, driver)
        for n in range(3):
            bus.publish("session.updated", {"n": n}, driver)
        frames = await stream.frames(3)
        assert [f["data"]["data"]["n"] for f in frames] == [0, 1, 2]
        last_seen = frames[1]["id"]  # say the connection dropped after this one arrived
    bus.publish("session.stopped", {"n": 3}, driver)  # while the client was away
    async with open_stream(app, headers | {"Last-Event-ID": last_seen}) as stream:
        frames = await stream.frames(2)
        assert [f["data"]["data"]["n"] for f in frames] == [2, 3]
        assert frames[1]["event"] == "session.stopped"
        await _subscribed(app, driver)
        bus.publish("session.updated", {"n": 4}, driver)
        frames = await stream.frames(3)
        assert frames[2]["data"]["data"] == {"n": 4}


async def test_keep_alive_comments_on_a_quiet_stream(
    app: FastAPI, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_route, "KEEPALIVE_SECONDS", 0.05)
    headers = await login(client, world.driver_email, kind="driver")
    async with open_stream(app, headers) as stream:
        await stream.text_containing(": keep-alive\n\n")
        await _subscribed(app, Audience.driver(world.driver.id))
        context(app).events.publish("session.updated", {}, Audience.driver(world.driver.id))
        [frame] = await stream.frames(1)  # the pending read survived the keep-alives
        assert frame["event"] == "session.updated"


async def test_too_many_streams_per_user_is_429(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    headers = await login(client, world.driver_email, kind="driver")
    async with open_stream(app, headers) as s1, open_stream(app, headers) as s2:
        async with (
            open_stream(app, headers) as s3,
            open_stream(app, headers) as s4,
            open_stream(app, headers) as s5,
        ):
            assert {s.status for s in (s1, s2, s3, s4, s5)} == {200}
            async with open_stream(app, headers) as refused:
                assert refused.status == 429
                assert "retry-after" in refused.headers
                await asyncio.sleep(0)
        # Closed streams give their slots back.
        async with open_stream(app, headers) as again:
            assert again.status == 200
    # Another user is not affected by this one's streams.
    async with open_stream(app, await login(client, world.staff_email)) as other:
        assert other.status == 200


async def test_stream_needs_a_valid_token(app: FastAPI) -> None:
    async with open_stream(app, {}) as stream:
        assert stream.status == 401
    async with open_stream(app, {"Authorization": "Bearer nope"}) as stream:
        assert stream.status == 401


async def test_garbage_last_event_id_starts_afresh(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    headers = await login(client, world.driver_email, kind="driver")
    async with open_stream(app, headers | {"Last-Event-ID": "yesterday"}) as stream:
        assert stream.status == 200
