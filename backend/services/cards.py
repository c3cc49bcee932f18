"""RFID cards: operators issue, bind (to a driver by e-mail), block and expire them; drivers
see their own, link a card they were handed by the number printed on it, block a lost one
(and unblock it when found) and remove it. Whether a card may start a charge is decided at the
charger by the OCPP authorization service, from the status and expiry kept here, so a block
takes effect on the charger's next Authorize.

A driver can only claim a card an operator issued (the card row, and so the network it works
on, is the operator's). Driver actions are written to the card operator's audit log with no
staff actor, so the operator sees who changed their card; that log also tells whether a block
came from the operator, which a driver may then not lift.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import AuditLog, CardStatus, Driver, Operator, RfidCard
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.security import Principal
from backend.services import audit
from backend.services.scope import flush_unique, operator_of, owned, taken
from backend_client.models import (
    CardCreate,
    CardPublic,
    CardUpdate,
    DriverCard,
    DriverCardBind,
    Page,
)
from backend_client.models.cards import CardStatus as WireCardStatus


class CardTaken(Conflict):
    """The card is linked to another driver's account (who is never said)."""

    code = "card_taken"


class CardBlockedByOperator(Conflict):
    """The card's operator blocked it: only the operator may unblock it."""

    code = "card_blocked_by_operator"


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


def _driver_only(principal: Principal) -> int:
    if principal.kind != "driver":
        raise Forbidden("Only drivers have cards of their own.")
    return principal.id


def _driver_card(card: RfidCard, operator_name: str) -> DriverCard:
    return DriverCard(
        id=card.id,
        uid=card.uid,
        label=card.label,
        status=WireCardStatus(card.status),
        expires_at=card.expires_at,
        operator_id=card.operator_id,
        operator_name=operator_name,
    )


async def driver_cards(session: AsyncSession, *, principal: Principal) -> list[DriverCard]:
    """The signed-in driver's cards across every operator."""
    driver_id = _driver_only(principal)
    rows = await session.execute(
        select(RfidCard, Operator.name)
        .join(Operator, Operator.id == RfidCard.operator_id)
        .where(RfidCard.driver_id == driver_id)
        .order_by(RfidCard.id)
    )
    return [_driver_card(card, name) for card, name in rows]


def _record_driver_action(card: RfidCard, driver_id: int, action: str) -> AuditLog:
    """An entry in the card operator's audit log for a driver's change (no staff actor)."""
    return AuditLog(
        operator_id=card.operator_id,
        actor_staff_id=None,
        action=action,
        target_type="card",
        target_id=str(card.id),
        detail={"uid": card.uid, "by": "driver", "driver_id": driver_id},
    )


async def bind_driver_card(
    session: AsyncSession, *, principal: Principal, data: DriverCardBind
) -> list[DriverCard]:
    """Link the card with the printed number ``data.uid`` to the signed-in driver.

    The same chip may have been issued by several operators (uids are unique per operator):
    every unlinked issue of it is linked. Linking a card one already holds again only updates
    its label.

    Raises:
        NotFound: no operator issued a card with this number.
        CardTaken: the card is linked to another driver (409; who is not revealed).
    """
    driver_id = _driver_only(principal)
    uid = data.uid.upper()
    rows = list(
        await session.execute(
            select(RfidCard, Operator.name)
            .join(Operator, Operator.id == RfidCard.operator_id)
            .where(RfidCard.uid == uid)
            .order_by(RfidCard.id)
            .with_for_update(of=RfidCard)
        )
    )
    if not rows:
        raise NotFound(
            "No card with this number was issued on this network. Check the number printed "
            "on the card."
        )
    if any(card.driver_id not in (None, driver_id) for card, _name in rows):
        raise CardTaken(
            "This card is already linked to another account. If it is yours, ask the "
            "operator that issued it.",
            fields=taken("uid"),
        )
    for card, _name in rows:
        if card.driver_id is None:
            card.driver_id = driver_id
            session.add(_record_driver_action(card, driver_id, "card.linked_by_driver"))
        if data.label:
            card.label = data.label
    await session.commit()
    return [_driver_card(card, name) for card, name in rows]


async def _own_card(session: AsyncSession, driver_id: int, card_id: int) -> tuple[RfidCard, str]:
    row = (
        await session.execute(
            select(RfidCard, Operator.name)
            .join(Operator, Operator.id == RfidCard.operator_id)
            .where(RfidCard.id == card_id, RfidCard.driver_id == driver_id)
            .with_for_update(of=RfidCard)
        )
    ).first()
    if row is None:
        raise NotFound("No such card on your account.")
    return row[0], row[1]


async def _blocked_by_operator(session: AsyncSession, card: RfidCard) -> bool:
    """Whether the card's latest block came from its operator's staff (not its driver)."""
    latest = await session.scalar(
        select(AuditLog)
        .where(
            AuditLog.operator_id == card.operator_id,
            AuditLog.target_type == "card",
            AuditLog.target_id == str(card.id),
            AuditLog.action.in_(("card.blocked", "card.blocked_by_driver")),
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    # A block with no entry (e.g. imported data) counts as the operator's: the safe side.
    return latest is None or latest.action == "card.blocked"


async def set_driver_card_blocked(
    session: AsyncSession, *, principal: Principal, card_id: int, blocked: bool
) -> DriverCard:
    """The driver blocks a lost card (chargers refuse it from their next Authorize) or
    unblocks it when found.

    Raises:
        NotFound: not one of the driver's cards.
        CardBlockedByOperator: the operator blocked it; only the operator can unblock it.
    """
    driver_id = _driver_only(principal)
    card, operator_name = await _own_card(session, driver_id, card_id)
    status = CardStatus.BLOCKED if blocked else CardStatus.ACTIVE
    if card.status != status:
        if not blocked and await _blocked_by_operator(session, card):
            raise CardBlockedByOperator(
                f"{operator_name} blocked this card; only they can unblock it."
            )
        card.status = status
        action = "card.blocked_by_driver" if blocked else "card.unblocked_by_driver"
        session.add(_record_driver_action(card, driver_id, action))
        await session.commit()
    return _driver_card(card, operator_name)


async def unbind_driver_card(session: AsyncSession, *, principal: Principal, card_id: int) -> None:
    """Remove the card from the driver's account. Its status stays as it is, so a lost card
    blocked first stays blocked for whoever finds it.

    Raises:
        NotFound: not one of the driver's cards.
    """
    driver_id = _driver_only(principal)
    card, _operator_name = await _own_card(session, driver_id, card_id)
    card.driver_id = None
    session.add(_record_driver_action(card, driver_id, "card.unlinked_by_driver"))
    await session.commit()
