"""Staff accounts of the operator (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.auth_deps import AdminStaff
from backend.api.deps import ContextDep, SessionDep
from backend.api.params import IdPath, LimitQuery, OffsetQuery
from backend.api.responses import errors
from backend.security import password_hashing
from backend.services import accounts
from backend_client.models import Page, StaffCreate, StaffPublic, StaffUpdate

router = APIRouter(prefix="/staff", tags=["staff"])


@router.get("", response_model=Page[StaffPublic], responses=errors())
async def list_staff(
    session: SessionDep, principal: AdminStaff, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Page[StaffPublic]:
    return await accounts.list_staff(session, principal=principal, limit=limit, offset=offset)


@router.post("", response_model=StaffPublic, status_code=201, responses=errors(409))
async def create_staff(
    body: StaffCreate, ctx: ContextDep, session: SessionDep, principal: AdminStaff
) -> StaffPublic:
    return await accounts.create_staff(
        session, principal=principal, data=body, hashing=await password_hashing(ctx)
    )


@router.get("/{staff_id}", response_model=StaffPublic, responses=errors(404))
async def get_staff(staff_id: IdPath, session: SessionDep, principal: AdminStaff) -> StaffPublic:
    return await accounts.get_staff(session, principal=principal, staff_id=staff_id)


@router.patch("/{staff_id}", response_model=StaffPublic, responses=errors(404, 409))
async def update_staff(
    staff_id: IdPath, body: StaffUpdate, ctx: ContextDep, session: SessionDep, principal: AdminStaff
) -> StaffPublic:
    """Change name, role, password or deactivate; admins cannot demote themselves."""
    return await accounts.update_staff(
        session,
        principal=principal,
        staff_id=staff_id,
        data=body,
        hashing=await password_hashing(ctx),
    )
