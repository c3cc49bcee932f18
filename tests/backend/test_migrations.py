"""The Alembic migrations build, from an empty database, exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

import backend.db.models  # noqa: F401
from backend.db.base import Base
from backend.db.engine import create_engine
from backend.db.migrate import upgrade_async
from tests.support.backend import make_test_settings


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_from_empty_matches_models(database_url: str, tmp_path: Path) -> None:
    settings = make_test_settings(database_url, tmp_path)
    await upgrade_async(settings)
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await conn.run_sync(_diff)
    finally:
        await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert diff == [], f"models and migrations disagree: {diff}"


async def test_upgrade_is_repeatable(database_url: str, tmp_path: Path) -> None:
    settings = make_test_settings(database_url, tmp_path)
    await upgrade_async(settings)
    await upgrade_async(settings)  # already at head: nothing to do, no error
