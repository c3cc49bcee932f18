"""The collaborators one backend instance runs with, built by the app factory.

Everything that would otherwise be a module-level singleton (engine, session factory, event
bus, clock, login throttle) lives here, on ``app.state.ctx``, so several apps can run in one
process (tests) and every collaborator can be replaced by injection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from backend.services.events import EventBus
from backend.settings import Settings


@dataclass
class AppContext:
    """What routes and OCPP handlers reach through ``request.app.state.ctx``."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    events: EventBus
    clock: Callable[[], datetime] = utcnow
    # Per-feature state owned by other modules (login throttle, OCPP registry, ...), keyed by
    # the owning module's name so they do not collide.
    extensions: dict[str, Any] = field(default_factory=dict)
