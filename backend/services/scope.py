"""Tenant scoping shared by the services: which operator a principal acts for, and loading
one operator-owned row so that another tenant's row is indistinguishable from a missing one.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import Conflict, FieldProblem, Forbidden, NotFound
from backend.security import Principal

M = TypeVar("M")


def operator_of(principal: Principal) -> int:
    """The operator a staff principal works for; drivers may not use operator services."""
    if principal.kind != "staff" or principal.operator_id is None:
        raise Forbidden("Only operator staff may do this.")
    return principal.operator_id


def require_admin(principal: Principal) -> int:
    """Like :func:`operator_of`, but only for admins."""
    operator_id = operator_of(principal)
    if not principal.is_admin:
        raise Forbidden("Only operator admins may do this.")
    return operator_id


async def owned(
    session: AsyncSession,
    model: type[M],
    object_id: int,
    *,
    principal: Principal,
    what: str,
    options: tuple[Any, ...] = (),
    for_update: bool = False,
) -> M:
    """The ``model`` row ``object_id`` of the principal's operator, or :class:`NotFound`."""
    operator_id = operator_of(principal)
    query = select(model).where(
        model.id == object_id,  # type: ignore[attr-defined]
        model.operator_id == operator_id,  # type: ignore[attr-defined]
    )
    if options:
        query = query.options(*options)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"No {what} with id {object_id}.")
    return row


def taken(field_name: str) -> list[FieldProblem]:
    """The field problem of a unique value already in use (``body.<field>``)."""
    return [FieldProblem(f"body.{field_name}", "already taken")]


async def flush_unique(session: AsyncSession, field_name: str, message: str) -> None:
    """Flush; a unique-constraint violation (e.g. two requests racing for one e-mail) rolls
    the whole transaction back and becomes a 409 naming ``field_name``, not a 500."""
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(message, fields=taken(field_name)) from None
