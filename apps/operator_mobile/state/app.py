"""The root model of one operator session: sign-in, navigation, the screen models, and the
live event stream that keeps them current.

Live updates: after sign-in a background task follows ``client.events.stream()``. The stream
reconnects by itself when the backend restarts; its state drives the connection banner, and on
"reconnected" (or a ``stream.resync``) everything visible is reloaded, since events may have
been missed. Events reload only what they affect, coalesced over a short window so a burst of
status changes costs one reload.

"Reconnected" is a brief notice owned here, not by the banner: it stays until the reload it
triggered has finished plus :data:`RECONNECTED_NOTICE_S`, then the connection reads
``ONLINE`` again — so the next restart shows it again (the banner's own one-shot auto-hide
would keep it hidden after the first time).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import flet as ft

from apps.operator_mobile.state.base import Ctx
from apps.operator_mobile.state.catalog import CatalogState
from apps.operator_mobile.state.errors import Translate, describe_error
from apps.operator_mobile.state.manage import CardsState, SessionsState, StaffState, TariffsState
from apps.operator_mobile.state.monitor import (
    ChargerDetailState,
    DashboardState,
    FaultFeedState,
    NetworkState,
)
from apps.operator_mobile.state.reports import ReportsState
from apps.operator_mobile.state.session import AuthPhase, AuthState
from backend_client import (
    RESYNC,
    ApiError,
    ChargepileClient,
    EventStream,
    StreamState,
    Unauthenticated,
)
from backend_client.models import LiveEvent
from shared import ConnectionState

__all__ = ["CONSOLE_SECTIONS", "MOBILE_SECTIONS", "RECONNECTED_NOTICE_S", "OperatorState"]

MOBILE_SECTIONS = ("dashboard", "faults", "network", "reports")
"""Destinations on every terminal (the phone's bottom bar)."""
CONSOLE_SECTIONS = ("tariffs", "sessions", "cards", "staff", "labels")
"""Extra destinations of the wide console (management)."""

_STREAM_STATES = {
    StreamState.CONNECTING: ConnectionState.CONNECTING,
    StreamState.CONNECTED: ConnectionState.ONLINE,
    StreamState.RECONNECTING: ConnectionState.RECONNECTING,
    StreamState.RECONNECTED: ConnectionState.RECONNECTED,
    StreamState.CLOSED: ConnectionState.OFFLINE,
}
_COALESCE_S = 0.3
RECONNECTED_NOTICE_S = 3.0
"""How long "Reconnected" stays once the reloaded figures are on screen."""


@dataclass(eq=False)
class OperatorState(ft.Observable):
    """Everything one signed-in operator session shows, plus where they are in the app.

    Args (keyword): ``client`` and ``t`` (see :class:`Ctx`); ``live_events=False`` skips the
    event stream (in-process view tests, whose ASGI transport cannot carry an endless stream).
    """

    section: str = "dashboard"
    charger_id: int | None = None
    connection: ConnectionState = ConnectionState.ONLINE
    auth: AuthState = field(default_factory=AuthState)
    dashboard: DashboardState = field(default_factory=DashboardState)
    faults: FaultFeedState = field(default_factory=FaultFeedState)
    network: NetworkState = field(default_factory=NetworkState)
    charger: ChargerDetailState = field(default_factory=ChargerDetailState)
    reports: ReportsState = field(default_factory=ReportsState)
    catalog: CatalogState = field(default_factory=CatalogState)
    tariffs: TariffsState = field(default_factory=TariffsState)
    staff: StaffState = field(default_factory=StaffState)
    cards: CardsState = field(default_factory=CardsState)
    sessions: SessionsState = field(default_factory=SessionsState)
    _ctx: Ctx | None = field(default=None, repr=False)
    _live: bool = field(default=True, repr=False)
    _stream: EventStream | None = field(default=None, repr=False)
    _dirty: set[str] = field(default_factory=set, repr=False)
    _flush: asyncio.Task[None] | None = field(default=None, repr=False)
    _notice: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls, client: ChargepileClient, t: Translate, *, live_events: bool = True
    ) -> OperatorState:
        state = cls()
        ctx = Ctx(client=client, t=t, on_session_lost=state._session_lost)
        state._ctx, state._live = ctx, live_events
        state.auth.bind(ctx)
        for model in state._models().values():
            model._ctx = ctx
        state.catalog._ctx, state.catalog._network = ctx, state.network
        return state

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None
        return self._ctx

    def _models(self) -> dict[str, DashboardState | FaultFeedState | NetworkState | ChargerDetailState | ReportsState | TariffsState | StaffState | CardsState | SessionsState]:  # fmt: skip
        return {
            "dashboard": self.dashboard,
            "faults": self.faults,
            "network": self.network,
            "charger": self.charger,
            "reports": self.reports,
            "tariffs": self.tariffs,
            "staff": self.staff,
            "cards": self.cards,
            "sessions": self.sessions,
        }

    # --- life cycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """At app start: resume a remembered session, or show the sign-in form."""
        if await self.auth.restore():
            await self._signed_in()

    async def sign_in(self, email: str, password: str) -> bool:
        if await self.auth.sign_in(email, password):
            await self._signed_in()
            return True
        return False

    async def _signed_in(self) -> None:
        self.section, self.charger_id = "dashboard", None
        # A previous sign-out closed the stream; until the new one connects, say so.
        self.connection = ConnectionState.CONNECTING if self._live else ConnectionState.ONLINE
        await asyncio.gather(self.dashboard.reload(), self.faults.reload())
        self.ctx.spawn(self.network.reload())
        if self._live:
            self.ctx.spawn(self._follow_events())

    async def sign_out(self, reason: str | None = None) -> None:
        await self._stop_stream()
        await self.auth.sign_out(reason)

    async def _session_lost(self, reason: str) -> None:
        if self.auth.phase == AuthPhase.SIGNED_IN:
            await self._stop_stream()
            self.auth.principal, self.auth.error = None, reason
            self.auth.phase = AuthPhase.SIGNED_OUT

    async def close(self) -> None:
        """The tab closed: stop background work and close the client."""
        await self._stop_stream()
        await self.ctx.cancel_all()
        await self.ctx.client.aclose()

    async def _stop_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                await stream.aclose()

    # --- navigation -------------------------------------------------------------------------
    async def go(self, section: str, charger_id: int | None = None) -> None:
        """Show ``section`` (and load it); ``charger`` needs ``charger_id``."""
        self.section, self.charger_id = section, charger_id
        if section == "charger" and charger_id is not None:
            await self.charger.open(charger_id)
            return
        model = self._models().get("network" if section in ("labels", "stations") else section)
        jobs = [model.reload()] if model is not None else []
        if section == "sessions":  # the station filter lists the stations
            jobs.append(self.network.reload())
        await asyncio.gather(*jobs)

    # --- live events ------------------------------------------------------------------------
    async def _on_stream_state(self, state: StreamState) -> None:
        self.connection = _STREAM_STATES[state]
        if state == StreamState.RECONNECTED:
            self._mark("dashboard", "faults", "network", "charger")
            if self._notice is not None:
                self._notice.cancel()
            self._notice = self.ctx.spawn(self._end_reconnected_notice())

    async def _end_reconnected_notice(self) -> None:
        """After a reconnect: once the missed state is reloaded and shown for a moment, the
        link reads ``ONLINE`` again (unless it dropped again meanwhile)."""
        flush = self._flush
        if flush is not None:
            with contextlib.suppress(Exception):
                await flush
        await asyncio.sleep(RECONNECTED_NOTICE_S)
        if self.connection == ConnectionState.RECONNECTED:
            self.connection = ConnectionState.ONLINE

    async def _follow_events(self) -> None:
        stream = self.ctx.client.events.stream(on_state=self._on_stream_state)
        self._stream = stream
        try:
            async for event in stream:
                self.handle_event(event)
        except Unauthenticated as exc:
            await self._session_lost(describe_error(exc, self.ctx.t))
        except ApiError:
            # An error reconnecting cannot fix (e.g. forbidden): the figures stay, the banner
            # says the live link is gone.
            self.connection = ConnectionState.OFFLINE

    def handle_event(self, event: LiveEvent) -> None:
        """Schedule reloads of what ``event`` affects."""
        kind = event.type
        if kind == RESYNC:
            self._mark("dashboard", "faults", "network", "charger")
        elif kind.startswith("fault."):
            self._mark("faults", "dashboard", "charger")
        elif kind.startswith(("connector.", "charger.")):
            self._mark("network", "dashboard", "charger")
        elif kind.startswith("session."):
            self._mark("dashboard", "charger")

    def _mark(self, *names: str) -> None:
        self._dirty.update(names)
        if self._flush is None or self._flush.done():
            self._flush = self.ctx.spawn(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(_COALESCE_S)
        names, self._dirty = self._dirty, set()
        models = self._models()
        jobs = [models[n].reload() for n in sorted(names) if n != "charger"]
        if "charger" in names and self.section == "charger":
            jobs.append(self.charger.reload())
        await asyncio.gather(*jobs)
