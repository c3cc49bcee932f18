"""Drivers: sign-up (public), own profile and own RFID cards (link, block, unblock, remove)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backend.api.auth_deps import CurrentDriver
from backend.api.deps import ContextDep, SessionDep
from backend.api.params import IdPath
from backend.api.responses import errors
from backend.security import password_hashing
from backend.services import accounts, cards
from backend_client.models import (
    DriverCard,
    DriverCardBind,
    DriverProfile,
    DriverProfileUpdate,
    DriverSignUp,
)

router = APIRouter(prefix="/drivers", tags=["drivers"])


@router.post("", response_model=DriverProfile, status_code=201, responses=errors(409, auth=False))
async def sign_up(body: DriverSignUp, session: SessionDep, ctx: ContextDep) -> DriverProfile:
    """Create a driver account; then sign in with ``POST /auth/login`` (kind ``driver``)."""
    return await accounts.sign_up_driver(session, data=body, hashing=await password_hashing(ctx))


@router.get("/me", response_model=DriverProfile, responses=errors())
async def get_profile(session: SessionDep, principal: CurrentDriver) -> DriverProfile:
    return await accounts.get_driver_profile(session, principal=principal)


@router.patch("/me", response_model=DriverProfile, responses=errors())
async def update_profile(
    body: DriverProfileUpdate, session: SessionDep, principal: CurrentDriver, ctx: ContextDep
) -> DriverProfile:
    """Change name, phone, language or password (with the current password)."""
    return await accounts.update_driver_profile(
        session, principal=principal, data=body, hashing=await password_hashing(ctx)
    )


@router.get("/me/cards", response_model=list[DriverCard], responses=errors())
async def my_cards(session: SessionDep, principal: CurrentDriver) -> list[DriverCard]:
    """The driver's RFID cards across every operator."""
    return await cards.driver_cards(session, principal=principal)


@router.post(
    "/me/cards", response_model=list[DriverCard], status_code=201, responses=errors(404, 409)
)
async def link_card(
    body: DriverCardBind, session: SessionDep, principal: CurrentDriver
) -> list[DriverCard]:
    """Link an operator-issued card by the number printed on it (the linked cards: one per
    operator that issued this number). 404: nobody issued it; 409 ``card_taken``: it is on
    another account."""
    return await cards.bind_driver_card(session, principal=principal, data=body)


@router.post("/me/cards/{card_id}/block", response_model=DriverCard, responses=errors(404))
async def block_my_card(
    card_id: IdPath, session: SessionDep, principal: CurrentDriver
) -> DriverCard:
    """Block a lost card: chargers refuse it from their next Authorize."""
    return await cards.set_driver_card_blocked(
        session, principal=principal, card_id=card_id, blocked=True
    )


@router.post("/me/cards/{card_id}/unblock", response_model=DriverCard, responses=errors(404, 409))
async def unblock_my_card(
    card_id: IdPath, session: SessionDep, principal: CurrentDriver
) -> DriverCard:
    """Unblock a card the driver blocked (409 ``card_blocked_by_operator`` otherwise)."""
    return await cards.set_driver_card_blocked(
        session, principal=principal, card_id=card_id, blocked=False
    )


@router.delete("/me/cards/{card_id}", status_code=204, responses=errors(404))
async def unlink_card(card_id: IdPath, session: SessionDep, principal: CurrentDriver) -> Response:
    """Remove the card from the account (a blocked card stays blocked)."""
    await cards.unbind_driver_card(session, principal=principal, card_id=card_id)
    return Response(status_code=204)
