"""RFID cards (operator staff): issue, bind to a driver, block and unblock."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.auth_deps import CurrentStaff
from backend.api.deps import SessionDep
from backend.api.params import IdPath, IdQuery, LimitQuery, OffsetQuery, SearchText
from backend.api.responses import errors
from backend.services import cards
from backend_client.models import CardCreate, CardPublic, CardStatus, CardUpdate, Page

router = APIRouter(prefix="/cards", tags=["cards"])


@router.get("", response_model=Page[CardPublic], responses=errors())
async def list_cards(
    session: SessionDep,
    principal: CurrentStaff,
    q: SearchText = None,
    status: CardStatus | None = None,
    driver_id: IdQuery = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[CardPublic]:
    return await cards.list_cards(
        session,
        principal=principal,
        q=q,
        status=status,
        driver_id=driver_id,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=CardPublic, status_code=201, responses=errors(409))
async def create_card(body: CardCreate, session: SessionDep, principal: CurrentStaff) -> CardPublic:
    return await cards.create_card(session, principal=principal, data=body)


@router.get("/{card_id}", response_model=CardPublic, responses=errors(404))
async def get_card(card_id: IdPath, session: SessionDep, principal: CurrentStaff) -> CardPublic:
    return await cards.get_card(session, principal=principal, card_id=card_id)


@router.patch("/{card_id}", response_model=CardPublic, responses=errors(404))
async def update_card(
    card_id: IdPath, body: CardUpdate, session: SessionDep, principal: CurrentStaff
) -> CardPublic:
    return await cards.update_card(session, principal=principal, card_id=card_id, data=body)


@router.post("/{card_id}/block", response_model=CardPublic, responses=errors(404))
async def block_card(card_id: IdPath, session: SessionDep, principal: CurrentStaff) -> CardPublic:
    """Block a lost or stolen card: chargers refuse it from now on."""
    return await cards.set_card_blocked(session, principal=principal, card_id=card_id, blocked=True)


@router.post("/{card_id}/unblock", response_model=CardPublic, responses=errors(404))
async def unblock_card(card_id: IdPath, session: SessionDep, principal: CurrentStaff) -> CardPublic:
    return await cards.set_card_blocked(
        session, principal=principal, card_id=card_id, blocked=False
    )
