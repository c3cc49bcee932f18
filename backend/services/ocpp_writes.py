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

:class:`MeterBatcher` goes one step further for MeterValues, the bulk of the traffic: all
samples of a batch are inserted with one executemany INSERT, and the sessions' live figures
updated with one executemany UPDATE.

PostgreSQL handles concurrent writers itself; there :class:`DirectWriter` (a transaction per
unit) is used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChargingSession
from backend.services.charging import (
    LIVE_COLUMNS,
    apply_meter_update,
    publish_session,
    store_samples,
)
from backend.services.events import EventBus
from backend.services.ocpp_chargers import ChargerRef, SessionFactory, Writer
from backend.services.ocpp_meter import ParsedSample, parse_meter_value

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


_SESSIONS = cast(Table, ChargingSession.__table__)
_LIVE_UPDATE = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("row_id"))
    .values({c: bindparam(f"v_{c}") for c in LIVE_COLUMNS})
)


@dataclass(slots=True)
class _Job:
    ref: ChargerRef
    transaction_id: int
    parsed: list[ParsedSample]
    future: asyncio.Future[None]


class MeterBatcher:
    """MeterValues of many chargers stored with one INSERT and one UPDATE per batch.

    :meth:`run` must be running (the gateway's lifecycle); it hands each batch to the writer.
    """

    def __init__(
        self,
        writer: Writer,
        events: EventBus,
        *,
        clock: Callable[[], datetime],
        max_batch: int = 500,
    ) -> None:
        self._writer = writer
        self._events = events
        self._clock = clock
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self.running = False

    async def submit(
        self,
        ref: ChargerRef,
        *,
        transaction_id: int | None,
        meter_value: Sequence[Mapping[str, Any]],
        now: datetime,
    ) -> None:
        """Store the samples; returns once they are committed (raises if the write failed)."""
        if transaction_id is None:
            return  # readings outside a transaction are not kept
        parsed = [parse_meter_value(element, now) for element in meter_value]
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(ref, transaction_id, parsed, future))
        await future

    async def run(self) -> None:
        self.running = True
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                await self._flush(batch)
        finally:
            self.running = False
            while not self._queue.empty():
                job = self._queue.get_nowait()
                if not job.future.done():
                    job.future.set_exception(RuntimeError("central system shutting down"))

    async def _flush(self, batch: list[_Job]) -> None:
        now = self._clock()

        async def work(session: AsyncSession) -> dict[int, tuple[ChargerRef, ChargingSession]]:
            ids = {job.transaction_id for job in batch}
            rows = {
                row.id: row
                for row in (
                    await session.scalars(
                        select(ChargingSession).where(ChargingSession.id.in_(ids))
                    )
                ).all()
            }
            # The sessions' live figures are written below with one executemany UPDATE, not
            # by the ORM's unit of work (a statement per row and its bookkeeping): detach them.
            # (Another unit of the same group commit may have changed one of these rows; the
            # query above autoflushed that first, and later units load the row afresh.)
            for row in rows.values():
                session.expunge(row)
            valid = [
                job
                for job in batch
                if (found := rows.get(job.transaction_id)) is not None
                and found.charger_id == job.ref.id
            ]
            await store_samples(session, [(job.transaction_id, job.parsed) for job in valid])
            changed: dict[int, tuple[ChargerRef, ChargingSession]] = {}
            for job in valid:
                live = rows[job.transaction_id]
                if apply_meter_update(live, job.parsed, now):
                    changed[live.id] = (job.ref, live)
            if changed:
                await session.execute(
                    _LIVE_UPDATE,
                    [
                        {"row_id": row.id, **{f"v_{c}": getattr(row, c) for c in LIVE_COLUMNS}}
                        for _, row in changed.values()
                    ],
                )
            return changed

        try:
            changed = await self._writer.write(work)
        except Exception as exc:
            LOG.exception("storing %d MeterValues failed", len(batch))
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        for job in batch:
            if not job.future.done():
                job.future.set_result(None)
        for ref, row in changed.values():
            publish_session(self._events, "session.updated", ref, row)


__all__ = ["Batcher", "DirectWriter", "GroupWriter", "MeterBatcher", "writer_for"]
