"""RFID cards: operators issue, bind (to a driver by e-mail), block and expire them; drivers
see their own. Whether a card may start a charge is decided at the charger by the OCPP
authorization service, from the status and expiry kept here."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import CardStatus, Driver, Operator, RfidCard
from backend.errors import Conflict, Forbidden, Invalid
from backend.security import Principal
from backend.services import audit
from backend.services.scope import flush_unique, operator_of, owned, taken
from backend_client.models import CardCreate, CardPublic, CardUpdate, DriverCard, Page
from backend_client.models.cards import CardStatus as WireCardStatus


def _public(card: RfidCard, driver_email: str | None) -> CardPublic:
    return CardPublic(
        id=card.id,
        operator_id=card.operator_id,
        uid=card.uid,
        label=card.label,
        status=WireCardStatus(card.status),
        expires_at=card.expires_at,
        driver_id=card.driver_id,
        driver_email=driver_email,
        created_at=card.created_at,
    )


async def _driver_by_email(session: AsyncSession, email: str) -> Driver:
    driver = await session.scalar(select(Driver).where(Driver.email == email))
    if driver is None:
        raise Invalid(f"No driver account with e-mail {email}.", field_name="body.driver_email")
    return driver


async def _email_of(session: AsyncSession, driver_id: int | None) -> str | None:
    if driver_id is None:
        return None
    return await session.scalar(select(Driver.email).where(Driver.id == driver_id))


async def list_cards(
    session: AsyncSession,
    *,
    principal: Principal,
    q: str | None = None,
    status: WireCardStatus | None = None,
    driver_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[CardPublic]:
    """The operator's cards; ``q`` matches the uid, label or the driver's e-mail."""
    where = [RfidCard.operator_id == operator_of(principal)]
    if status is not None:
        where.append(RfidCard.status == status.value)
    if driver_id is not None:
        where.append(RfidCard.driver_id == driver_id)
    if q:
        pattern = f"%{q.lower()}%"
        where.append(
            or_(
                func.lower(RfidCard.uid).like(pattern),
                func.lower(RfidCard.label).like(pattern),
                func.lower(Driver.email).like(pattern),
            )
        )
    base = select(RfidCard, Driver.email).outerjoin(Driver, Driver.id == RfidCard.driver_id)
    total = await session.scalar(
        select(func.count())
        .select_from(RfidCard)
        .outerjoin(Driver, Driver.id == RfidCard.driver_id)
        .where(*where)
    )
    rows = await session.execute(
        base.where(*where).order_by(RfidCard.id).limit(limit).offset(offset)
    )
    return Page[CardPublic](
        items=[_public(card, email) for card, email in rows],
        total=total or 0,
        limit=limit,
        offset=offset,
    )


async def get_card(session: AsyncSession, *, principal: Principal, card_id: int) -> CardPublic:
    card = await owned(session, RfidCard, card_id, principal=principal, what="card")
    return _public(card, await _email_of(session, card.driver_id))


async def create_card(
    session: AsyncSession, *, principal: Principal, data: CardCreate
) -> CardPublic:
    """Issue a card (uids are unique per operator), optionally bound to a driver."""
    operator_id = operator_of(principal)
    uid = data.uid.upper()
    message = f"Card {uid} already exists."
    if await session.scalar(
        select(RfidCard.id).where(RfidCard.operator_id == operator_id, RfidCard.uid == uid)
    ):
        raise Conflict(message, fields=taken("uid"))
    driver = await _driver_by_email(session, data.driver_email) if data.driver_email else None
    card = RfidCard(
        operator_id=operator_id,
        uid=uid,
        label=data.label,
        driver_id=driver.id if driver else None,
        expires_at=data.expires_at,
    )
    session.add(card)
    await flush_unique(session, "uid", message)
    audit.record(
        session,
        principal=principal,
        action="card.created",
        target_type="card",
        target_id=card.id,
        detail=data.model_dump(mode="json"),
    )
    await session.commit()
    return _public(card, driver.email if driver else None)


async def update_card(
    session: AsyncSession, *, principal: Principal, card_id: int, data: CardUpdate
) -> CardPublic:
    """Relabel, (un)bind or change the expiry of a card."""
    card = await owned(session, RfidCard, card_id, principal=principal, what="card")
    changes = data.model_dump(exclude_unset=True)
    if "label" in changes:
        if data.label is None:
            raise Invalid("label may not be null.", field_name="body.label")
        card.label = data.label
    if "driver_email" in changes:
        driver = await _driver_by_email(session, data.driver_email) if data.driver_email else None
        card.driver_id = driver.id if driver else None
    if "expires_at" in changes:
        card.expires_at = data.expires_at
    audit.record(
        session,
        principal=principal,
        action="card.updated",
        target_type="card",
        target_id=card.id,
        detail=data.model_dump(mode="json", exclude_unset=True),
    )
    await session.commit()
    return _public(card, await _email_of(session, card.driver_id))


async def set_card_blocked(
    session: AsyncSession, *, principal: Principal, card_id: int, blocked: bool
) -> CardPublic:
    """Block (lost or stolen) or unblock a card; the charger refuses a blocked card."""
    card = await owned(session, RfidCard, card_id, principal=principal, what="card")
    status = CardStatus.BLOCKED if blocked else CardStatus.ACTIVE
    if card.status != status:
        card.status = status
        audit.record(
            session,
            principal=principal,
            action="card.blocked" if blocked else "card.unblocked",
            target_type="card",
            target_id=card.id,
            detail={"uid": card.uid},
        )
        await session.commit()
    return _public(card, await _email_of(session, card.driver_id))


async def driver_cards(session: AsyncSession, *, principal: Principal) -> list[DriverCard]:
    """The signed-in driver's cards across every operator."""
    if principal.kind != "driver":
        raise Forbidden("Only drivers have cards of their own.")
    rows = await session.execute(
        select(RfidCard, Operator.name)
        .join(Operator, Operator.id == RfidCard.operator_id)
        .where(RfidCard.driver_id == principal.id)
        .order_by(RfidCard.id)
    )
    return [
        DriverCard(
            id=card.id,
            uid=card.uid,
            label=card.label,
            status=WireCardStatus(card.status),
            expires_at=card.expires_at,
            operator_id=card.operator_id,
            operator_name=name,
        )
        for card, name in rows
    ]
