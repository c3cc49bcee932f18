"""Commands carried inside encrypted COMMAND messages, who may run them, and typed results.

A decrypted command is the CBOR array ``[op, req_id, args]``; a decrypted response is
``[req_id, reason, result]``; a decrypted event is ``[event_type, data]``. ``args``/``result``
are maps with short text keys, listed per operation in the spec. The charger re-validates every
argument (``validate_args``) — the app-side builders only save a round trip.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

from home_protocol.cbor import CborKey, CborValue, dumps, loads
from home_protocol.errors import DecodeError
from home_protocol.reasons import KeyState, ReasonCode, Role

__all__ = [
    "MAX_HISTORY",
    "MAX_WEEKLY_WINDOWS",
    "MIN_CURRENT_A",
    "PERMISSIONS",
    "REQUEST_ID_SIZE",
    "ChargerStatus",
    "EventType",
    "HistoryEntry",
    "HouseholdKey",
    "Op",
    "RequestBody",
    "ResponseBody",
    "Schedule",
    "WeeklyWindow",
    "validate_args",
]

MIN_CURRENT_A = 6  # IEC 61851: PWM below 6 A means "no charging allowed"
MAX_WEEKLY_WINDOWS = 14
MAX_HISTORY = 20
REQUEST_ID_SIZE = 8


class Op(enum.IntEnum):
    STATUS = 1
    START = 2  # start or resume charging
    PAUSE = 3  # suspend, keep the session open
    STOP = 4  # end the charging session
    SET_CURRENT_LIMIT = 5  # {"a": 6..installation max}
    SET_INSTALLATION = 6  # {"max_a": 6..hardware max, "phases": 1|3}, installer only
    GET_SCHEDULE = 7
    SET_DELAYED_START = 8  # {"at": unix seconds}, one-off
    SET_WEEKLY_PLAN = 9  # {"windows": [[days_mask, start_min, end_min], ...]}
    CLEAR_SCHEDULE = 10  # {"what": "delayed" | "weekly" | "all"}
    HISTORY = 11  # {"max": 1..20}
    KEYS_LIST = 12
    KEYS_APPROVE = 13  # {"kid": key_id, "role": Role}
    KEYS_REMOVE = 14  # {"kid": key_id}
    SET_CLOCK = 15  # {"t": unix seconds}
    LOCK = 16  # {"locked": bool}


class EventType(enum.IntEnum):
    STATUS = 1  # data: ChargerStatus map, sent on every state change


_ALL = frozenset(Role)
_USERS = frozenset({Role.OWNER, Role.MEMBER})
PERMISSIONS: Mapping[Op, frozenset[Role]] = {
    Op.STATUS: _ALL,
    Op.START: _USERS,
    Op.PAUSE: _USERS,
    Op.STOP: _USERS,
    Op.SET_CURRENT_LIMIT: _ALL,
    Op.SET_INSTALLATION: frozenset({Role.INSTALLER}),
    Op.GET_SCHEDULE: _ALL,
    Op.SET_DELAYED_START: _USERS,
    Op.SET_WEEKLY_PLAN: _USERS,
    Op.CLEAR_SCHEDULE: _USERS,
    Op.HISTORY: _USERS,
    Op.KEYS_LIST: frozenset({Role.OWNER}),
    Op.KEYS_APPROVE: frozenset({Role.OWNER}),
    Op.KEYS_REMOVE: frozenset({Role.OWNER}),
    Op.SET_CLOCK: frozenset({Role.OWNER, Role.INSTALLER}),
    Op.LOCK: frozenset({Role.OWNER}),
}
"""Roles allowed to run each operation; anything else is refused with FORBIDDEN_ROLE."""


def _int(value: CborValue, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise DecodeError(f"expected an integer in {lo}..{hi}")
    return value


def _map(value: CborValue) -> dict[CborKey, CborValue]:
    if not isinstance(value, dict):
        raise DecodeError("expected a map")
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """Charging allowed on the days in ``days_mask`` (bit 0 = Monday) between the minutes of
    day ``start_min`` and ``end_min`` in charger local time; end < start crosses midnight."""

    days_mask: int
    start_min: int
    end_min: int

    def to_cbor(self) -> list[CborValue]:
        return [self.days_mask, self.start_min, self.end_min]

    @classmethod
    def from_cbor(cls, raw: CborValue) -> WeeklyWindow:
        if not isinstance(raw, list) or len(raw) != 3:
            raise DecodeError("weekly window must be [days_mask, start_min, end_min]")
        window = cls(_int(raw[0], 1, 0x7F), _int(raw[1], 0, 1439), _int(raw[2], 0, 1439))
        if window.start_min == window.end_min:
            raise DecodeError("weekly window must not be empty")
        return window


@dataclasses.dataclass(frozen=True, slots=True)
class Schedule:
    delayed_start_at: int | None
    weekly: tuple[WeeklyWindow, ...]

    def to_cbor(self) -> dict[CborKey, CborValue]:
        return {"delayed": self.delayed_start_at, "weekly": [w.to_cbor() for w in self.weekly]}

    @classmethod
    def from_cbor(cls, raw: CborValue) -> Schedule:
        m = _map(raw)
        delayed = m.get("delayed")
        weekly = m.get("weekly")
        if not isinstance(weekly, list):
            raise DecodeError("schedule lacks weekly list")
        return cls(
            None if delayed is None else _int(delayed, 0, 2**40),
            tuple(WeeklyWindow.from_cbor(w) for w in weekly),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class ChargerStatus:
    """Live state of the charger as shown on the app's main screen."""

    state: str  # IEC 61851 "A" (no vehicle), "B" (connected), "C" (charging), "F" (fault)
    charging: bool  # a session is active and not paused (may still wait for the schedule)
    paused: bool
    session_active: bool
    power_w: int
    current_limit_a: int
    installation_max_a: int
    phases: int
    session_energy_wh: int
    meter_wh: int
    locked: bool
    clock: int
    fault: str | None
    waiting_for_schedule: bool

    def to_cbor(self) -> dict[CborKey, CborValue]:
        return {
            "st": self.state,
            "chg": self.charging,
            "paused": self.paused,
            "sess": self.session_active,
            "p_w": self.power_w,
            "lim": self.current_limit_a,
            "max": self.installation_max_a,
            "ph": self.phases,
            "e_wh": self.session_energy_wh,
            "m_wh": self.meter_wh,
            "lock": self.locked,
            "t": self.clock,
            "fault": self.fault,
            "wait": self.waiting_for_schedule,
        }

    @classmethod
    def from_cbor(cls, raw: CborValue) -> ChargerStatus:
        m = _map(raw)
        try:
            state, fault = m["st"], m["fault"]
            flags = [m["chg"], m["paused"], m["sess"], m["lock"], m["wait"]]
            ints = [m["p_w"], m["lim"], m["max"], m["ph"], m["e_wh"], m["m_wh"], m["t"]]
        except KeyError as exc:
            raise DecodeError(f"status lacks {exc}") from exc
        if state not in ("A", "B", "C", "F") or not isinstance(state, str):
            raise DecodeError("bad IEC 61851 state")
        if fault is not None and not isinstance(fault, str):
            raise DecodeError("bad fault text")
        if not all(isinstance(f, bool) for f in flags):
            raise DecodeError("status flags must be booleans")
        p_w, lim, mx, ph, e_wh, m_wh, t = (_int(i, 0, 2**53) for i in ints)
        return cls(
            state=state,
            charging=bool(flags[0]),
            paused=bool(flags[1]),
            session_active=bool(flags[2]),
            power_w=p_w,
            current_limit_a=lim,
            installation_max_a=mx,
            phases=ph,
            session_energy_wh=e_wh,
            meter_wh=m_wh,
            locked=bool(flags[3]),
            clock=t,
            fault=fault,
            waiting_for_schedule=bool(flags[4]),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class HistoryEntry:
    session_id: int
    started_at: int
    ended_at: int | None
    energy_wh: int
    key_id: bytes | None  # who started it (None: started by the schedule)

    def to_cbor(self) -> dict[CborKey, CborValue]:
        return {
            "id": self.session_id,
            "start": self.started_at,
            "end": self.ended_at,
            "wh": self.energy_wh,
            "kid": self.key_id,
        }

    @classmethod
    def from_cbor(cls, raw: CborValue) -> HistoryEntry:
        m = _map(raw)
        end, kid = m.get("end"), m.get("kid")
        if kid is not None and not isinstance(kid, bytes):
            raise DecodeError("bad key id")
        return cls(
            _int(m.get("id"), 0, 2**53),
            _int(m.get("start"), 0, 2**53),
            None if end is None else _int(end, 0, 2**53),
            _int(m.get("wh"), 0, 2**53),
            kid,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class HouseholdKey:
    key_id: bytes
    role: Role
    name: str
    state: KeyState
    added_at: int

    def to_cbor(self) -> dict[CborKey, CborValue]:
        return {
            "kid": self.key_id,
            "role": int(self.role),
            "name": self.name,
            "state": int(self.state),
            "added": self.added_at,
        }

    @classmethod
    def from_cbor(cls, raw: CborValue) -> HouseholdKey:
        m = _map(raw)
        kid, name = m.get("kid"), m.get("name")
        if not isinstance(kid, bytes) or not isinstance(name, str):
            raise DecodeError("bad household key entry")
        try:
            role, state = Role(_int(m.get("role"), 1, 3)), KeyState(_int(m.get("state"), 1, 2))
        except ValueError as exc:
            raise DecodeError("bad role or state") from exc
        return cls(kid, role, name, state, _int(m.get("added"), 0, 2**53))


@dataclasses.dataclass(frozen=True, slots=True)
class RequestBody:
    op: Op
    req_id: bytes
    args: dict[CborKey, CborValue]

    def encode(self) -> bytes:
        return dumps([int(self.op), self.req_id, self.args])

    @classmethod
    def decode(cls, data: bytes) -> RequestBody:
        raw = loads(data)
        if not isinstance(raw, list) or len(raw) != 3:
            raise DecodeError("request must be [op, req_id, args]")
        op_raw, req_id, args = raw
        if not isinstance(req_id, bytes) or len(req_id) != REQUEST_ID_SIZE:
            raise DecodeError("request id must be 8 bytes")
        try:
            op = Op(_int(op_raw, 0, 255))
        except ValueError as exc:
            raise DecodeError("unknown operation") from exc
        return cls(op, req_id, _map(args))


@dataclasses.dataclass(frozen=True, slots=True)
class ResponseBody:
    req_id: bytes
    reason: ReasonCode
    result: CborValue

    def encode(self) -> bytes:
        return dumps([self.req_id, int(self.reason), self.result])

    @classmethod
    def decode(cls, data: bytes) -> ResponseBody:
        raw = loads(data)
        if not isinstance(raw, list) or len(raw) != 3 or not isinstance(raw[0], bytes):
            raise DecodeError("response must be [req_id, reason, result]")
        try:
            reason = ReasonCode(_int(raw[1], 0, 255))
        except ValueError as exc:
            raise DecodeError("unknown reason code") from exc
        return cls(raw[0], reason, raw[2])


def validate_args(op: Op, args: Mapping[CborKey, CborValue], hardware_max_a: int) -> None:
    """Check an operation's arguments for shape and static ranges; DecodeError if invalid.

    Limits that depend on charger state (current limit vs. installation max) are checked by
    the charger when executing.
    """
    if op is Op.SET_CURRENT_LIMIT:
        _int(args.get("a"), MIN_CURRENT_A, hardware_max_a)
    elif op is Op.SET_INSTALLATION:
        _int(args.get("max_a"), MIN_CURRENT_A, hardware_max_a)
        if args.get("phases") not in (1, 3) or isinstance(args.get("phases"), bool):
            raise DecodeError("phases must be 1 or 3")
    elif op is Op.SET_DELAYED_START:
        _int(args.get("at"), 0, 2**40)
    elif op is Op.SET_WEEKLY_PLAN:
        windows = args.get("windows")
        if not isinstance(windows, list) or len(windows) > MAX_WEEKLY_WINDOWS:
            raise DecodeError(f"windows must be a list of at most {MAX_WEEKLY_WINDOWS}")
        for w in windows:
            WeeklyWindow.from_cbor(w)
    elif op is Op.CLEAR_SCHEDULE:
        if args.get("what") not in ("delayed", "weekly", "all"):
            raise DecodeError("what must be delayed, weekly or all")
    elif op is Op.HISTORY:
        _int(args.get("max", MAX_HISTORY), 1, MAX_HISTORY)
    elif op in (Op.KEYS_APPROVE, Op.KEYS_REMOVE):
        kid = args.get("kid")
        if not isinstance(kid, bytes) or len(kid) != 8:
            raise DecodeError("kid must be an 8-byte key id")
        if op is Op.KEYS_APPROVE:
            _int(args.get("role"), 1, 3)
    elif op is Op.SET_CLOCK:
        _int(args.get("t"), 1_500_000_000, 2**40)
    elif op is Op.LOCK and not isinstance(args.get("locked"), bool):
        raise DecodeError("locked must be a boolean")
