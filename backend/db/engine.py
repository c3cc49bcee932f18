"""The async engine and session factory for the configured database.

SQLite runs in WAL mode with foreign keys on (set on every new connection). It has a single
writer and readers alongside, so its pool is sized for readers plus the writers that queue (a
session waiting to write keeps its connection). PostgreSQL goes through asyncpg with a
pre-pinged pool (a lost server connection is replaced instead of failing every later request),
sized from the settings.

Writers on SQLite queue in this process, not inside SQLite: SQLite's busy handler polls with
growing sleeps and is unfair, so under a stream of meter-value commits a payment's write could
sleep for seconds and fail "database is locked". Sessions from :func:`create_session_factory`
(one factory per app) take its FIFO :class:`asyncio.Lock` (the write gate) when they first
write (an ORM flush or an INSERT/UPDATE/DELETE) and give it back when their transaction ends;
readers never wait for it. A session that cannot get it in ``write_wait`` seconds fails as
SQLite would (``OperationalError``: a 503 "retry"). PostgreSQL has row locks and needs no gate.

Either way a request that cannot get a connection within ``db_pool_timeout`` raises
:class:`sqlalchemy.exc.TimeoutError`; routes that move money answer it with a 503 "busy,
retry" (:mod:`backend.payments.idempotency`) rather than a 500.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_only

from backend.settings import Settings

SQLITE_POOL_SIZE = 20
POSTGRES_POOL_SIZE = 10
WRITE_WAIT_SECONDS = 10.0
"""How long a SQLite session waits for the write gate before failing as "database is locked"."""
_HOLDS_GATE = "chargepile.write_gate"


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable with WAL: a crash loses no commit
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine for ``settings``; the SQLite data folder is created if missing."""
    url = settings.resolved_database_url
    pool: dict[str, Any] = {
        "pool_size": settings.db_pool_size
        or (SQLITE_POOL_SIZE if settings.is_sqlite else POSTGRES_POOL_SIZE),
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
    }
    # Bound parameters hold payment, receipt and guest tokens: an error logged with its
    # statement must not write them into the log.
    quiet: dict[str, Any] = {"hide_parameters": True}
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if ":memory:" in url or "mode=memory" in url:
            # One shared in-memory database lives in one connection: keep the default pool.
            engine = create_async_engine(url, **quiet)
        else:
            engine = create_async_engine(
                url,
                poolclass=AsyncAdaptedQueuePool,
                # sqlite3's own timeout is the busy timeout too; the pragma below sets it.
                connect_args={"timeout": settings.db_busy_timeout_ms / 1000},
                **pool,
                **quiet,
            )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings.db_busy_timeout_ms))
        return engine
    return create_async_engine(url, pool_pre_ping=True, **pool, **quiet)


def create_session_factory(
    engine: AsyncEngine, *, write_wait: float = WRITE_WAIT_SECONDS
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (responses are built after it); on
    SQLite their writes take turns through the engine's write gate (module docstring)."""
    if engine.dialect.name != "sqlite":
        return async_sessionmaker(engine, expire_on_commit=False)
    gated = type("GatedSession", (Session,), {"__doc__": "A session behind the write gate."})
    _install_write_gate(gated, asyncio.Lock(), write_wait)
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=gated)


def _install_write_gate(session_class: type[Session], gate: asyncio.Lock, wait: float) -> None:
    def take(session: Session) -> None:
        if session.info.get(_HOLDS_GATE):
            return
        # Connection first, gate second: the gate's holder must never wait for the pool, or
        # it would wait on sessions that hold connections while they wait for the gate. This
        # also begins the transaction, whose end (commit, rollback, close) releases the gate.
        session.connection()
        try:
            # Sync event code runs in SQLAlchemy's greenlet under an AsyncSession call, so it
            # can wait on the event loop here.
            await_only(asyncio.wait_for(gate.acquire(), wait))
        except TimeoutError:
            raise OperationalError(
                "waiting for the SQLite write gate", None, sqlite3.OperationalError("busy")
            ) from None
        session.info[_HOLDS_GATE] = True

    def on_execute(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            take(state.session)

    def on_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
        take(session)

    def on_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and session.info.pop(_HOLDS_GATE, False):
            gate.release()

    event.listen(session_class, "do_orm_execute", on_execute)
    event.listen(session_class, "before_flush", on_flush)
    event.listen(session_class, "after_transaction_end", on_end)
