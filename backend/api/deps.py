"""FastAPI dependencies as ``Annotated`` aliases: the app context and a database session.

Auth dependencies (current staff / driver / principal) live in :mod:`backend.api.auth_deps`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_session(ctx: ContextDep) -> AsyncIterator[AsyncSession]:
    """One session per request. Services commit explicitly; anything uncommitted when the
    request ends (an error half-way) is rolled back, so nothing is half-written."""
    async with ctx.sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session)]
