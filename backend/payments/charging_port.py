"""The one thing payments needs from the charging layer: start (and stop) a session remotely.

A paid start authorizes payment *first* and only then asks the charger to start; this
Protocol is the seam between the two, so payments never reach into OCPP and tests can drive
the money side with a charging layer of their own. The app's implementation adapts
:mod:`backend.services.charging` (the OCPP central system's remote-start service).
"""

from __future__ import annotations

from typing import Protocol

from backend.context import AppContext


class ChargingPort(Protocol):
    async def remote_start(
        self,
        ctx: AppContext,
        *,
        charger_id: int,
        connector_no: int,
        id_tag: str,
        driver_id: int | None,
    ) -> int:
        """Have the charger start; return the id of the (pending) session it will run.

        Raises :class:`backend.errors.ChargerUnavailable` (offline / timed out / rejected) or
        another :class:`backend.errors.DomainError` when the charger cannot start.
        """
        ...

    async def remote_stop(self, ctx: AppContext, *, session_id: int) -> None:
        """Ask the charger to stop the session (its StopTransaction settles the payment)."""
        ...
