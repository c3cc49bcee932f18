"""A live stack on loopback for browser tests, screenshots and the benchmark: the real backend
(uvicorn, seeded with :func:`seed_network`) in a thread, and the operator app served by
``serve_operator_app`` in a subprocess (web mode, no CDN).

The backend runs in this process so a test can act on it directly (open a fault the way the
central system does) while the browser drives the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from tests.operator_app.support import DRIVER_URL, Network, seed_network
from tests.support.backend import make_test_settings, running_app

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Backend:
    """The seeded backend served by uvicorn on a loopback port, in a thread."""

    def __init__(self, *, demo: bool = False) -> None:
        self.demo = demo
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.app: FastAPI | None = None
        self.net: Network | None = None
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._tmp = tempfile.TemporaryDirectory(prefix="operator-stack-")
        self._thread = threading.Thread(target=self._run, name="backend", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        tmp = Path(self._tmp.name)
        settings = make_test_settings(f"sqlite+aiosqlite:///{tmp / 'stack.db'}", tmp)
        async with running_app(settings) as app:
            self.app = app
            if self.demo:
                # The project's demo data (6 stations, 40 chargers, 90 days of sessions).
                from backend.services.seed import seed_demo

                await seed_demo(app.state.ctx.sessions, data_dir=tmp)
                self.net = Network()
            else:
                self.net = await seed_network(app)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
            self._server = uvicorn.Server(config)
            self.loop.call_later(0.5, self._ready.set)
            await self._server.serve()

    def start(self) -> Backend:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("backend did not start")
        wait_http(f"{self.url}/healthz")
        return self

    def call(self, fn: Callable[[FastAPI, Network], Awaitable[T]]) -> T:
        """Run ``fn(app, net)`` on the backend's loop and return its result."""
        assert self.app is not None and self.net is not None
        return asyncio.run_coroutine_threadsafe(fn(self.app, self.net), self.loop).result(30)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(30)
        self._tmp.cleanup()


class OperatorServer:
    """``python -m apps.operator_mobile.main`` against ``api_url`` on a loopback port."""

    def __init__(self, api_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "apps.operator_mobile.main", "--api", api_url,
             "--port", str(self.port), "--driver-url", DRIVER_URL],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_http(self.url)

    def rss_kb(self) -> int:
        """Resident memory of the app server process (Linux ``/proc``)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@contextlib.contextmanager
def live_stack(*, demo: bool = False) -> Iterator[tuple[Backend, OperatorServer]]:
    backend = Backend(demo=demo).start()
    try:
        app_server = OperatorServer(backend.url)
        try:
            yield backend, app_server
        finally:
            app_server.stop()
    finally:
        backend.stop()


def open_app(page: Any, url: str) -> None:
    """Load the app, wait for the first frame, and turn on Flutter's semantics DOM."""
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
    page.locator("flt-semantics").first.wait_for(timeout=20_000)


def by_id(page: Any, ident: str) -> Any:
    return page.locator(f"[flt-semantics-identifier='{ident}']")


def type_into(page: Any, ident: str, text: str) -> None:
    """Focus the field with semantics id ``ident``, replace its text, and type like a person."""
    by_id(page, ident).click()
    page.wait_for_timeout(150)  # Flutter attaches its hidden <input> on focus
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def sign_in(page: Any, email: str, password: str, *, attempts: int = 3) -> None:
    """Fill and submit the sign-in form until the dashboard shows (a keystroke typed while
    Flutter is still attaching its input element can be lost on a busy 2-core machine)."""
    for attempt in range(1, attempts + 1):
        by_id(page, "signin-email").wait_for(timeout=30_000)
        page.wait_for_timeout(300)
        type_into(page, "signin-email", email)
        type_into(page, "signin-password", password)
        by_id(page, "signin-submit").click()
        try:
            by_id(page, "dash-refresh").wait_for(timeout=15_000)
            return
        except Exception:
            if attempt == attempts:
                page.screenshot(path="/tmp/operator-signin-failed.png")
                raise


NAV_LABELS = {
    "dashboard": "Today", "faults": "Faults", "network": "Network", "reports": "Reports",
    "tariffs": "Tariffs", "sessions": "Sessions", "cards": "Cards", "staff": "Staff",
    "labels": "QR labels",
}  # fmt: skip


def navigate(page: Any, section: str) -> None:
    """Open a top-level destination (bottom-bar tab on phones, rail entry on desktops)."""
    label = NAV_LABELS[section]
    # Bottom-bar entries are tabs; the rail's are buttons named "<label>\nTab n of m".
    page.get_by_role("tab", name=label).or_(
        page.get_by_role("button", name=f"{label}\n", exact=False)
    ).first.click()
