"""Charging sessions: operators read their network's, drivers their own (same endpoints)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.auth_deps import CurrentPrincipal
from backend.api.deps import SessionDep
from backend.api.params import IdPath, IdQuery, LimitQuery, OffsetQuery, TimeQuery
from backend.api.responses import errors
from backend.services import sessions
from backend_client.models import Page, SessionDetail, SessionPublic, SessionStatus

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.get("", response_model=Page[SessionPublic], responses=errors())
async def list_sessions(
    session: SessionDep,
    principal: CurrentPrincipal,
    station_id: IdQuery = None,
    charger_id: IdQuery = None,
    status: SessionStatus | None = None,
    started_from: TimeQuery = None,
    started_to: TimeQuery = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[SessionPublic]:
    """Sessions newest first. Dates are ISO 8601 with a timezone; ``started_to`` is exclusive."""
    return await sessions.list_sessions(
        session,
        principal=principal,
        station_id=station_id,
        charger_id=charger_id,
        status=status,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        offset=offset,
    )


@router.get("/{session_id}", response_model=SessionDetail, responses=errors(404))
async def get_session(
    session_id: IdPath, session: SessionDep, principal: CurrentPrincipal
) -> SessionDetail:
    """One session with its meter samples."""
    return await sessions.get_session(session, principal=principal, session_id=session_id)
