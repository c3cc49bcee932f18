"""The mobile office's live figures: today's dashboard, the fault feed, stations and chargers.

These models are refreshed by the live event stream (see :mod:`.live`): a fault or status
change on the backend reloads what it affects, so the screens update without a refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import flet as ft

from apps.operator_mobile.state.base import Ctx, Outcome
from backend_client.models import (
    ChargerPublic,
    FaultPublic,
    SessionPublic,
    StationPublic,
    TodayDashboard,
)
from shared import Loadable

__all__ = ["ChargerDetailState", "DashboardState", "FaultFeedState", "NetworkState"]

_PAGE = 200  # the API's largest page; operators with more records page in the console lists


@dataclass(eq=False)
class DashboardState(ft.Observable):
    """Today so far and the network right now."""

    today: Loadable[TodayDashboard] = field(default_factory=Loadable.loading)
    _ctx: Ctx | None = field(default=None, repr=False)

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        self.today = await ctx.load(ctx.client.reports.today)


@dataclass(eq=False)
class FaultFeedState(ft.Observable):
    """Faults, newest first; open ones by default. ``fresh`` marks faults pushed since load."""

    faults: Loadable[list[FaultPublic]] = field(default_factory=Loadable.loading)
    open_only: bool = True
    fresh: frozenset[int] = frozenset()
    outcome: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)
    _seen: set[int] = field(default_factory=set, repr=False)
    _loaded: bool = field(default=False, repr=False)

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        page = await ctx.load(lambda: ctx.client.faults.list(open_only=self.open_only, limit=_PAGE))
        if page.value is None:
            self.faults = _fail(page)
            return
        ids = {f.id for f in page.value.items}
        if self._loaded:
            self.fresh = frozenset((ids - self._seen) | (self.fresh & ids))
        self._seen |= ids
        self._loaded = True
        data = Loadable.ready(sorted(page.value.items, key=lambda f: f.opened_at, reverse=True))
        self.faults = data

    async def set_open_only(self, open_only: bool) -> None:
        self.open_only = open_only
        await self.reload()

    async def acknowledge(self, fault_id: int, note: str) -> Outcome:
        """Acknowledge with a note (required by the API: 1-500 characters)."""
        assert self._ctx is not None
        ctx = self._ctx
        if not note.strip():
            self.outcome = Outcome(False, ctx.t("faults.note_required"))
            return self.outcome

        async def run() -> str:
            fault = await ctx.client.faults.acknowledge(fault_id, note.strip())
            return ctx.t("faults.acknowledged", code=fault.error_code, charger=fault.ocpp_id)

        self.outcome = await ctx.act(run)
        if self.outcome.ok:
            self.fresh = self.fresh - {fault_id}
            await self.reload()
        return self.outcome


@dataclass(eq=False)
class NetworkState(ft.Observable):
    """The operator's stations and chargers with live status."""

    stations: Loadable[list[StationPublic]] = field(default_factory=Loadable.loading)
    chargers: Loadable[list[ChargerPublic]] = field(default_factory=Loadable.loading)
    _ctx: Ctx | None = field(default=None, repr=False)

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        stations = await ctx.load(lambda: ctx.client.stations.list(limit=_PAGE))
        chargers = await ctx.load(lambda: ctx.client.chargers.list(limit=_PAGE))
        self.stations = Loadable.ready(stations.value.items) if stations.value else _fail(stations)
        self.chargers = Loadable.ready(chargers.value.items) if chargers.value else _fail(chargers)

    def station_name(self, station_id: int) -> str:
        for station in self.stations.value or []:
            if station.id == station_id:
                return station.name
        return f"#{station_id}"


def _fail(data: Loadable[Any]) -> Loadable[Any]:
    return Loadable.failed(data.error or "")


@dataclass(eq=False)
class ChargerDetailState(ft.Observable):
    """One charger: its connectors, recent sessions, and remote actions with the real answer."""

    charger_id: int | None = None
    charger: Loadable[ChargerPublic] = field(default_factory=Loadable.loading)
    sessions: Loadable[list[SessionPublic]] = field(default_factory=Loadable.loading)
    busy: str | None = None
    outcome: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)

    async def open(self, charger_id: int) -> None:
        if charger_id != self.charger_id:
            self.charger_id = charger_id
            self.charger, self.sessions, self.outcome = Loadable.loading(), Loadable.loading(), None
        await self.reload()

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx, cid = self._ctx, self.charger_id
        if cid is None:
            return
        self.charger = await ctx.load(lambda: ctx.client.chargers.get(cid))
        page = await ctx.load(lambda: ctx.client.sessions.list(charger_id=cid, limit=20))
        self.sessions = (
            Loadable.ready(page.value.items) if page.value else Loadable.failed(page.error or "")
        )

    async def run(
        self, action: str, connector_no: int | None = None, session_id: int = 0
    ) -> Outcome:
        """Send a remote action (``reset``, ``hard_reset``, ``unlock``, ``inoperative``,
        ``operative``, ``stop``) and keep the charger's answer in :attr:`outcome`."""
        assert self._ctx is not None and self.charger_id is not None
        ctx, cid, remote = self._ctx, self.charger_id, self._ctx.client.remote
        no = connector_no or 0

        async def send() -> str:
            if action in ("reset", "hard_reset"):
                answer = await remote.reset(cid, "Hard" if action == "hard_reset" else "Soft")
            elif action == "unlock":
                answer = await remote.unlock(cid, no)
            elif action in ("operative", "inoperative"):
                answer = await remote.change_availability(
                    cid, operative=action == "operative", connector_no=no
                )
            else:
                answer = await remote.stop(session_id)
            return ctx.t("remote.answer", action=ctx.t(f"remote.{action}"), status=answer.status)

        self.busy, self.outcome = action, None
        try:
            self.outcome = await ctx.act(send)
        finally:
            self.busy = None
        await self.reload()
        return self.outcome
