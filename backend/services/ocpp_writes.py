"""How the central system writes under load: group commit, one transaction stream on SQLite.

SQLite allows a single writer. Concurrent write transactions from one process do not queue
politely: the losers get SQLITE_BUSY and SQLite's busy handler *sleeps* (1, 2, 5 … 100 ms)
before retrying, so a few hundred chargers writing at once turn millisecond commits into
second-long stalls (the SteVe #1141 symptom: StartTransaction acknowledged after seconds, so
chargers retry and make it worse).

So every OCPP write goes through a :class:`GroupWriter`: units of work from many chargers that
arrive while a commit is running are executed together in the next transaction and committed
once — one fsync, a handful of thread hops, no lock fights. If any unit fails, the batch is
rolled back and each unit re-run in its own transaction, so one bad message never costs another
charger its write. Callers get their result only after the commit, and publish events then.

:class:`backend.ocpp.meters.MeterBatcher` goes one step further for MeterValues, the bulk of
the traffic: a whole batch of samples is one unit of work here.

PostgreSQL handles concurrent writers itself; there :class:`DirectWriter` (a transaction per
unit) is used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from backend.services.ocpp_chargers import SessionFactory

LOG = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]


class DirectWriter:
    """One transaction per unit of work."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._sessions() as session:
            result = await work(session)
            await session.commit()
            return result


@dataclass(slots=True)
class _Unit:
    work: Work
    future: asyncio.Future[Any]


class GroupWriter:
    """Group commit; :meth:`run` must be running for batching (until then and after it stops,
    units are written one at a time under a lock, never concurrently)."""

    def __init__(self, sessions: SessionFactory, *, max_batch: int = 256) -> None:
        self._direct = DirectWriter(sessions)
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Unit] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self.running = False
        self.batches = 0
        self.units = 0

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        if not self.running:
            async with self._lock:
                return await self._direct.write(work)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Unit(work, future))
        return await future

    async def run(self) -> None:
        self.running = True
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                async with self._lock:
                    await self._commit(batch)
                self.batches += 1
                self.units += len(batch)
        finally:
            self.running = False
            while not self._queue.empty():
                unit = self._queue.get_nowait()
                if not unit.future.done():
                    unit.future.set_exception(RuntimeError("central system shutting down"))

    async def _commit(self, batch: list[_Unit]) -> None:
        if len(batch) > 1:
            try:
                results = []
                async with self._direct._sessions() as session:
                    for unit in batch:
                        results.append(await unit.work(session))
                    await session.commit()
            except Exception:
                LOG.debug("batch of %d writes failed; retrying one by one", len(batch))
            else:
                for unit, result in zip(batch, results, strict=True):
                    if not unit.future.done():
                        unit.future.set_result(result)
                return
        for unit in batch:
            try:
                result = await self._direct.write(unit.work)
            except Exception as exc:
                if not unit.future.done():
                    unit.future.set_exception(exc)
            else:
                if not unit.future.done():
                    unit.future.set_result(result)


In = TypeVar("In")
Out = TypeVar("Out")


class Batcher(Generic[In, Out]):
    """Collects requests of one kind and hands them to ``flush`` as a list.

    ``flush(items)`` returns one result per item, in order; a result that is an exception is
    raised to that item's caller only. While :meth:`run` is not running, each request is
    flushed on its own.
    """

    def __init__(
        self, flush: Callable[[list[In]], Awaitable[Sequence[Out]]], *, max_batch: int = 500
    ) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[In, asyncio.Future[Out]]] = asyncio.Queue()
        self.running = False

    async def submit(self, item: In) -> Out:
        if not self.running:
            result = (await self._flush([item]))[0]
        else:
            future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
            self._queue.put_nowait((item, future))
            result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    async def run(self) -> None:
        self.running = True
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                try:
                    results = await self._flush([item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self.running = False
            while not self._queue.empty():
                _, future = self._queue.get_nowait()
                if not future.done():
                    future.set_exception(RuntimeError("central system shutting down"))


def writer_for(sessions: SessionFactory, *, sqlite: bool) -> GroupWriter | DirectWriter:
    """The writer OCPP writes should use on this database."""
    return GroupWriter(sessions) if sqlite else DirectWriter(sessions)


__all__ = ["Batcher", "DirectWriter", "GroupWriter", "writer_for"]
