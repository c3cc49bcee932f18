"""Drivers: sign-up (public), own profile and own RFID cards."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.auth_deps import CurrentDriver
from backend.api.deps import SessionDep
from backend.api.responses import errors
from backend.services import accounts, cards
from backend_client.models import DriverCard, DriverProfile, DriverProfileUpdate, DriverSignUp

router = APIRouter(prefix="/drivers", tags=["drivers"])


@router.post("", response_model=DriverProfile, status_code=201, responses=errors(409, auth=False))
async def sign_up(body: DriverSignUp, session: SessionDep) -> DriverProfile:
    """Create a driver account; then sign in with ``POST /auth/login`` (kind ``driver``)."""
    return await accounts.sign_up_driver(session, data=body)


@router.get("/me", response_model=DriverProfile, responses=errors())
async def get_profile(session: SessionDep, principal: CurrentDriver) -> DriverProfile:
    return await accounts.get_driver_profile(session, principal=principal)


@router.patch("/me", response_model=DriverProfile, responses=errors())
async def update_profile(
    body: DriverProfileUpdate, session: SessionDep, principal: CurrentDriver
) -> DriverProfile:
    """Change name, phone, language or password (with the current password)."""
    return await accounts.update_driver_profile(session, principal=principal, data=body)


@router.get("/me/cards", response_model=list[DriverCard], responses=errors())
async def my_cards(session: SessionDep, principal: CurrentDriver) -> list[DriverCard]:
    """The driver's RFID cards across every operator."""
    return await cards.driver_cards(session, principal=principal)
