"""Running the driver app on the fake Flet client against a real backend.

Two ways: ``driver_app(app)`` talks to the in-process ASGI app (no sockets; no event stream,
the app polls), and ``driver_app(url=...)`` talks over loopback HTTP to a backend served by
uvicorn with the OCPP endpoint mounted, so simulated chargers can really start and stop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from apps.user_mobile.main import make_main
from apps.user_mobile.state.app import DriverConfig, DriverState
from apps.user_mobile.state.credentials import GUEST_TOKEN_KEY, REFRESH_TOKEN_KEY
from apps.user_mobile.state.watch import Timing
from backend_client import ChargepileClient, CredentialStore
from tests.support.flet_harness import FakeApp

PUBLIC_URL = "http://127.0.0.1:8552"


def web_device_info(*languages: str) -> dict[str, Any]:
    """What the Flutter web client answers ``page.get_device_info()`` with (navigator.*)."""
    first = languages[0] if languages else "en-US"
    lang, _, country = first.partition("-")
    return {
        "browser_name": "chrome",
        "language": first,
        "languages": list(languages),
        "locales": [{"language_code": lang, "country_code": country or None}],
    }


CLIENT_DEFAULTS: dict[str, Any] = {
    "UrlLauncher.launch_url": None,  # the browser opens a tab; recorded in fake.method_calls
    "Page.get_device_info": web_device_info("en-US", "en"),
}
PHONE = (390, 844)
FAST = Timing(poll=0.1, poll_starting=0.1, poll_with_stream=0.5, retry_max=0.5, receipt_attempts=40)


class Storage:
    """The device's secure storage as the fake Flet client answers it (survives restarts)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def results(self) -> dict[str, Any]:
        return {
            "SecureStorage.get": lambda a: self.values.get(a["key"]),
            "SecureStorage.set": lambda a: self.values.__setitem__(a["key"], a["value"]),
            "SecureStorage.remove": lambda a: self.values.pop(a["key"], None),
        }

    @property
    def refresh_token(self) -> str | None:
        return self.values.get(REFRESH_TOKEN_KEY)

    @property
    def guest_token(self) -> str | None:
        stored = self.values.get(GUEST_TOKEN_KEY)
        return json.loads(stored)["token"] if stored else None


@asynccontextmanager
async def driver_app(
    app: FastAPI | None = None,
    *,
    url: str | None = None,
    route: str = "/",
    storage: Storage | None = None,
    live_events: bool = False,
    extra_results: dict[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[tuple[FakeApp, DriverState]]:
    """The driver app at ``route`` on a phone-sized fake client."""
    states: list[DriverState] = []

    def client(store: CredentialStore) -> ChargepileClient:
        if url is not None:
            return ChargepileClient(url, credentials=store, transport=transport)
        assert app is not None
        return ChargepileClient(
            "http://testserver", transport=httpx.ASGITransport(app=app), credentials=store
        )

    main = make_main(
        client,
        config=DriverConfig(public_url=PUBLIC_URL, live_events=live_events, timing=FAST),
        on_state=states.append,
    )
    storage = storage or Storage()
    results = {**storage.results(), **CLIENT_DEFAULTS, **(extra_results or {})}
    async with FakeApp(
        main,
        route=route,
        width=PHONE[0],
        height=PHONE[1],
        method_results=results,
        cancel_leftover_tasks=url is None,
    ) as fake:
        yield fake, states[0]


async def choose(fake: FakeApp, key: str, value: str) -> None:
    """Pick ``value`` in the dropdown ``key`` as the client does (value patched, then event)."""
    target = fake.by_key(key)
    fake.session.apply_patch(target._i, {"value": value})
    await fake.fire(target, "select", value)


class FlakyNetwork(httpx.AsyncBaseTransport):
    """Loopback HTTP that can be cut, like a phone losing signal (connection refused)."""

    def __init__(self) -> None:
        self.down = False
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("network is unreachable", request=request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
