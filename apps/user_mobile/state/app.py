"""The driver session's root model: the route, every screen's model, and their lifecycle.

One :class:`DriverState` per Flet session (an installed app, or one browser tab of the H5 page).
Routes:

``/``                 Find: stations near the driver (list or map)
``/station/<id>``     a station's connectors and price
``/c/<cp>/<n>``       the charger screen a QR code opens (price, pay, start)
``/session``          the running session, then its receipt
``/scan``             camera / image / typed code
``/account``          sign in or up; wallet, cards, history
``/account/cards``    the driver's RFID cards: link, block, unblock, remove

Navigation goes through an injected ``navigate`` (``page.push_route``) so the browser's URL and
back button follow; the page's route change then lands in :meth:`DriverState.on_route`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import flet as ft

from apps.user_mobile.state.account import AccountModel, LaunchUrl
from apps.user_mobile.state.cards import CardForm, SandboxCardForm
from apps.user_mobile.state.charge import ChargeFlow
from apps.user_mobile.state.charger import ChargerModel
from apps.user_mobile.state.credentials import DeviceMemory
from apps.user_mobile.state.errors import Translate
from apps.user_mobile.state.find import FindModel, Locate
from apps.user_mobile.state.links import ChargerRef, parse_route
from apps.user_mobile.state.live import LiveLink
from apps.user_mobile.state.scan import ScanModel
from apps.user_mobile.state.watch import Timing
from backend_client import ChargepileClient

__all__ = ["DriverConfig", "DriverState", "Navigate"]

Navigate = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DriverConfig:
    """Per-deployment settings of the app.

    Args:
        public_url: the driver URL printed in QR codes (deep links of other hosts are refused).
        tile_url: map tile URL template (``https://…/{z}/{x}/{y}.png``); ``None``: no tiles,
            the map shows the stations on a plain background.
        live_events: follow the driver's event stream (off for in-process tests, where the
            ASGI transport cannot stream).
        timing: poll intervals of a running session.
    """

    public_url: str | None = None
    tile_url: str | None = None
    live_events: bool = True
    timing: Timing = field(default_factory=Timing)


@dataclass(eq=False)
class DriverState(ft.Observable):
    """Everything one driver session shows."""

    route: str = "/"
    ready: bool = False
    charger: ChargerModel = field(default_factory=ChargerModel)
    flow: ChargeFlow = field(default_factory=ChargeFlow)
    account: AccountModel = field(default_factory=AccountModel)
    find: FindModel = field(default_factory=FindModel)
    scan: ScanModel = field(default_factory=ScanModel)
    live: LiveLink = field(default_factory=LiveLink)
    config: DriverConfig = field(default_factory=DriverConfig)
    _client: ChargepileClient | None = None
    _navigate: Navigate | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _services: list[object] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        client: ChargepileClient,
        t: Translate,
        memory: DeviceMemory,
        *,
        navigate: Navigate,
        config: DriverConfig | None = None,
        locate: Locate | None = None,
        card_form: CardForm | None = None,
        launch_url: LaunchUrl | None = None,
    ) -> DriverState:
        config = config or DriverConfig()
        state = cls(config=config)
        state._client, state._navigate = client, navigate
        state.charger.bind(client, t)
        state.account.bind(client, t, card_form or SandboxCardForm(), launch_url)
        state.find.bind(client, t, locate)
        state.scan.bind(t, config.public_url)
        state.flow.bind(
            client, t, memory, timing=config.timing, live_events=config.live_events,
            on_finished=state._after_session,
        )  # fmt: skip
        state.live.bind(client, state.reload)

        def signed_in_changed(_sender: object, name: str | None) -> None:
            if name in (None, "principal"):
                state._follow_live()

        state.account.subscribe(signed_in_changed)
        state._services.append(signed_in_changed)  # Observable holds listeners weakly
        return state

    @property
    def client(self) -> ChargepileClient:
        assert self._client is not None
        return self._client

    def _follow_live(self) -> None:
        """Follow the event stream while a driver is signed in (and live events are on)."""
        if self.account.signed_in and self.config.live_events:
            self.live.start()
        elif self.live.running:
            task = asyncio.get_running_loop().create_task(self.live.stop())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def reload(self) -> None:
        """Show the current state again (the live link came back after a drop)."""
        self.flow.refresh_now()
        await self._load(self.route)

    async def start(self, route: str) -> None:
        """First load: restore the sign-in, find a running session again, open ``route``."""
        await self.account.restore()
        resumed = await self.flow.resume(signed_in=self.account.signed_in)
        self.ready = True
        if resumed and (route in ("/", "") or parse_route(route) == self.flow.ref):
            # The app reopened (or the QR page reloaded) while charging: back to the session.
            await self.go("/session")
            return
        self.route = route or "/"
        await self._load(self.route)

    async def go(self, route: str) -> None:
        """Navigate from inside the app: show ``route``, move the URL, load its data."""
        self.route = route
        if self._navigate is not None:
            await self._navigate(route)
        await self._load(route)

    async def on_route(self, route: str) -> None:
        """The client changed the route (a typed URL, the browser's back button)."""
        route = route or "/"
        if route == self.route:
            return  # the echo of our own go()
        self.route = route
        await self._load(route)

    async def _load(self, route: str) -> None:
        ref = parse_route(route)
        if ref is not None:
            await self.open_charger(ref)
        elif route.startswith("/station/"):
            with contextlib.suppress(ValueError):
                await self.find.open_station(int(route.rsplit("/", 1)[1]))
        elif route in ("/account", "/account/cards"):
            await self.account.load()
        elif route == "/":
            await self.find.search()

    async def open_charger(self, ref: ChargerRef) -> None:
        await self.charger.open(ref)

    async def _after_session(self) -> None:
        if self.account.signed_in:
            await self.account.load()

    async def close(self) -> None:
        """The session ended (tab closed): stop following, close the client."""
        self.flow.cancel()
        await self.live.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()
