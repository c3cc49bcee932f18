"""The simulated home charger's physics and rules, independent of any protocol or radio.

IEC 61851 states as seen by the charger: A (no vehicle), B (vehicle connected, not charging),
C (charging), F (fault). A meter integrates power over the virtual clock; a schedule runner
starts charging at a one-off delayed time or inside the weekly off-peak windows. Every change
calls the registered listeners so the protocol core can push STATUS events.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from home_protocol.commands import (
    MIN_CURRENT_A,
    ChargerStatus,
    HistoryEntry,
    Schedule,
    WeeklyWindow,
)
from home_protocol.reasons import ReasonCode

__all__ = ["NOMINAL_VOLTAGE", "ChargerModel", "ChargingSession", "VirtualClock"]

NOMINAL_VOLTAGE = 230
_MAX_HISTORY_KEPT = 50


class VirtualClock:
    """Unix time that runs at ``speed`` × real time and can be advanced or set by tests.

    ``monotonic`` is injectable so unit tests can freeze real time completely.
    """

    def __init__(
        self,
        start: float | None = None,
        *,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._base = time.time() if start is None else start
        self._mono_base = monotonic()
        self._speed = speed

    def now(self) -> float:
        return self._base + (self._monotonic() - self._mono_base) * self._speed

    def advance(self, seconds: float) -> None:
        self._base += seconds

    def set(self, unix_seconds: float) -> None:
        self._base = unix_seconds
        self._mono_base = self._monotonic()


@dataclasses.dataclass
class ChargingSession:
    session_id: int
    started_at: int
    key_id: bytes | None
    by_schedule: bool
    energy_wh: float = 0.0
    paused: bool = False
    ended_at: int | None = None

    def entry(self) -> HistoryEntry:
        return HistoryEntry(
            self.session_id, self.started_at, self.ended_at, int(self.energy_wh), self.key_id
        )


class ChargerModel:
    """State of one charge point. All mutators return a ReasonCode instead of raising, because
    refusals are ordinary outcomes that travel back to the app."""

    def __init__(
        self,
        clock: VirtualClock,
        *,
        hardware_max_a: int = 32,
        installation_max_a: int = 16,
        phases: int = 1,
        meter_wh: float = 0.0,
        history: list[HistoryEntry] | None = None,
    ) -> None:
        self.clock = clock
        self.hardware_max_a = hardware_max_a
        self.installation_max_a = installation_max_a
        self.phases = phases
        self.current_limit_a = installation_max_a
        self.meter_wh = meter_wh
        self.plugged = False
        self.fault: str | None = None
        self.locked = False
        self.session: ChargingSession | None = None
        self.delayed_start_at: int | None = None
        self.weekly: tuple[WeeklyWindow, ...] = ()
        self.history: list[HistoryEntry] = list(history or [])
        self._next_session_id = max((h.session_id for h in self.history), default=0) + 1
        self._last_tick = clock.now()
        self._listeners: list[Callable[[], None]] = []
        self._stopped_by_user_this_plug = False
        self.actions_executed = 0  # counts state-changing commands; tests check "no duplicate"

    # --- observation ------------------------------------------------------------------

    def add_listener(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    @property
    def iec_state(self) -> str:
        if self.fault is not None:
            return "F"
        if not self.plugged:
            return "A"
        if self.session is not None and not self.session.paused and self._schedule_allows():
            return "C"
        return "B"

    @property
    def power_w(self) -> int:
        if self.iec_state != "C":
            return 0
        return self.current_limit_a * NOMINAL_VOLTAGE * self.phases

    def status(self) -> ChargerStatus:
        session = self.session
        return ChargerStatus(
            state=self.iec_state,
            charging=session is not None and not session.paused,
            paused=session is not None and session.paused,
            session_active=session is not None,
            power_w=self.power_w,
            current_limit_a=self.current_limit_a,
            installation_max_a=self.installation_max_a,
            phases=self.phases,
            session_energy_wh=int(session.energy_wh) if session else 0,
            meter_wh=int(self.meter_wh),
            locked=self.locked,
            clock=int(self.clock.now()),
            fault=self.fault,
            waiting_for_schedule=self._waiting_for_schedule(),
        )

    def schedule(self) -> Schedule:
        return Schedule(self.delayed_start_at, self.weekly)

    # --- schedule runner ----------------------------------------------------------------

    def _in_weekly_window(self, now: float) -> bool:
        minute_of_week = int(now // 60) % (7 * 1440)
        # 1970-01-01 was a Thursday: shift so that day 0 is Monday
        day = (minute_of_week // 1440 + 3) % 7
        minute = minute_of_week % 1440
        for w in self.weekly:
            if w.start_min < w.end_min:
                if w.days_mask >> day & 1 and w.start_min <= minute < w.end_min:
                    return True
            else:  # crosses midnight: belongs to the day it starts on
                if w.days_mask >> day & 1 and minute >= w.start_min:
                    return True
                if w.days_mask >> ((day - 1) % 7) & 1 and minute < w.end_min:
                    return True
        return False

    def _schedule_allows(self) -> bool:
        session = self.session
        if session is None or not session.by_schedule or not self.weekly:
            return True
        return self._in_weekly_window(self.clock.now())

    def _waiting_for_schedule(self) -> bool:
        if not self.plugged or self.fault is not None:
            return False
        if self.session is None:
            return self.delayed_start_at is not None or bool(self.weekly)
        return self.session.by_schedule and not self._schedule_allows()

    def tick(self) -> None:
        """Integrate the meter up to now and run the schedule; call it often (or after
        advancing the clock in tests)."""
        now = self.clock.now()
        before = (self.iec_state, self.power_w, int(self.meter_wh), self._waiting_for_schedule())
        elapsed = max(0.0, now - self._last_tick)
        if self.session is not None and self.power_w:
            wh = self.power_w * elapsed / 3600.0
            self.meter_wh += wh
            self.session.energy_wh += wh
        self._last_tick = now
        if self.plugged and self.fault is None and self.session is None:
            if self.delayed_start_at is not None and now >= self.delayed_start_at:
                self.delayed_start_at = None
                self._begin(None, by_schedule=False)
            elif (
                self.weekly and not self._stopped_by_user_this_plug and self._in_weekly_window(now)
            ):
                self._begin(None, by_schedule=True)
        after = (self.iec_state, self.power_w, int(self.meter_wh), self._waiting_for_schedule())
        if after != before:
            self._changed()

    def _begin(self, key_id: bytes | None, *, by_schedule: bool) -> None:
        self.session = ChargingSession(
            self._next_session_id, int(self.clock.now()), key_id, by_schedule
        )
        self._next_session_id += 1

    def _end(self) -> None:
        if self.session is None:
            return
        self.session.ended_at = int(self.clock.now())
        self.history.append(self.session.entry())
        del self.history[:-_MAX_HISTORY_KEPT]
        self.session = None

    # --- physical controls --------------------------------------------------------------

    def plug_in(self) -> None:
        self.tick()
        self.plugged = True
        self._stopped_by_user_this_plug = False
        self._changed()
        self.tick()

    def unplug(self) -> None:
        self.tick()
        self.plugged = False
        self._end()
        self._changed()

    def inject_fault(self, description: str = "ground fault") -> None:
        self.tick()
        self.fault = description
        self._end()
        self._changed()

    def clear_fault(self) -> None:
        self.fault = None
        self._changed()

    def power_cycle(self) -> None:
        """A reboot ends any running session (the contactor opens while the board restarts)."""
        self.tick()
        self._end()
        self._changed()

    # --- commands -----------------------------------------------------------------------

    def start(self, key_id: bytes | None, *, privileged: bool) -> ReasonCode:
        self.tick()
        if self.fault is not None:
            return ReasonCode.FAULT
        if self.locked and not privileged:
            return ReasonCode.LOCKED
        if not self.plugged:
            return ReasonCode.NOT_PLUGGED
        self.actions_executed += 1
        if self.session is None:
            self._begin(key_id, by_schedule=False)
        else:
            self.session.paused = False
            self.session.by_schedule = False  # "charge now" overrides the plan
        self._changed()
        return ReasonCode.OK

    def pause(self) -> ReasonCode:
        self.tick()
        if self.session is None or self.session.paused:
            return ReasonCode.INVALID_STATE
        self.actions_executed += 1
        self.session.paused = True
        self._changed()
        return ReasonCode.OK

    def stop(self) -> ReasonCode:
        self.tick()
        if self.session is None:
            return ReasonCode.INVALID_STATE
        self.actions_executed += 1
        self._stopped_by_user_this_plug = True
        self._end()
        self._changed()
        return ReasonCode.OK

    def set_current_limit(self, amps: int) -> ReasonCode:
        if not MIN_CURRENT_A <= amps <= self.installation_max_a:
            return ReasonCode.INVALID_ARGUMENT
        self.tick()
        self.actions_executed += 1
        self.current_limit_a = amps
        self._changed()
        return ReasonCode.OK

    def set_installation(self, max_a: int, phases: int) -> ReasonCode:
        if not MIN_CURRENT_A <= max_a <= self.hardware_max_a or phases not in (1, 3):
            return ReasonCode.INVALID_ARGUMENT
        self.tick()
        self.actions_executed += 1
        self.installation_max_a = max_a
        self.phases = phases
        self.current_limit_a = min(self.current_limit_a, max_a)
        self._changed()
        return ReasonCode.OK

    def set_delayed_start(self, at: int) -> ReasonCode:
        if at <= int(self.clock.now()):
            return ReasonCode.INVALID_ARGUMENT
        self.delayed_start_at = at
        self._changed()
        return ReasonCode.OK

    def set_weekly(self, windows: tuple[WeeklyWindow, ...]) -> ReasonCode:
        self.weekly = windows
        self.tick()
        self._changed()
        return ReasonCode.OK

    def clear_schedule(self, what: str) -> ReasonCode:
        if what in ("delayed", "all"):
            self.delayed_start_at = None
        if what in ("weekly", "all"):
            self.weekly = ()
        self._changed()
        return ReasonCode.OK

    def set_clock(self, unix_seconds: int) -> ReasonCode:
        self.tick()
        self.clock.set(unix_seconds)
        self._last_tick = self.clock.now()
        self._changed()
        return ReasonCode.OK

    def set_locked(self, locked: bool) -> ReasonCode:
        self.locked = locked
        self._changed()
        return ReasonCode.OK
