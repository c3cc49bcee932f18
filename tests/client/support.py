"""Helpers for the client suite: a transport that records (and can lose) traffic to the real
in-process backend, and a real uvicorn server on a loopback port that can be stopped and
restarted under a connected client."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from backend_client import ChargepileClient, RetryPolicy

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


@dataclass
class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes every request to ``inner`` and records it; ``lose_answer`` makes the next
    matching request reach the server but lose its answer (a dropped connection)."""

    inner: httpx.AsyncBaseTransport
    requests: list[httpx.Request] = field(default_factory=list)
    lose_answer: Callable[[httpx.Request], bool] | None = None

    @classmethod
    def for_app(cls, app: FastAPI) -> RecordingTransport:
        return cls(httpx.ASGITransport(app=app))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = await self.inner.handle_async_request(request)
        if self.lose_answer is not None and self.lose_answer(request):
            self.lose_answer = None
            await response.aclose()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.url.path == path)

    def matching(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Poll ``check`` until it holds: for state owned by another process or a simulator."""
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 - nothing to wait on but the answer
            await asyncio.sleep(0.1)


def in_process_client(transport: httpx.AsyncBaseTransport, **kwargs: Any) -> ChargepileClient:
    kwargs.setdefault("retry", FAST_RETRY)
    return ChargepileClient("http://testserver", transport=transport, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """``app`` served by uvicorn on 127.0.0.1 in this event loop; stop() drops every open
    connection at once (like a crash or a network cut), start() brings it back on the same
    port with the same app state (so the event buffer survives, as with a proxy restart)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = free_port()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_level="critical",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(10):
            while not self._server.started:
                if self._task.done():
                    self._task.result()
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        server, task = self._server, self._task
        if server is None or task is None:
            return
        server.should_exit = True
        server.force_exit = True
        await asyncio.sleep(0.05)
        for connection in list(server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.close()
        for pending in list(server.server_state.tasks):
            pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            async with asyncio.timeout(10):
                await task
        self._server = self._task = None
