"""Fixtures for the client suite: the real backend in-process, a seeded network, signed-in
clients, and a live uvicorn server on loopback for the event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from backend_client import ChargepileClient
from tests.client.support import LiveServer, RecordingTransport, in_process_client
from tests.support.builders import PASSWORD, World, build_world


@pytest.fixture
async def world(app: FastAPI) -> World:
    return await build_world(app)


@pytest.fixture
def recorder(app: FastAPI) -> RecordingTransport:
    return RecordingTransport.for_app(app)


@pytest.fixture
async def cp(recorder: RecordingTransport) -> AsyncIterator[ChargepileClient]:
    """A signed-out client talking to the in-process backend."""
    async with in_process_client(recorder) as client:
        yield client


@pytest.fixture
async def admin(cp: ChargepileClient, world: World) -> ChargepileClient:
    await cp.auth.login_staff(world.admin_email, PASSWORD)
    return cp


@pytest.fixture
async def driver(cp: ChargepileClient, world: World) -> ChargepileClient:
    await cp.auth.login_driver(world.driver_email, PASSWORD)
    return cp


@pytest.fixture
async def live_server(app: FastAPI) -> AsyncIterator[LiveServer]:
    server = LiveServer(app)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
