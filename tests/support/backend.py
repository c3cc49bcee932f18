"""Running the real backend in-process for tests.

``running_app`` builds the app with :func:`backend.app.create_app`, creates the schema on a
fresh database and runs the app's lifespan, so background services behave as in production.
By default the database is an SQLite file in a temporary folder; when
``CHARGEPILE_TEST_DATABASE_URL`` names a PostgreSQL server (``make test`` starts one) each
test gets its own freshly created database on it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import backend.db.models  # noqa: F401
from backend.app import create_app
from backend.db.base import Base
from backend.db.engine import create_engine
from backend.settings import Settings

TEST_SECRET = "test-secret-key-for-chargepile-tests-000000"
PG_ENV = "CHARGEPILE_TEST_DATABASE_URL"


def postgres_url() -> str | None:
    """The PostgreSQL server URL tests should use, if one was provided."""
    return os.environ.get(PG_ENV) or None


@asynccontextmanager
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A URL to an empty database: SQLite in ``tmp_path`` or a new PostgreSQL database."""
    server = postgres_url()
    if server is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def make_test_settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test backend (fast, deterministic, test secret)."""
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": tmp_path,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        # argon2 at production cost would dominate test time; hashes stay real argon2id.
        "password_hash_time_cost": 1,
        "password_hash_memory_cost": 256,
        "password_hash_parallelism": 1,
    }
    values.update(overrides)
    return Settings.model_validate(values)


async def create_schema(settings: Settings) -> None:
    """Create every table directly from the models (the migration test checks they agree)."""
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    finally:
        await engine.dispose()


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its schema created and its lifespan running."""
    await create_schema(settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def asgi_client(app: FastAPI, **kwargs: object) -> httpx.AsyncClient:
    """An httpx client talking to ``app`` in-process (no sockets)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", **kwargs
    )
