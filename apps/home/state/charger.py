"""The live charger screen's model: status pushed by the charger, link state, tap-to-charge.

Why it listens instead of polling: the charger notifies every change (plug, start, power,
energy, fault) over the secure session, and the link reports its own state (connecting,
reconnecting after a drop). This model folds both into what the screen shows, including the
"Reconnected" moment, and refreshes the status once after every reconnect because changes made
while the link was down were not pushed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import flet as ft

from apps.home.ble.link import LinkEvent, LinkState, LinkStateChanged, StatusChanged
from apps.home.state.base import Ctx, Outcome
from home_protocol.commands import MIN_CURRENT_A, ChargerStatus
from shared import ConnectionState

__all__ = ["ChargeState", "connection_for"]


def connection_for(state: LinkState, *, was_lost: bool) -> ConnectionState:
    """How the banner shows a link state (``was_lost``: the link dropped since last online)."""
    if state is LinkState.CONNECTED:
        return ConnectionState.RECONNECTED if was_lost else ConnectionState.ONLINE
    if state is LinkState.CONNECTING:
        return ConnectionState.CONNECTING
    if state is LinkState.RECONNECTING:
        return ConnectionState.RECONNECTING
    return ConnectionState.OFFLINE


@dataclass(eq=False)
class ChargeState(ft.Observable):
    """Status and commands of the enrolled charger.

    ``busy`` names the command in flight (its button shows progress and others are disabled,
    since the link runs one command at a time); ``message`` is the last command's result.
    """

    status: ChargerStatus | None = None
    connection: ConnectionState = ConnectionState.OFFLINE
    link_detail: str = ""
    busy: str | None = None
    message: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)
    _lost: bool = field(default=False, repr=False)

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None, "ChargeState used before HomeState.create bound it"
        return self._ctx

    # --- what the screen derives ------------------------------------------------------------
    @property
    def online(self) -> bool:
        return self.connection in (ConnectionState.ONLINE, ConnectionState.RECONNECTED)

    @property
    def limit_range(self) -> tuple[int, int]:
        """Allowed current limit in amperes: 6 A up to the installer's maximum."""
        top = self.status.installation_max_a if self.status else MIN_CURRENT_A
        return MIN_CURRENT_A, max(MIN_CURRENT_A, top)

    # --- link events ------------------------------------------------------------------------
    def on_link_event(self, event: LinkEvent) -> None:
        """Listener given to ``link.subscribe`` (called on the event loop)."""
        if isinstance(event, StatusChanged):
            self.status = event.status
        elif isinstance(event, LinkStateChanged):
            self._link_state(event.state, event.detail)

    def _link_state(self, state: LinkState, detail: str) -> None:
        if state in (LinkState.RECONNECTING, LinkState.DISCONNECTED) and self.online:
            self._lost = True
        self.connection = connection_for(state, was_lost=self._lost)
        self.link_detail = detail
        if state is LinkState.CONNECTED:
            if self._lost or self.status is None:
                # nothing was pushed while the link was down (or before the first session,
                # e.g. while this phone waited for the owner's approval)
                self.ctx.spawn(self.refresh())
            self._lost = False

    def reset(self) -> None:
        """Forget everything shown (charger forgotten, or another one enrolled)."""
        self.status, self.busy, self.message = None, None, None
        self.connection, self.link_detail, self._lost = ConnectionState.OFFLINE, "", False

    # --- commands ---------------------------------------------------------------------------
    async def refresh(self) -> None:
        result = await self.ctx.attempt(self.ctx.link.get_status)
        if result.value is not None:
            self.status = result.value

    async def _run(
        self, name: str, command: Callable[[], Awaitable[ChargerStatus]], done: str
    ) -> bool:
        if self.busy is not None:
            return False
        self.busy, self.message = name, None
        try:
            result = await self.ctx.attempt(command)
        finally:
            self.busy = None
        if result.value is not None:
            self.status = result.value
            self.message = Outcome(True, done)
            return True
        self.message = Outcome(False, result.error or "")
        return False

    async def start(self) -> bool:
        """Start (or resume) charging."""
        return await self._run("start", self.ctx.link.start_charging, self.ctx.t("charge.started"))

    async def pause(self) -> bool:
        """Suspend charging, keeping the session open."""
        return await self._run("pause", self.ctx.link.pause_charging, self.ctx.t("charge.paused"))

    async def stop(self) -> bool:
        """End the charging session."""
        return await self._run("stop", self.ctx.link.stop_charging, self.ctx.t("charge.stopped"))

    async def toggle(self) -> bool:
        """The big button: stop a running session, start otherwise."""
        if self.status is not None and self.status.session_active and not self.status.paused:
            return await self.stop()
        return await self.start()

    async def set_limit(self, amps: int) -> bool:
        """Set the current limit (clamped to the allowed range)."""
        low, high = self.limit_range
        amps = min(high, max(low, int(amps)))
        return await self._run(
            "limit",
            lambda: self.ctx.link.set_current_limit(amps),
            self.ctx.t("charge.limit_set", amps=amps),
        )

    async def set_locked(self, locked: bool) -> bool:
        """Lock (nobody can start) or unlock the charger; owner only."""
        return await self._run(
            "lock",
            lambda: self.ctx.link.set_locked(locked),
            self.ctx.t("charge.locked" if locked else "charge.unlocked"),
        )
