"""The audit log of operator actions: written by every operator-facing service in the same
transaction as the change it records (so a rolled-back change leaves no entry), read by admins.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import AuditLog, StaffUser
from backend.security import Principal
from backend.services.scope import operator_of
from backend_client.models import AuditEntry, Page


def record(
    session: AsyncSession,
    *,
    principal: Principal,
    action: str,
    target_type: str,
    target_id: int | str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry for ``principal``'s action; the caller's commit writes it with the change."""
    session.add(
        AuditLog(
            operator_id=operator_of(principal),
            actor_staff_id=principal.id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            detail=detail or {},
        )
    )


async def list_audit(
    session: AsyncSession,
    *,
    principal: Principal,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[AuditEntry]:
    """The operator's audit entries, newest first."""
    where = [AuditLog.operator_id == operator_of(principal)]
    if action:
        where.append(AuditLog.action == action)
    if target_type:
        where.append(AuditLog.target_type == target_type)
    if target_id:
        where.append(AuditLog.target_id == target_id)
    total = await session.scalar(select(func.count()).select_from(AuditLog).where(*where))
    rows = await session.execute(
        select(AuditLog, StaffUser.email)
        .outerjoin(StaffUser, StaffUser.id == AuditLog.actor_staff_id)
        .where(*where)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        AuditEntry(
            id=entry.id,
            actor_staff_id=entry.actor_staff_id,
            actor_email=email,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            detail=entry.detail,
            created_at=entry.created_at,
        )
        for entry, email in rows
    ]
    return Page[AuditEntry](items=items, total=total or 0, limit=limit, offset=offset)
