"""Live updates over a real loopback server: faults pushed by the backend appear by themselves,
and a backend restart shows "Reconnecting…" then "Reconnected" while the app keeps working."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from fastapi import FastAPI

from backend_client import ChargepileClient, CredentialStore
from shared import ConnectionState
from tests.operator_app.support import add_fault, operator_app, seed_network, sign_in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The backend app on uvicorn at a fixed loopback port; can be stopped and started again."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.app, self.port = app, port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning",
            timeout_graceful_shutdown=1,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(10):
            # uvicorn exposes only a `started` flag, no event to wait on.
            while not self._server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            # The open event streams outlive the 1 s grace period, so uvicorn cancels its own
            # serve task: wait for it to end without re-raising that cancellation here.
            done, _ = await asyncio.wait([self._task], timeout=15)
            assert done, "uvicorn did not stop"
            # A cancelled serve() skips closing its listening sockets; close them here.
            for listener in self._server.servers:
                listener.close()
            self._server = self._task = None


async def test_pushed_faults_and_backend_restart(app: FastAPI) -> None:
    net = await seed_network(app)
    server = Server(app, _free_port())

    def client(store: CredentialStore) -> ChargepileClient:
        return ChargepileClient(f"http://127.0.0.1:{server.port}", credentials=store)

    await server.start()
    try:
        async with operator_app(app, client_factory=client, live_events=True) as (fake, state):
            await sign_in(fake)
            await fake.wait_for(lambda: state.connection == ConnectionState.ONLINE, timeout=10)
            await fake.run(lambda: state.go("faults"))
            await add_fault(app, net, "GroundFailure")
            await fake.wait_for_text("GroundFailure", timeout=10)  # pushed, nothing faked

            await server.stop()  # the backend restarts ...
            await fake.wait_for(
                lambda: state.connection == ConnectionState.RECONNECTING, timeout=30
            )
            assert fake.has_text("Reconnecting…")
            await server.start()  # ... and is back on the same address
            await fake.wait_for(lambda: state.connection == ConnectionState.RECONNECTED, timeout=30)
            assert fake.has_text("Reconnected")
            await add_fault(app, net, "OverCurrentFailure")
            await fake.wait_for_text("OverCurrentFailure", timeout=10)
            await fake.run(state.close)
    finally:
        await server.stop()
