"""Remote actions on chargers through the OCPP central system (``/api/v1/remote``).

Each call waits for the charger's real answer, so it gets a longer timeout than ordinary
calls. A charger that is offline, silent or refusing raises
:class:`~backend_client.errors.ChargerOffline`, :class:`~backend_client.errors.ChargerTimeout`
or :class:`~backend_client.errors.ChargerRejected` (never retried: retrying would not help).
Starting a session is a user action that must not happen twice: it always carries an
``Idempotency-Key`` (pass the same :class:`~backend_client.retry.Action` when the user retries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from backend_client.models.remote import (
    AvailabilityRequest,
    ChargingLimitRequest,
    CommandResult,
    ConfigurationChange,
    ConfigurationResult,
    RemoteStartRequest,
    RemoteStartResult,
    RemoteStopRequest,
    ResetRequest,
    TriggerableMessage,
    TriggerRequest,
    UnlockRequest,
)
from backend_client.resources._base import API, Resource, build, endpoint
from backend_client.resources.payments import action_key
from backend_client.retry import Action

__all__ = ["REMOTE_TIMEOUT", "RemoteApi"]

REMOTE_TIMEOUT = 40.0
"""Seconds a remote action may take: the central system gives the charger 30 s."""

_R = f"{API}/remote"


class RemoteApi(Resource):
    """``client.remote``: what the central system sends to a charger for drivers and staff."""

    @endpoint("POST", "/api/v1/remote/start")
    async def start(
        self,
        connector_no: int,
        *,
        charger_id: int | None = None,
        ocpp_id: str | None = None,
        id_tag: str | None = None,
        idempotency_key: Action | str | None = None,
    ) -> RemoteStartResult:
        """RemoteStartTransaction on one connector (name the charger by ``charger_id`` or by
        ``ocpp_id``). The session is ``pending`` until the charger starts it; follow it on
        the event stream (``session.started``).

        Raises:
            ChargerOffline / ChargerTimeout / ChargerRejected; Conflict: connector busy.
        """
        return await self._r.call(
            "POST",
            f"{_R}/start",
            RemoteStartResult,
            body=build(
                RemoteStartRequest,
                charger_id=charger_id,
                ocpp_id=ocpp_id,
                connector_no=connector_no,
                id_tag=id_tag,
            ),
            idempotency_key=action_key(idempotency_key),
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("POST", "/api/v1/remote/stop")
    async def stop(self, session_id: int) -> CommandResult:
        """RemoteStopTransaction for a running session (``session.stopped`` follows).
        Not retried after a lost answer: a second stop could be refused by a charger that
        already stopped, turning a success into an error."""
        return await self._r.call(
            "POST",
            f"{_R}/stop",
            CommandResult,
            body=build(RemoteStopRequest, session_id=session_id),
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("POST", "/api/v1/remote/chargers/{charger_id}/reset")
    async def reset(self, charger_id: int, kind: Literal["Soft", "Hard"] = "Soft") -> CommandResult:
        """Reset the charger (``Hard`` reboots it, ending running sessions)."""
        return await self._r.call(
            "POST",
            f"{_R}/chargers/{charger_id}/reset",
            CommandResult,
            body=build(ResetRequest, type=kind),
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("POST", "/api/v1/remote/chargers/{charger_id}/unlock")
    async def unlock(self, charger_id: int, connector_no: int) -> CommandResult:
        """Release a stuck cable."""
        return await self._r.call(
            "POST",
            f"{_R}/chargers/{charger_id}/unlock",
            CommandResult,
            body=build(UnlockRequest, connector_no=connector_no),
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("POST", "/api/v1/remote/chargers/{charger_id}/availability")
    async def change_availability(
        self, charger_id: int, *, operative: bool, connector_no: int = 0
    ) -> CommandResult:
        """Take a connector (0: the whole charger) in or out of service; ``Scheduled`` means
        it applies when the running session ends."""
        return await self._r.call(
            "POST",
            f"{_R}/chargers/{charger_id}/availability",
            CommandResult,
            body=build(AvailabilityRequest, connector_no=connector_no, operative=operative),
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("POST", "/api/v1/remote/chargers/{charger_id}/trigger")
    async def trigger(
        self, charger_id: int, message: TriggerableMessage, *, connector_no: int | None = None
    ) -> CommandResult:
        """Ask the charger to send ``message`` now (e.g. ``StatusNotification``)."""
        return await self._r.call(
            "POST",
            f"{_R}/chargers/{charger_id}/trigger",
            CommandResult,
            body=build(TriggerRequest, message=message, connector_no=connector_no),
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("GET", "/api/v1/remote/chargers/{charger_id}/configuration")
    async def get_configuration(
        self, charger_id: int, keys: Sequence[str] = ()
    ) -> ConfigurationResult:
        """The charger's configuration keys (all, or only ``keys``)."""
        return await self._r.call(
            "GET",
            f"{_R}/chargers/{charger_id}/configuration",
            ConfigurationResult,
            params={"key": list(keys)} if keys else None,
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("PUT", "/api/v1/remote/chargers/{charger_id}/configuration")
    async def change_configuration(self, charger_id: int, key: str, value: str) -> CommandResult:
        """Set one key (admins); ``RebootRequired`` means it applies after a reset."""
        return await self._r.call(
            "PUT",
            f"{_R}/chargers/{charger_id}/configuration",
            CommandResult,
            body=build(ConfigurationChange, key=key, value=value),
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("PUT", "/api/v1/remote/chargers/{charger_id}/charging-profile")
    async def set_charging_limit(
        self, charger_id: int, limit: ChargingLimitRequest
    ) -> CommandResult:
        """Limit current (A) or power (W) with a charging profile."""
        return await self._r.call(
            "PUT",
            f"{_R}/chargers/{charger_id}/charging-profile",
            CommandResult,
            body=limit,
            timeout=REMOTE_TIMEOUT,
        )

    @endpoint("DELETE", "/api/v1/remote/chargers/{charger_id}/charging-profile")
    async def clear_charging_limit(
        self,
        charger_id: int,
        *,
        profile_id: int | None = None,
        connector_no: int | None = None,
        purpose: Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"] | None = None,
        stack_level: int | None = None,
    ) -> CommandResult:
        """Remove charging profiles matching the filters (``Unknown``: none matched)."""
        return await self._r.call(
            "DELETE",
            f"{_R}/chargers/{charger_id}/charging-profile",
            CommandResult,
            params={
                "profile_id": profile_id,
                "connector_no": connector_no,
                "purpose": purpose,
                "stack_level": stack_level,
            },
            timeout=REMOTE_TIMEOUT,
        )
