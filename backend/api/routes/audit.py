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


@router.get("", response_model=Page[AuditEntry], responses=errors())
async def list_audit(
    session: SessionDep,
    principal: AdminStaff,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.\-]*$")] = None,
    target_type: Annotated[str | None, Query(max_length=32, pattern=r"^[\w.\-]*$")] = None,
    target_id: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.\-]*$")] = None,
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
