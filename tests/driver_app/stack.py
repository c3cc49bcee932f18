"""A live stack on loopback for the driver app's browser tests, screenshots and benchmark.

In a thread: the real backend served by uvicorn with the OCPP endpoint mounted (seeded by
``tests.ocpp.conftest.seed``: "Test Plaza", chargers CP-1 and CP-2 with two Type 2 connectors,
1.20 CNY/kWh) and a simulated fleet connected to it. In a subprocess: the driver app served
by ``python -m apps.user_mobile.main`` (web mode, no CDN) against that backend. Tests act on
the backend and the simulator through :meth:`Stack.call` while the browser drives the app.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import ViewportSize

from simulators.ocpp import EvSpec, Fleet
from tests.ocpp.conftest import LiveBackend, serve_backend
from tests.ocpp.support import fast_config
from tests.support.backend import make_test_settings
from tests.support.browser import CHROME_ARGS as CHROME_ARGS
from tests.support.browser import by_id as by_id
from tests.support.browser import open_app as open_app
from tests.support.browser import type_into as _type_into
from tests.support.servers import ROOT as ROOT
from tests.support.servers import AppServer, free_port, wait_http

T = TypeVar("T")
PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENSHOTS = ROOT / "docs" / "screenshots"


class Stack:
    """Backend + simulator fleet in a thread (their own event loop)."""

    def __init__(self, chargers: list[str] | None = None, *, meter_interval_s: float = 0.5) -> None:
        self.chargers = chargers or ["CP-1", "CP-2"]
        self.meter_interval_s = meter_interval_s
        self.loop = asyncio.new_event_loop()
        self.live: LiveBackend | None = None
        self.fleet: Fleet | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="driver-stack-")
        self._thread = threading.Thread(target=self._run, name="driver-stack", daemon=True)

    @property
    def url(self) -> str:
        assert self.live is not None
        return self.live.base_url

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        tmp = Path(self._tmp.name)
        settings = make_test_settings(
            f"sqlite+aiosqlite:///{tmp / 'stack.db'}", tmp, ocpp_heartbeat_interval=60,
            ocpp_ping_interval=5.0, ocpp_call_timeout=5.0,
        )  # fmt: skip
        self._stop = asyncio.Event()
        async with serve_backend(settings, self.chargers) as live:
            self.live = live
            config = fast_config(
                meter_interval_s=self.meter_interval_s, time_scale=60.0,
                ev=EvSpec(battery_kwh=300, soc_start=0.1, max_kw=11),
            )  # fmt: skip
            specs = [live.network.spec(c) for c in self.chargers]
            async with Fleet(live.ocpp_url, specs, config) as fleet:
                await fleet.wait_ready(timeout=30)
                self.fleet = fleet
                self._ready.set()
                await self._stop.wait()

    def start(self) -> Stack:
        os.environ["CHARGEPILE_PAYMENTS_OUTBOX_POLL_SECONDS"] = "0.2"
        self._thread.start()
        if not self._ready.wait(90) or self._error is not None:
            raise RuntimeError(f"driver stack did not start: {self._error!r}")
        wait_http(f"{self.url}/healthz")
        return self

    def call(
        self, fn: Callable[[LiveBackend, Fleet], Coroutine[Any, Any, T]], timeout: float = 60
    ) -> T:
        """Run ``fn(live, fleet)`` on the stack's loop and return its result."""
        assert self.live is not None and self.fleet is not None
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(
            fn(self.live, self.fleet), self.loop
        )
        return future.result(timeout)

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        if not self._thread.is_alive():
            self.loop.close()
        self._tmp.cleanup()
        os.environ.pop("CHARGEPILE_PAYMENTS_OUTBOX_POLL_SECONDS", None)


class DriverServer(AppServer):
    """``python -m apps.user_mobile.main`` against ``api_url`` on a loopback port."""

    def __init__(self, api_url: str) -> None:
        port = free_port()
        origin = f"http://127.0.0.1:{port}"
        super().__init__(
            "apps.user_mobile.main", ["--api", api_url, "--public-url", origin], port=port
        )
        self.url = origin


@contextlib.contextmanager
def live_stack() -> Iterator[tuple[Stack, DriverServer]]:
    stack = Stack().start()
    try:
        server = DriverServer(stack.url)
        try:
            yield stack, server
        finally:
            server.stop()
    finally:
        stack.stop()


def type_into(page: Any, ident: str, text: str) -> None:
    """Focus the field with semantics id ``ident``, replace its text, and type like a person
    (the driver app's forms need a little longer than the default to attach their input)."""
    _type_into(page, ident, text, settle_ms=200)


def shot(page: Any, name: str) -> None:
    """Save ``docs/screenshots/driver_<name>.png`` after the canvas caught up."""
    page.mouse.move(5, 400)  # no hover tooltip in the picture
    page.wait_for_timeout(1200)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"driver_{name}.png"))


def qr_y4m(png: bytes, path: Path, *, width: int = 640, height: int = 480, frames: int = 2) -> Path:
    """A Y4M video of ``png`` centred on white, for Chromium's fake camera."""
    import io

    from PIL import Image

    code = Image.open(io.BytesIO(png)).convert("RGB")
    code.thumbnail((height - 40, height - 40))
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (width // 2, height // 2)
    u = cb.resize(half)
    v = cr.resize(half)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(y.tobytes() + u.tobytes() + v.tobytes())
    return path
