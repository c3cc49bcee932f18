"""Execution of authenticated, authorised commands against the charger model and key store.

Kept apart from the protocol core so the security checks (core.py) and the business rules
(here) can each be read on their own.
"""

from __future__ import annotations

from collections.abc import Mapping

from home_protocol.cbor import CborKey, CborValue
from home_protocol.commands import MAX_HISTORY, Op, WeeklyWindow
from home_protocol.reasons import ReasonCode, Role
from simulators.home.keystore import KeyStore
from simulators.home.model import ChargerModel

__all__ = ["execute"]


def _status(model: ChargerModel, reason: ReasonCode) -> tuple[ReasonCode, CborValue]:
    return reason, model.status().to_cbor()


def _keys(store: KeyStore) -> CborValue:
    return {"keys": [r.household_key().to_cbor() for r in store.records()]}


def execute(
    op: Op,
    args: Mapping[CborKey, CborValue],
    *,
    kid: bytes,
    role: Role,
    model: ChargerModel,
    store: KeyStore,
) -> tuple[ReasonCode, CborValue]:
    """Run ``op``; arguments were validated for shape by ``validate_args`` already."""
    if op is Op.STATUS:
        model.tick()
        return _status(model, ReasonCode.OK)
    if op is Op.START:
        return _status(model, model.start(kid, privileged=role is Role.OWNER))
    if op is Op.PAUSE:
        return _status(model, model.pause())
    if op is Op.STOP:
        return _status(model, model.stop())
    if op is Op.SET_CURRENT_LIMIT:
        return _status(model, model.set_current_limit(_as_int(args["a"])))
    if op is Op.SET_INSTALLATION:
        return _status(
            model, model.set_installation(_as_int(args["max_a"]), _as_int(args["phases"]))
        )
    if op is Op.GET_SCHEDULE:
        return ReasonCode.OK, model.schedule().to_cbor()
    if op is Op.SET_DELAYED_START:
        return model.set_delayed_start(_as_int(args["at"])), model.schedule().to_cbor()
    if op is Op.SET_WEEKLY_PLAN:
        raw = args["windows"]
        windows = tuple(WeeklyWindow.from_cbor(w) for w in raw) if isinstance(raw, list) else ()
        return model.set_weekly(windows), model.schedule().to_cbor()
    if op is Op.CLEAR_SCHEDULE:
        return model.clear_schedule(str(args["what"])), model.schedule().to_cbor()
    if op is Op.HISTORY:
        limit = _as_int(args.get("max", MAX_HISTORY))
        entries = list(reversed(model.history))[:limit]
        return ReasonCode.OK, {"sessions": [e.to_cbor() for e in entries]}
    if op is Op.KEYS_LIST:
        return ReasonCode.OK, _keys(store)
    if op is Op.KEYS_APPROVE:
        target = args["kid"]
        assert isinstance(target, bytes)
        ok = store.approve(target, Role(_as_int(args["role"])))
        return (ReasonCode.OK if ok else ReasonCode.NOT_FOUND), _keys(store)
    if op is Op.KEYS_REMOVE:
        target = args["kid"]
        assert isinstance(target, bytes)
        if target == kid:
            # an owner removing itself could leave the charger without an owner
            return ReasonCode.INVALID_ARGUMENT, _keys(store)
        ok = store.remove(target)
        return (ReasonCode.OK if ok else ReasonCode.NOT_FOUND), _keys(store)
    if op is Op.SET_CLOCK:
        return _status(model, model.set_clock(_as_int(args["t"])))
    if op is Op.LOCK:
        return _status(model, model.set_locked(bool(args["locked"])))
    return ReasonCode.UNKNOWN_COMMAND, None


def _as_int(value: CborValue) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("validated argument is not an integer")
    return value
