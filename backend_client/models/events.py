"""Live events pushed over the server-sent-events stream (``GET /api/v1/events``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class LiveEvent(BaseModel):
    """One event. ``id`` increases strictly; a client resumes with ``Last-Event-ID: <id>``.

    Types: ``connector.status``, ``charger.online``, ``charger.offline``, ``fault.opened``,
    ``fault.cleared``, ``fault.acknowledged``, ``session.started``, ``session.updated``,
    ``session.stopped``, ``session.failed``, and ``stream.resync`` (the server no longer holds
    the events after the client's Last-Event-ID: reload current state).
    """

    id: int = Field(ge=0)
    type: str
    data: dict[str, Any] = Field(default_factory=dict)
