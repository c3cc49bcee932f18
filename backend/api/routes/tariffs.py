"""Tariffs: staff read them, admins create, change and retire them."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.auth_deps import AdminStaff, CurrentStaff
from backend.api.deps import SessionDep
from backend.api.params import IdPath, LimitQuery, OffsetQuery
from backend.api.responses import errors
from backend.services import tariffs
from backend_client.models import Page, TariffCreate, TariffPublic, TariffUpdate

router = APIRouter(prefix="/tariffs", tags=["tariffs"])


@router.get("", response_model=Page[TariffPublic], responses=errors())
async def list_tariffs(
    session: SessionDep,
    principal: CurrentStaff,
    include_retired: bool = False,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[TariffPublic]:
    return await tariffs.list_tariffs(
        session, principal=principal, include_retired=include_retired, limit=limit, offset=offset
    )


@router.post("", response_model=TariffPublic, status_code=201, responses=errors())
async def create_tariff(
    body: TariffCreate, session: SessionDep, principal: AdminStaff
) -> TariffPublic:
    return await tariffs.create_tariff(session, principal=principal, data=body)


@router.get("/{tariff_id}", response_model=TariffPublic, responses=errors(404))
async def get_tariff(
    tariff_id: IdPath, session: SessionDep, principal: CurrentStaff
) -> TariffPublic:
    return await tariffs.get_tariff(session, principal=principal, tariff_id=tariff_id)


@router.patch("/{tariff_id}", response_model=TariffPublic, responses=errors(404, 409))
async def update_tariff(
    tariff_id: IdPath, body: TariffUpdate, session: SessionDep, principal: AdminStaff
) -> TariffPublic:
    """Change prices; sessions already running keep the prices they started with."""
    return await tariffs.update_tariff(session, principal=principal, tariff_id=tariff_id, data=body)


@router.post("/{tariff_id}/retire", response_model=TariffPublic, responses=errors(404, 409))
async def retire_tariff(
    tariff_id: IdPath, session: SessionDep, principal: AdminStaff
) -> TariffPublic:
    """Retire a tariff that no active station uses."""
    return await tariffs.retire_tariff(session, principal=principal, tariff_id=tariff_id)
