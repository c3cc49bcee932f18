"""The operator's audit log (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.auth_deps import AdminStaff
from backend.api.deps import SessionDep
from backend.api.params import LimitQuery, OffsetQuery
from backend.api.responses import errors
from backend.services import audit
from backend_client.models import AuditEntry, Page

router = APIRouter(prefix="/audit", tags=["audit"])

# Spelled out rather than ``\w``: Python's ``\w`` also matches non-ASCII letters, which the
# same pattern in the OpenAPI document (ECMA regex, ASCII ``\w``) rejects.
_NAME = r"^[A-Za-z0-9_.\-]*$"


@router.get("", response_model=Page[AuditEntry], responses=errors())
async def list_audit(
    session: SessionDep,
    principal: AdminStaff,
    action: Annotated[str | None, Query(max_length=64, pattern=_NAME)] = None,
    target_type: Annotated[str | None, Query(max_length=32, pattern=_NAME)] = None,
    target_id: Annotated[str | None, Query(max_length=64, pattern=_NAME)] = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[AuditEntry]:
    """Who did what, newest first."""
    return await audit.list_audit(
        session,
        principal=principal,
        action=action,
        target_type=target_type,
        target_id=target_id,
        limit=limit,
        offset=offset,
    )
