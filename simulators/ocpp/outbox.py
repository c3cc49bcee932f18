"""The charger's outgoing message queue, with OCPP 1.6's rules for transaction messages.

OCPP-J allows one outstanding CALL per direction, so everything the charger sends goes through
this single FIFO. Two kinds of message:

* **transaction messages** (StartTransaction, transaction MeterValues, StopTransaction) are
  kept while the charger is offline and sent on reconnect, in order. If the central system
  answers one with a CALLERROR or not at all, it is retried up to ``TransactionMessageAttempts``
  times, waiting ``TransactionMessageRetryInterval × attempt`` in between (1.6 §4.10), and then
  given up.
* **everything else** (status, heartbeat, authorize) is only meaningful live: submitted while
  offline it fails at once with :class:`NotConnected`, and pending items are failed when the
  connection drops.

Payloads are built at send time by a callback so that messages queued before the central system
assigned a transactionId still carry the right one when they finally go out.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ocpp.exceptions import OCPPError

from simulators.ocpp.errors import NotConnected, SimulatorError

LOG = logging.getLogger(__name__)


class GaveUp(SimulatorError):
    """A transaction message failed ``TransactionMessageAttempts`` times and was dropped."""


class Deliverer(Protocol):
    """Whatever sends one CALL and returns the typed answer (the live charge point)."""

    async def deliver(self, payload: Any) -> Any: ...


@dataclass(slots=True)
class Outgoing:
    label: str
    build: Callable[[], Any | None]
    """Returns the ``ocpp.v16.call`` payload, or ``None`` when the message became pointless."""
    transactional: bool
    future: asyncio.Future[Any]
    on_result: Callable[[Any], None] | None = None
    on_drop: Callable[[str], None] | None = None
    attempts: int = field(default=0)


class Outbox:
    """FIFO of outgoing CALLs owned by one simulated charger."""

    def __init__(
        self,
        *,
        attempts: Callable[[], int],
        retry_interval_s: Callable[[], float],
    ) -> None:
        self._attempts = attempts
        self._retry_interval_s = retry_interval_s
        self._items: collections.deque[Outgoing] = collections.deque()
        self._wake = asyncio.Event()
        self._sent = asyncio.Event()
        self.accepting_live = False
        """True while a connection is open: live (non-transaction) messages may be queued."""

    @property
    def pending_transaction_messages(self) -> int:
        return sum(1 for item in self._items if item.transactional)

    async def transactions_sent(self) -> None:
        """Wait until no transaction message is pending (callers bound it with a timeout)."""
        while self.pending_transaction_messages:
            self._sent.clear()
            await self._sent.wait()

    def submit(
        self,
        label: str,
        build: Callable[[], Any | None],
        *,
        transactional: bool = False,
        on_result: Callable[[Any], None] | None = None,
        on_drop: Callable[[str], None] | None = None,
    ) -> asyncio.Future[Any]:
        """Queue a CALL; the returned future resolves with the central system's answer."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if not transactional and not self.accepting_live:
            future.set_exception(NotConnected(f"{label}: charger is offline"))
            # Callers that do not await the answer must not trigger "exception never retrieved".
            future.exception()
            return future
        self._items.append(Outgoing(label, build, transactional, future, on_result, on_drop))
        self._wake.set()
        return future

    def connection_lost(self) -> None:
        """Fail the live messages; transaction messages stay for the next connection."""
        self.accepting_live = False
        kept: collections.deque[Outgoing] = collections.deque()
        for item in self._items:
            if item.transactional:
                kept.append(item)
            elif not item.future.done():
                item.future.set_exception(NotConnected(f"{item.label}: connection lost"))
                item.future.exception()
        self._items = kept

    async def run(self, deliverer: Deliverer) -> None:
        """Send queued CALLs one at a time over ``deliverer`` until cancelled or disconnected.

        Returns normally never; a lost connection surfaces as the transport's exception, with
        the in-flight item left at the head of the queue to be re-sent on reconnect.
        """
        while True:
            while not self._items:
                self._wake.clear()
                await self._wake.wait()
            self._sent.set()
            item = self._items[0]
            payload = item.build()
            if payload is None:
                self._items.popleft()
                self._drop(item, "nothing to send")
                continue
            try:
                result = await deliverer.deliver(payload)
            except (OCPPError, TimeoutError) as exc:
                if not item.transactional:
                    self._items.popleft()
                    if not item.future.done():
                        item.future.set_exception(exc)
                        item.future.exception()
                    continue
                item.attempts += 1
                if item.attempts >= max(self._attempts(), 1):
                    self._items.popleft()
                    self._drop(item, f"{type(exc).__name__} after {item.attempts} attempts")
                    continue
                wait = self._retry_interval_s() * item.attempts
                LOG.info("%s failed (%s); retry %d in %.1fs", item.label, exc, item.attempts, wait)
                await asyncio.sleep(wait)
                continue
            self._items.popleft()
            self._sent.set()
            if item.on_result is not None:
                item.on_result(result)
            if not item.future.done():
                item.future.set_result(result)

    def _drop(self, item: Outgoing, why: str) -> None:
        LOG.warning("giving up %s: %s", item.label, why)
        if item.on_drop is not None:
            item.on_drop(f"{item.label}: {why}")
        if not item.future.done():
            item.future.set_exception(GaveUp(f"{item.label}: {why}"))
            item.future.exception()


async def answer_or_none(future: Awaitable[Any], timeout: float) -> Any | None:
    """Await a submitted CALL's answer; ``None`` if it failed, was dropped or timed out."""
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except (SimulatorError, OCPPError, TimeoutError):
        return None


__all__ = ["Deliverer", "GaveUp", "Outbox", "Outgoing", "answer_or_none"]
