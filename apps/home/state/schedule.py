"""The schedule screen's model: a one-off delayed start and the weekly off-peak plan.

Times are the charger's wall-clock time: the charger counts seconds of local time (its clock is
set by the owner's phone), so "22:00" means 22:00 on the charger's clock, computed from the
clock value the charger reports in its status, never from the server running a web session.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import flet as ft

from apps.home.state.base import Ctx, Outcome
from home_protocol.commands import MAX_WEEKLY_WINDOWS, Schedule, WeeklyWindow
from shared import Loadable

__all__ = ["ScheduleState", "format_minutes", "next_occurrence", "parse_hhmm"]

_HHMM = re.compile(r"^\s*(\d{1,2})[:.：](\d{2})\s*$")
_DAY = 24 * 3600


def parse_hhmm(text: str) -> int | None:
    """Minutes after midnight for ``"HH:MM"`` (24 h), ``None`` if it is not a valid time."""
    match = _HHMM.match(text or "")
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def next_occurrence(minute_of_day: int, clock: int) -> int:
    """The first charger-clock second at ``minute_of_day`` strictly after ``clock``."""
    midnight = clock - clock % _DAY
    at = midnight + minute_of_day * 60
    return at if at > clock else at + _DAY


def local_wall_clock() -> int:
    """This device's local time as charger-clock seconds (used before any status arrived)."""
    return calendar.timegm(time.localtime())


@dataclass(eq=False)
class ScheduleState(ft.Observable):
    """The charger's schedule plus the result of the last change."""

    schedule: Loadable[Schedule] = field(default_factory=Loadable.loading)
    busy: bool = False
    message: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)
    _clock: Callable[[], int] = field(default=local_wall_clock, repr=False)

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None, "ScheduleState used before HomeState.create bound it"
        return self._ctx

    def bind(self, ctx: Ctx, clock: Callable[[], int]) -> None:
        """``clock``: the charger's current clock (from its last status)."""
        self._ctx, self._clock = ctx, clock

    @property
    def current(self) -> Schedule | None:
        return self.schedule.value

    async def reload(self) -> None:
        self.schedule = await self.ctx.load(self.ctx.link.get_schedule)

    async def _change(self, command: Callable[[], Awaitable[Schedule]], done: str) -> bool:
        if self.busy:
            return False
        self.busy, self.message = True, None
        try:
            result = await self.ctx.attempt(command)
        finally:
            self.busy = False
        if result.value is None:
            self.message = Outcome(False, result.error or "")
            return False
        self.schedule = Loadable.ready(result.value)
        self.message = Outcome(True, done)
        return True

    def _invalid(self, key: str) -> bool:
        self.message = Outcome(False, self.ctx.t(key))
        return False

    async def set_delayed_start(self, time_text: str) -> bool:
        """Start charging once, at the next ``HH:MM`` on the charger's clock."""
        minute = parse_hhmm(time_text)
        if minute is None:
            return self._invalid("schedule.bad_time")
        at = next_occurrence(minute, self._clock())
        return await self._change(
            lambda: self.ctx.link.set_delayed_start(at),
            self.ctx.t("schedule.delayed_set", time=format_minutes(minute)),
        )

    async def add_window(self, days_mask: int, start_text: str, end_text: str) -> bool:
        """Add an off-peak window (days, start, end; end before start crosses midnight)."""
        start, end = parse_hhmm(start_text), parse_hhmm(end_text)
        if start is None or end is None:
            return self._invalid("schedule.bad_time")
        if start == end:
            return self._invalid("schedule.empty_window")
        if not 0 < days_mask <= 0x7F:
            return self._invalid("schedule.no_days")
        windows = list(self.current.weekly) if self.current else []
        if len(windows) >= MAX_WEEKLY_WINDOWS:
            return self._invalid("schedule.too_many")
        windows.append(WeeklyWindow(days_mask, start, end))
        return await self._change(
            lambda: self.ctx.link.set_weekly_plan(windows), self.ctx.t("schedule.plan_saved")
        )

    async def remove_window(self, index: int) -> bool:
        windows = list(self.current.weekly) if self.current else []
        if not 0 <= index < len(windows):
            return False
        del windows[index]
        if not windows:
            return await self.clear("weekly")
        return await self._change(
            lambda: self.ctx.link.set_weekly_plan(windows), self.ctx.t("schedule.plan_saved")
        )

    async def clear(self, what: str = "all") -> bool:
        """Clear ``"delayed"``, ``"weekly"`` or ``"all"``."""
        return await self._change(
            lambda: self.ctx.link.clear_schedule(what), self.ctx.t(f"schedule.cleared_{what}")
        )
