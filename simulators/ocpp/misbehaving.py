"""Chargers that misbehave in the ways real ones do, for the central system's failure tests.

Each is a :class:`SimChargePoint` subclass overriding one public hook; select one per charger
with ``ChargerSpec(behaviour=...)`` using the names in :data:`BEHAVIOURS`. Tunables are class
attributes: subclass to change them (``type("Slow10", (SlowChargePoint,), {"answer_delay_s": 10})``).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from ocpp.v16 import call

from simulators.ocpp.charge_point import SimChargePoint


def is_transaction_message(payload: Any) -> bool:
    if isinstance(payload, call.StartTransaction | call.StopTransaction):
        return True
    return isinstance(payload, call.MeterValues) and payload.transaction_id is not None


class SlowChargePoint(SimChargePoint):
    """Takes ``answer_delay_s`` before answering any call of the central system."""

    answer_delay_s: ClassVar[float] = 5.0

    async def before_answer(self, action: str) -> None:
        await asyncio.sleep(self.answer_delay_s)


class RejectingChargePoint(SimChargePoint):
    """Rejects every RemoteStartTransaction (e.g. a charger whose operator locked it)."""

    def remote_start_status(self, connector_id: int) -> str:
        return "Rejected"


class DroppingChargePoint(SimChargePoint):
    """Loses its connection mid-transaction, right after the central system acknowledged a
    MeterValues — the charger never sees that answer, so it re-sends the message on reconnect
    (the central system must not count it twice). Happens once per charger."""

    drop_after_meter_values: ClassVar[int] = 2
    offline_s: ClassVar[float] = 1.0

    async def deliver(self, payload: Any) -> Any:
        answer = await super().deliver(payload)
        station = self.station
        if isinstance(payload, call.MeterValues) and payload.transaction_id is not None:
            station.counters["meter_values"] = station.counters.get("meter_values", 0) + 1
            if station.counters["meter_values"] == self.drop_after_meter_values:
                station.go_offline(self.offline_s, abrupt=True)
                # Never return: the connection is being torn down, the answer is "lost" and
                # the message stays at the head of the outbox to be re-sent.
                await asyncio.Event().wait()
        return answer


class DuplicatingChargePoint(SimChargePoint):
    """Sends every transaction message twice (a retry after a lost answer, in effect).

    Both answers are kept in ``station.duplicate_answers`` as ``(action, first, second)``
    so a test can check that a repeated StartTransaction got the same transactionId.
    """

    async def deliver(self, payload: Any) -> Any:
        first = await super().deliver(payload)
        if not is_transaction_message(payload):
            return first
        second = await super().deliver(payload)
        self.station.duplicate_answers.append((type(payload).__name__, first, second))
        return second


BEHAVIOURS: dict[str, type[SimChargePoint]] = {
    "normal": SimChargePoint,
    "slow": SlowChargePoint,
    "reject-remote-start": RejectingChargePoint,
    "drop-mid-transaction": DroppingChargePoint,
    "duplicate-messages": DuplicatingChargePoint,
}
"""``ChargerSpec.behaviour`` names → charge-point classes."""


__all__ = [
    "BEHAVIOURS",
    "DroppingChargePoint",
    "DuplicatingChargePoint",
    "RejectingChargePoint",
    "SlowChargePoint",
]
