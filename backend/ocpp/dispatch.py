"""The receive loop of one charger connection: frames in, answers out, one at a time.

Replaces the ``ocpp`` library's ``ChargePoint.start`` loop (see :mod:`backend.ocpp.frames` for
why) and keeps what that loop guaranteed:

* frames of one charger are handled strictly in order, each answered before the next is read —
  which is also the back-pressure: a charger cannot queue work faster than it is answered;
* answers to CSMS-initiated calls go to the library's ``call()``, whose lock keeps one CALL
  outstanding per charger (OCPP-J §4.1.1). Answers nobody waits for (a late reply to a call
  that timed out, or a hostile charger's made-up ones) are dropped instead of piling up in the
  library's response queue.

On top, a per-connection rate limit (:class:`TokenBucket`): a charger sending faster than
``ocpp_rate_limit`` frames per second (after a burst of ``ocpp_rate_burst``) simply has its next
frame read later. Nothing is refused or closed — TCP flow control slows the sender down — and
since the wait is this connection's own, other chargers are not slowed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from backend.ocpp import frames
from backend.ocpp._ocpplib import ChargePoint16
from backend.ocpp.transport import StarletteConnection

LOG = logging.getLogger(__name__)

Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]
"""``handler(charge_point, payload) -> answer payload``; both in wire (camelCase) form."""


class TokenBucket:
    """``rate`` frames per second on average, ``burst`` at once; ``rate`` 0 means no limit."""

    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._stamp = time.monotonic()

    def delay(self) -> float:
        """Take one token; how long to wait before handling the frame (0 if not throttled)."""
        if self._rate <= 0:
            return 0.0
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate) - 1
        self._stamp = now
        return 0.0 if self._tokens >= 0 else -self._tokens / self._rate


class FrameLoop(ChargePoint16):
    """One charger connection's frame handling; subclasses fill in :attr:`routes`."""

    routes: ClassVar[Mapping[str, Handler]] = {}
    """Charger-initiated action → handler."""

    def __init__(
        self,
        ocpp_id: str,
        connection: StarletteConnection,
        *,
        schemas: frames.Schemas,
        limiter: TokenBucket,
        response_timeout: float,
    ) -> None:
        super().__init__(ocpp_id, connection, response_timeout=response_timeout)
        self.connection = connection
        self.schemas = schemas
        self.limiter = limiter
        self._calls_pending = 0

    async def start(self) -> None:
        """Serve the connection until it closes (raises the transport's disconnect)."""
        recv, limiter = self.connection.recv, self.limiter
        while True:
            raw = await recv()
            delay = limiter.delay()
            if delay:
                await asyncio.sleep(delay)
            await self.dispatch(raw)

    async def dispatch(self, raw: str | bytes) -> None:
        """Handle one frame: answer a CALL, hand an answer to the waiting ``call()``."""
        try:
            frame = frames.decode(raw)
        except frames.AddressedFault as fault:
            await self.connection.send(
                frames.call_error(fault.unique_id, fault.code, fault.description)
            )
            return
        except frames.Unanswerable as exc:
            LOG.info("%s: dropped a frame: %s", self.id, exc)
            return
        if frame.type_id == frames.CALL:
            await self.connection.send(await self.answer(frame))
        elif self._calls_pending:
            await self.route_message(raw)  # the library matches it to its outstanding CALL
        else:
            LOG.info("%s: dropped an answer to no pending call (%s)", self.id, frame.unique_id)

    async def answer(self, frame: frames.Frame) -> str:
        """The CALLRESULT or CALLERROR for one CALL."""
        handler = self.routes.get(frame.action)
        try:
            if handler is None:
                if frame.action in frames.ACTIONS_16:
                    raise frames.CallFault("NotImplemented", f"{frame.action} is not handled")
                raise frames.CallFault("NotSupported", f"unknown action {frame.action[:64]!r}")
            self.schemas.check_request(frame.action, frame.payload)
            result = await handler(self, frame.payload)
            self.schemas.check_response(frame.action, result)
        except frames.CallFault as fault:
            return frames.call_error(frame.unique_id, fault.code, fault.description)
        except Exception:
            LOG.exception("%s: %s failed", self.id, frame.action)
            return frames.call_error(
                frame.unique_id, "InternalError", "An unexpected error occurred."
            )
        return frames.call_result(frame.unique_id, result)

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any:
        """The library's CSMS-initiated CALL (one at a time), noting that an answer is due."""
        self._calls_pending += 1
        try:
            return await super().call(payload, suppress, unique_id, skip_schema_validation)
        finally:
            self._calls_pending -= 1


__all__ = ["FrameLoop", "Handler", "TokenBucket"]
