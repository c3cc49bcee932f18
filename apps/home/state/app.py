"""The root model of one home-app session: stored pairing, enrolment, navigation, the live link.

Life cycle: :meth:`HomeState.start` reads the pairing kept on the device. Without one the
enrolment screen shows (and scans for chargers nearby); with one the app connects, and the link
keeps the session alive by itself (reconnecting after drops) while this model forwards its
events to the live screen. A phone that enrolled after the owner waits as *pending*: the link
keeps retrying, and the first successful session marks the stored pairing approved.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import flet as ft

from apps.home.ble.errors import HomeLinkError
from apps.home.ble.keys import AppKeyStorage
from apps.home.ble.link import (
    ChargerPairing,
    HomeChargerLink,
    LinkEvent,
    LinkState,
    LinkStateChanged,
)
from apps.home.errors import HomeAppError
from apps.home.state.base import Ctx, Outcome
from apps.home.state.charger import ChargeState
from apps.home.state.enrollment import EnrollState
from apps.home.state.errors import Translate, describe_error
from apps.home.state.history import HistoryState
from apps.home.state.household import HouseholdState
from apps.home.state.schedule import ScheduleState, local_wall_clock
from home_protocol.reasons import Role
from shared import ConnectionState

__all__ = ["SECTIONS", "HomeState", "Phase"]

SECTIONS = ("charge", "schedule", "history", "household")
"""Destinations once enrolled; ``household`` only for the owner."""

Reopen = Callable[[], Awaitable[HomeChargerLink]]
"""Makes a new link for this session (see :meth:`HomeState.create`)."""

Phase = str
"""``"starting"`` (reading the device's storage), ``"enroll"`` or ``"ready"``."""


@dataclass(eq=False)
class HomeState(ft.Observable):
    """Everything one home-app session shows."""

    phase: Phase = "starting"
    section: str = "charge"
    pairing: ChargerPairing | None = None
    notice: Outcome | None = None
    enroll: EnrollState = field(default_factory=EnrollState)
    charge: ChargeState = field(default_factory=ChargeState)
    schedule: ScheduleState = field(default_factory=ScheduleState)
    history: HistoryState = field(default_factory=HistoryState)
    household: HouseholdState = field(default_factory=HouseholdState)
    _ctx: Ctx | None = field(default=None, repr=False)
    _store: AppKeyStorage | None = field(default=None, repr=False)
    _unsubscribe: Callable[[], None] | None = field(default=None, repr=False)
    _reopen: Reopen | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls,
        link: HomeChargerLink,
        t: Translate,
        pairing_store: AppKeyStorage,
        *,
        reopen: Reopen | None = None,
    ) -> HomeState:
        """A session's state around its link; ``pairing_store`` keeps the pairing JSON.

        ``reopen`` makes a new link when this one was closed from outside (the demo server's
        one radio taken over by another tab); "Retry" then takes the radio back.
        """
        state = cls()
        ctx = Ctx(link=link, t=t)
        state._ctx, state._store, state._reopen = ctx, pairing_store, reopen
        state.enroll.bind(ctx, state._enrolled)
        state.charge._ctx = ctx
        state.schedule.bind(ctx, state._charger_clock)
        state.history.bind(ctx)
        state.household.bind(ctx)
        state._attach(link)
        return state

    def _attach(self, link: HomeChargerLink) -> None:
        # The link calls listeners from its own (Bumble/bleak) tasks, which do not carry the
        # Flet page context that re-rendering needs; replay each event in the context this
        # session was created in (a fresh copy per event, so nesting cannot collide).
        session_context = contextvars.copy_context()

        def listener(event: LinkEvent) -> None:
            session_context.copy().run(self._on_link_event, event)

        if self._unsubscribe is not None:
            self._unsubscribe()
        self.ctx.link = link
        self._unsubscribe = link.subscribe(listener)

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None, "use HomeState.create"
        return self._ctx

    @property
    def is_owner(self) -> bool:
        return self.pairing is not None and self.pairing.role is Role.OWNER

    @property
    def sections(self) -> tuple[str, ...]:
        return SECTIONS if self.is_owner else tuple(s for s in SECTIONS if s != "household")

    def _charger_clock(self) -> int:
        status = self.charge.status
        return status.clock if status is not None else local_wall_clock()

    # --- life cycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Resume the stored pairing, or show enrolment."""
        assert self._store is not None
        try:
            stored = await self._store.load()
            pairing = ChargerPairing.from_json(stored) if stored else None
        except HomeAppError as exc:
            self.notice = Outcome(False, describe_error(exc, self.ctx.t))
            pairing = None
        except (ValueError, KeyError, TypeError):  # unreadable JSON from an older version
            pairing = None
        if pairing is None:
            self.phase = "enroll"
            await self.enroll.scan()
            return
        self._use(pairing)
        await self.connect()

    async def close(self) -> None:
        """The session ended (tab closed): stop listening and cancel background work."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self.ctx.cancel_all()

    def _use(self, pairing: ChargerPairing) -> None:
        self.pairing, self.phase = pairing, "ready"
        if self.section not in self.sections:
            self.section = "charge"
        self.history.set_identity(pairing.key_id, pairing.role is Role.OWNER)
        self.household.set_identity(pairing.key_id)

    async def connect(self) -> bool:
        """Open the secure session with the paired charger (the link retries on its own)."""
        if self.pairing is None:
            return False
        if self.ctx.link.state is LinkState.CLOSED and self._reopen is not None:
            reopened = await self.ctx.attempt(self._reopen)
            if reopened.value is None:
                self.charge.message = Outcome(False, reopened.error or "")
                return False
            self._attach(reopened.value)
        self.charge.connection = ConnectionState.CONNECTING
        pairing = self.pairing
        result = await self.ctx.attempt(lambda: self.ctx.link.connect(pairing))
        if result.error is not None:
            if not pairing.pending:  # a pending phone already says it waits for approval
                self.charge.message = Outcome(False, result.error)
            return False
        await self.charge.refresh()
        return True

    async def _enrolled(self, pairing: ChargerPairing) -> None:
        assert self._store is not None
        try:
            await self._store.save(pairing.to_json())
        except HomeAppError as exc:  # enrolled anyway; it will only be lost on restart
            self.notice = Outcome(False, describe_error(exc, self.ctx.t))
        self.charge.reset()
        self.section = "charge"
        self._use(pairing)
        self.ctx.spawn(self.connect())

    async def forget(self) -> None:
        """Forget the charger on this phone (the charger keeps the key until the owner removes
        it); back to enrolment."""
        assert self._store is not None
        try:
            await self.ctx.link.disconnect()
            await self._store.delete()
        except (HomeAppError, HomeLinkError) as exc:
            self.notice = Outcome(False, describe_error(exc, self.ctx.t))
        self.pairing, self.phase, self.section = None, "enroll", "charge"
        self.charge.reset()
        self.ctx.spawn(self.enroll.scan())

    def clear_messages(self) -> None:
        """Drop the last actions' result lines (they were worded in the previous language)."""
        self.notice = None
        self.charge.message = self.schedule.message = self.household.message = None

    # --- navigation ---------------------------------------------------------------------------
    async def go(self, section: str) -> None:
        """Show ``section`` and load what it shows."""
        if section not in self.sections:
            return
        self.section = section
        if section == "schedule":
            await self.schedule.reload()
        elif section == "history":
            await self.history.reload()
        elif section == "household":
            await self.household.reload()
        elif section == "charge":
            await self.charge.refresh()

    # --- link events --------------------------------------------------------------------------
    def _on_link_event(self, event: LinkEvent) -> None:
        self.charge.on_link_event(event)
        if (
            isinstance(event, LinkStateChanged)
            and event.state is LinkState.CONNECTED
            and self.pairing is not None
            and self.pairing.pending
        ):
            # the owner approved this phone: a session only opens for active keys
            self.pairing = replace(self.pairing, pending=False)
            self.charge.message = None
            self.ctx.spawn(self._save_pairing(self.pairing))

    async def _save_pairing(self, pairing: ChargerPairing) -> None:
        assert self._store is not None
        try:
            await self._store.save(pairing.to_json())
        except HomeAppError as exc:
            self.notice = Outcome(False, describe_error(exc, self.ctx.t))
