"""MeterValues storage under load: the bulk of OCPP traffic, batched and kept cheap per sample.

Every MeterValues is acknowledged only after its sample is committed, so samples of many
chargers arriving together are collected into one batch and written in one transaction of the
central system's writer (group commit on SQLite, ``backend.services.ocpp_writes``).

Per sample, the work that must happen is: parse the measurands, insert the row, move the
session's live figures (energy, power, SoC, running cost) forward, tell the driver and the
operator. Everything else is overhead, and under the bench it was most of the CPU:

* **SQLite**: the batch runs in *one* hand-off to the database thread (aiosqlite runs every
  call on its connection's own thread; SQLAlchemy makes several hand-offs per statement and
  loads ORM objects): read the sessions, executemany the samples, executemany one UPDATE per
  session, on the group transaction's own connection. Values are converted with the columns'
  own SQLAlchemy type processors, so rows are stored exactly as the ORM stores them.
* **PostgreSQL**: the same batch through SQLAlchemy (executemany INSERT and UPDATE); asyncpg
  has no thread hand-offs to save.
* On both, a session's parsed tariff snapshot is cached (keyed by the stored snapshot itself,
  so it cannot go stale) instead of being re-parsed for every sample.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, false, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChargingSession, MeterSample
from backend.payments.errors import TariffError
from backend.payments.tariff import TariffSnapshot
from backend.services.charging import publish_session
from backend.services.events import EventBus
from backend.services.ocpp_chargers import ChargerRef, Writer
from backend.services.ocpp_meter import ParsedSample, parse_meter_value
from backend.services.session_figures import LIVE_COLUMNS, apply_meter_update, store_samples

LOG = logging.getLogger(__name__)

_SESSIONS = cast(Table, ChargingSession.__table__)
_SAMPLES = cast(Table, MeterSample.__table__)
_LIVE_UPDATE = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("row_id"))
    .values({c: bindparam(f"v_{c}") for c in LIVE_COLUMNS})
)
# A write that changes nothing, executed through the session only so that it takes the
# engine's SQLite write gate (backend.db.engine) before the batch writes behind its back.
_TAKE_WRITE_GATE = update(_SESSIONS).where(false()).values(energy_wh=_SESSIONS.c.energy_wh)

_LIVE_FIELDS = (
    "id",
    "operator_id",
    "station_id",
    "charger_id",
    "connector_no",
    "driver_id",
    "id_tag",
    "status",
    "started_at",
    "stopped_at",
    "meter_start_wh",
    "energy_wh",
    "last_power_w",
    "last_soc",
    "idle_since",
    "idle_seconds",
    "stop_reason",
    "currency",
    "energy_cost_minor",
    "time_cost_minor",
    "idle_cost_minor",
    "cost_minor",
    "updated_at",
)
_SAMPLE_FIELDS = (
    "session_id",
    "sampled_at",
    "energy_wh",
    "power_w",
    "current_a",
    "voltage_v",
    "soc",
    "raw",
)
_SELECT_LIVE = "SELECT {}, tariff_snapshot FROM charging_sessions WHERE id IN ({})"
_INSERT_SAMPLES = (
    f"INSERT INTO meter_samples ({', '.join(_SAMPLE_FIELDS)}) "
    f"VALUES ({', '.join('?' for _ in _SAMPLE_FIELDS)}) "
    "ON CONFLICT (session_id, sampled_at) DO NOTHING"
)
_UPDATE_LIVE = (
    f"UPDATE charging_sessions SET {', '.join(f'{c} = ?' for c in LIVE_COLUMNS)} WHERE id = ?"
)


@dataclass(slots=True)
class LiveSession:
    """The columns of a session the meter path reads, moves and publishes, without the ORM.

    Field names are the :class:`ChargingSession` column names: it satisfies
    :class:`backend.services.session_figures.LiveFigures` and what ``session_public`` reads.
    """

    id: int
    operator_id: int
    station_id: int
    charger_id: int
    connector_no: int
    driver_id: int | None
    id_tag: str
    status: str
    started_at: datetime
    stopped_at: datetime | None
    meter_start_wh: int
    energy_wh: int
    last_power_w: float
    last_soc: int | None
    idle_since: datetime | None
    idle_seconds: int
    stop_reason: str | None
    currency: str
    energy_cost_minor: int
    time_cost_minor: int
    idle_cost_minor: int
    cost_minor: int
    updated_at: datetime


Convert = Callable[[Any], Any]


class _Codec:
    """The columns' SQLAlchemy type processors for one dialect (identity where there is none)."""

    def __init__(self, dialect: Dialect) -> None:
        def bind(table: Table, name: str) -> Convert:
            return table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _same

        def result(name: str) -> Convert:
            kind = _SESSIONS.c[name].type.dialect_impl(dialect)
            return kind.result_processor(dialect, None) or _same

        self.sample_binds = [bind(_SAMPLES, name) for name in _SAMPLE_FIELDS]
        self.live_binds = [bind(_SESSIONS, name) for name in LIVE_COLUMNS]
        self.live_results = [result(name) for name in _LIVE_FIELDS]
        self.snapshot_result = result("tariff_snapshot")


def _same(value: Any) -> Any:
    return value


@dataclass(slots=True)
class _Job:
    ref: ChargerRef
    transaction_id: int
    parsed: list[ParsedSample]
    future: asyncio.Future[None]


Changed = list[tuple[ChargerRef, "LiveSession | ChargingSession"]]


class MeterBatcher:
    """MeterValues of many chargers stored in one transaction per batch.

    :meth:`run` must be running (the gateway's lifecycle); it hands each batch to the writer.
    """

    def __init__(
        self,
        writer: Writer,
        events: EventBus,
        *,
        clock: Callable[[], datetime],
        max_batch: int = 500,
        tariff_cache: int = 10_000,
    ) -> None:
        self._writer = writer
        self._events = events
        self._clock = clock
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._codec: _Codec | None = None
        # session id → (stored snapshot, parsed); bounded, least recently used dropped.
        self._tariffs: OrderedDict[int, tuple[Any, TariffSnapshot | None]] = OrderedDict()
        self._tariff_cache = tariff_cache
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

        async def work(session: AsyncSession) -> Changed:
            if session.get_bind().dialect.driver == "aiosqlite":
                return await self._store_sqlite(session, batch, now)
            return await self._store_orm(session, batch, now)

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
        for ref, row in changed:
            # session_public reads only columns a LiveSession carries.
            publish_session(self._events, "session.updated", ref, cast(ChargingSession, row))

    def _tariff(self, session_id: int, stored: Any, parse: Convert) -> TariffSnapshot | None:
        """The session's parsed snapshot, re-parsed only if the stored one differs."""
        hit = self._tariffs.get(session_id)
        if hit is not None and hit[0] == stored:
            self._tariffs.move_to_end(session_id)
            return hit[1]
        data = parse(stored)
        try:
            parsed = TariffSnapshot.from_json(data) if data else None
        except TariffError:
            # One session's unreadable snapshot must not fail the batch (every charger in it
            # would lose its write): its live cost stays unpriced; the bill at
            # StopTransaction reports the broken snapshot.
            LOG.warning(
                "session %d: unreadable tariff snapshot; running cost not updated", session_id
            )
            parsed = None
        self._tariffs[session_id] = (stored, parsed)
        if len(self._tariffs) > self._tariff_cache:
            self._tariffs.popitem(last=False)
        return parsed

    # ------------------------------------------------------------------ SQLite
    async def _store_sqlite(
        self, session: AsyncSession, batch: list[_Job], now: datetime
    ) -> Changed:
        # Earlier units of the same group commit may have changed these sessions in the ORM:
        # write that out first, so the raw read below sees it.
        await session.flush()
        await session.execute(_TAKE_WRITE_GATE)
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection  # the aiosqlite connection inside the transaction
        if self._codec is None:
            self._codec = _Codec(connection.dialect)
        # aiosqlite's queue to its connection thread (``_execute``, what its own cursor methods
        # use; pinned by tests/ocpp/test_meter_batch.py): the whole batch is one hand-off.
        changed: Changed = await driver._execute(
            self._write_batch, driver._conn, self._codec, batch, now
        )
        return changed

    def _write_batch(
        self, db: sqlite3.Connection, codec: _Codec, batch: list[_Job], now: datetime
    ) -> Changed:
        """Runs on the database thread, inside the group transaction (committed by the writer)."""
        ids = list({job.transaction_id for job in batch})
        query = _SELECT_LIVE.format(", ".join(_LIVE_FIELDS), ", ".join("?" for _ in ids))
        rows: dict[int, tuple[LiveSession, Any]] = {}
        results = codec.live_results
        for record in db.execute(query, ids):
            values = [convert(value) for convert, value in zip(results, record, strict=False)]
            rows[record[0]] = (LiveSession(*values), record[-1])
        valid = [
            job
            for job in batch
            if (found := rows.get(job.transaction_id)) is not None
            and found[0].charger_id == job.ref.id
        ]
        binds = codec.sample_binds
        db.executemany(
            _INSERT_SAMPLES,
            [
                [
                    convert(value)
                    for convert, value in zip(
                        binds,
                        (
                            job.transaction_id,
                            s.at,
                            s.energy_wh,
                            s.power_w,
                            s.current_a,
                            s.voltage_v,
                            s.soc,
                            s.raw,
                        ),
                        strict=True,
                    )
                ]
                for job in valid
                for s in job.parsed
            ],
        )
        changed: dict[int, tuple[ChargerRef, LiveSession | ChargingSession]] = {}
        for job in valid:
            live, stored = rows[job.transaction_id]
            tariff = self._tariff(live.id, stored, codec.snapshot_result)
            if apply_meter_update(live, job.parsed, now, tariff or {}):
                changed[live.id] = (job.ref, live)
        binds = codec.live_binds
        db.executemany(
            _UPDATE_LIVE,
            [
                [convert(getattr(row, c)) for convert, c in zip(binds, LIVE_COLUMNS, strict=True)]
                + [row.id]
                for _, row in changed.values()
            ],
        )
        return list(changed.values())

    # ------------------------------------------------------------------ PostgreSQL
    async def _store_orm(self, session: AsyncSession, batch: list[_Job], now: datetime) -> Changed:
        ids = {job.transaction_id for job in batch}
        rows = {
            row.id: row
            for row in (
                await session.scalars(select(ChargingSession).where(ChargingSession.id.in_(ids)))
            ).all()
        }
        # The sessions' live figures are written below with one executemany UPDATE, not by
        # the ORM's unit of work (a statement per row and its bookkeeping): detach them.
        for row in rows.values():
            session.expunge(row)
        valid = [
            job
            for job in batch
            if (found := rows.get(job.transaction_id)) is not None
            and found.charger_id == job.ref.id
        ]
        await store_samples(session, [(job.transaction_id, job.parsed) for job in valid])
        changed: dict[int, tuple[ChargerRef, LiveSession | ChargingSession]] = {}
        for job in valid:
            live = rows[job.transaction_id]
            tariff = self._tariff(live.id, live.tariff_snapshot, _same)
            if apply_meter_update(live, job.parsed, now, tariff or {}):
                changed[live.id] = (job.ref, live)
        if changed:
            await session.execute(
                _LIVE_UPDATE,
                [
                    {"row_id": row.id, **{f"v_{c}": getattr(row, c) for c in LIVE_COLUMNS}}
                    for _, row in changed.values()
                ],
            )
        return list(changed.values())


__all__ = ["LiveSession", "MeterBatcher"]
