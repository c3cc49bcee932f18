"""Liveness and readiness: ``GET /healthz`` answers 200 only when the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from backend.api.deps import ContextDep
from backend_client.models.system import Health

router = APIRouter(tags=["system"])


@router.get("/healthz", response_model=Health)
async def healthz(ctx: ContextDep) -> Health:
    async with ctx.sessions() as session:
        await session.execute(text("SELECT 1"))
    return Health(status="ok", database="sqlite" if ctx.settings.is_sqlite else "postgresql")
