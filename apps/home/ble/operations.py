"""Typed charger operations on top of one generic ``_call(op, args)``.

Kept apart from the transport so any ``HomeChargerLink`` implementation (bleak today, a phone
transport later) gets the same argument encoding and result decoding by providing ``_call``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from apps.home.ble.errors import HomeLinkError
from home_protocol.cbor import CborKey, CborValue
from home_protocol.commands import (
    ChargerStatus,
    HistoryEntry,
    HouseholdKey,
    Op,
    Schedule,
    WeeklyWindow,
)
from home_protocol.reasons import Role

__all__ = ["ChargerOperations"]


class ChargerOperations(abc.ABC):
    """The command half of HomeChargerLink, expressed through ``_call``."""

    @abc.abstractmethod
    async def _call(self, op: Op, args: dict[CborKey, CborValue] | None = None) -> CborValue:
        """Send one command, return its result; raise apps.home.ble.errors on failure."""

    @abc.abstractmethod
    def _set_status(self, status: ChargerStatus) -> None:
        """Remember and announce a fresh status (implemented by the transport)."""

    async def _status_call(
        self, op: Op, args: dict[CborKey, CborValue] | None = None
    ) -> ChargerStatus:
        status = ChargerStatus.from_cbor(await self._call(op, args))
        self._set_status(status)
        return status

    async def get_status(self) -> ChargerStatus:
        return await self._status_call(Op.STATUS)

    async def start_charging(self) -> ChargerStatus:
        return await self._status_call(Op.START)

    async def pause_charging(self) -> ChargerStatus:
        return await self._status_call(Op.PAUSE)

    async def stop_charging(self) -> ChargerStatus:
        return await self._status_call(Op.STOP)

    async def set_current_limit(self, amps: int) -> ChargerStatus:
        return await self._status_call(Op.SET_CURRENT_LIMIT, {"a": amps})

    async def set_installation(self, max_current_a: int, phases: int) -> ChargerStatus:
        return await self._status_call(
            Op.SET_INSTALLATION, {"max_a": max_current_a, "phases": phases}
        )

    async def get_schedule(self) -> Schedule:
        return Schedule.from_cbor(await self._call(Op.GET_SCHEDULE))

    async def set_delayed_start(self, at_unix: int) -> Schedule:
        return Schedule.from_cbor(await self._call(Op.SET_DELAYED_START, {"at": at_unix}))

    async def set_weekly_plan(self, windows: Sequence[WeeklyWindow]) -> Schedule:
        raw: list[CborValue] = [w.to_cbor() for w in windows]
        return Schedule.from_cbor(await self._call(Op.SET_WEEKLY_PLAN, {"windows": raw}))

    async def clear_schedule(self, what: str = "all") -> Schedule:
        return Schedule.from_cbor(await self._call(Op.CLEAR_SCHEDULE, {"what": what}))

    async def history(self, max_entries: int = 20) -> list[HistoryEntry]:
        result = await self._call(Op.HISTORY, {"max": max_entries})
        sessions = result.get("sessions") if isinstance(result, dict) else None
        if not isinstance(sessions, list):
            raise HomeLinkError("history answer lacks sessions")
        return [HistoryEntry.from_cbor(s) for s in sessions]

    async def _keys_call(
        self, op: Op, args: dict[CborKey, CborValue] | None = None
    ) -> list[HouseholdKey]:
        result = await self._call(op, args)
        keys = result.get("keys") if isinstance(result, dict) else None
        if not isinstance(keys, list):
            raise HomeLinkError("keys answer lacks keys")
        return [HouseholdKey.from_cbor(k) for k in keys]

    async def list_keys(self) -> list[HouseholdKey]:
        return await self._keys_call(Op.KEYS_LIST)

    async def approve_key(self, key_id: bytes, role: Role = Role.MEMBER) -> list[HouseholdKey]:
        return await self._keys_call(Op.KEYS_APPROVE, {"kid": key_id, "role": int(role)})

    async def remove_key(self, key_id: bytes) -> list[HouseholdKey]:
        return await self._keys_call(Op.KEYS_REMOVE, {"kid": key_id})

    async def set_clock(self, unix_seconds: int) -> ChargerStatus:
        return await self._status_call(Op.SET_CLOCK, {"t": unix_seconds})

    async def set_locked(self, locked: bool) -> ChargerStatus:
        return await self._status_call(Op.LOCK, {"locked": locked})
