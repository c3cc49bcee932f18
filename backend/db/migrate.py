"""Applies the Alembic migrations in ``backend/db/migrations`` to the configured database.

Configured in code (no alembic.ini to keep in step): ``chargepile db upgrade`` and ``make demo``
call :func:`upgrade`; developers create a revision with ``chargepile db revision -m "..."``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from backend.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    """An Alembic config pointing at our migrations and ``settings``' database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.resolved_database_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (blocking; run it off the event loop)."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)


async def upgrade_async(settings: Settings, revision: str = "head") -> None:
    """:func:`upgrade` in a worker thread (Alembic's env runs its own event loop)."""
    await asyncio.to_thread(upgrade, settings, revision)


def revision(settings: Settings, message: str) -> None:
    """Autogenerate a new revision from the difference between the models and the database."""
    command.revision(alembic_config(settings), message=message, autogenerate=True)
