"""A live stack on loopback for browser tests, screenshots and the benchmark: the real backend
(uvicorn, seeded with :func:`seed_network`) in a thread, and the operator app served by
``serve_operator_app`` in a subprocess (web mode, no CDN).

With ``chargers=True`` the backend also runs the OCPP central system and the simulator fleet
(``simulators.ocpp.Fleet``) connects the seeded chargers CP-1 and CP-2 to it, so faults come
from a charger and remote actions get a charger's real answer. The backend and the fleet run
in this process (one event loop in a thread) so tests can drive the simulator directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from backend.api.routes import remote
from backend.app import create_app
from backend.ocpp import mount_ocpp, ocpp_lifecycle, uvicorn_ws_options
from simulators.ocpp import ChargerSpec, Fleet, SimConfig
from tests.operator_app.support import DRIVER_URL, Network, seed_network
from tests.support.backend import create_schema, make_test_settings
from tests.support.browser import CHROME_ARGS as CHROME_ARGS
from tests.support.browser import by_id as by_id
from tests.support.browser import open_app as open_app
from tests.support.browser import type_into as type_into
from tests.support.servers import ROOT as ROOT
from tests.support.servers import AppServer, free_port, wait_http

T = TypeVar("T")


class Backend:
    """The seeded backend served by uvicorn on a loopback port, in a thread."""

    def __init__(self, *, demo: bool = False, chargers: bool = False) -> None:
        self.demo, self.with_chargers = demo, chargers
        self.fleet: Fleet | None = None
        self.error: Exception | None = None
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
        except Exception as exc:  # reported by start(), which is waiting for us
            self.error = exc
            self._ready.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        tmp = Path(self._tmp.name)
        settings = make_test_settings(
            f"sqlite+aiosqlite:///{tmp / 'stack.db'}", tmp, ocpp_call_timeout=10.0
        )
        await create_schema(settings)
        app = create_app(settings, lifecycles=[ocpp_lifecycle])
        # Until the app factory wires the central system and its REST routes itself:
        paths = {getattr(r, "path", None) for r in app.routes}
        if "/ocpp/{charge_point_id}" not in paths:
            mount_ocpp(app)
        if "/api/v1/remote/start" not in paths:
            app.include_router(remote.router, prefix="/api/v1")
        async with app.router.lifespan_context(app):
            self.app = app
            if self.demo:
                # The project's demo data (6 stations, 40 chargers, 90 days of sessions).
                from backend.services.seed import seed_demo

                await seed_demo(app.state.ctx.sessions, data_dir=tmp)
                self.net = Network()
            else:
                self.net = await seed_network(app)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                timeout_graceful_shutdown=2, **uvicorn_ws_options(settings),
            )  # fmt: skip
            self._server = uvicorn.Server(config)
            serving = asyncio.ensure_future(self._server.serve())
            # uvicorn exposes only a `started` flag, no event to wait on.
            while not self._server.started and not serving.done():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if self.with_chargers and not self.demo:
                specs = [
                    ChargerSpec(identity=i, password=pw, connectors=n, max_kw=60)
                    for (i, pw), n in zip(self.net.ocpp_passwords.items(), (2, 1), strict=True)
                ]
                self.fleet = Fleet(self.url.replace("http", "ws", 1) + "/ocpp", specs, SimConfig())
                await self.fleet.start()
                await self.fleet.wait_ready()
            self._ready.set()
            try:
                await serving
            finally:
                if self.fleet is not None:
                    await self.fleet.stop()

    def start(self) -> Backend:
        self._thread.start()
        if not self._ready.wait(90):
            raise RuntimeError("backend did not start")
        if self.error is not None:
            raise RuntimeError(f"backend failed to start: {self.error!r}") from self.error
        wait_http(f"{self.url}/healthz")
        return self

    def call(self, fn: Callable[[FastAPI, Network], Coroutine[Any, Any, T]]) -> T:
        """Run ``fn(app, net)`` on the backend's loop and return its result."""
        assert self.app is not None and self.net is not None
        return asyncio.run_coroutine_threadsafe(fn(self.app, self.net), self.loop).result(30)

    def sim(self, fn: Callable[[Fleet], Coroutine[Any, Any, T]]) -> T:
        """Run ``fn(fleet)`` (the simulated chargers) on the backend's loop."""
        assert self.fleet is not None, "start the stack with chargers=True"
        fleet = self.fleet
        return asyncio.run_coroutine_threadsafe(fn(fleet), self.loop).result(30)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(30)
        self._tmp.cleanup()


class OperatorServer(AppServer):
    """``python -m apps.operator_mobile.main`` against ``api_url`` on a loopback port."""

    def __init__(self, api_url: str) -> None:
        super().__init__(
            "apps.operator_mobile.main", ["--api", api_url, "--driver-url", DRIVER_URL]
        )
        self.url = self.origin + "/"


@contextlib.contextmanager
def live_stack(
    *, demo: bool = False, chargers: bool = False
) -> Iterator[tuple[Backend, OperatorServer]]:
    backend = Backend(demo=demo, chargers=chargers).start()
    try:
        app_server = OperatorServer(backend.url)
        try:
            yield backend, app_server
        finally:
            app_server.stop()
    finally:
        backend.stop()


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
