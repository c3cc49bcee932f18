"""Tariffs: operator admins write them, everyone reads the price in force at a station.

The wire model validates bands (HH:MM, no overlap, non-negative prices) and the currency;
this module stores them, keeps them per operator, and answers "what does charging cost now".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import RecordStatus, Station, Tariff
from backend.errors import Conflict, Invalid
from backend.security import Principal
from backend.services import audit
from backend.services.scope import operator_of, owned, require_admin
from backend_client.models import (
    Page,
    PriceNow,
    TariffCreate,
    TariffPublic,
    TariffUpdate,
    TimeOfUseBand,
)
from backend_client.models.tariffs import band_minutes


def tariff_public(tariff: Tariff) -> TariffPublic:
    return TariffPublic(
        id=tariff.id,
        operator_id=tariff.operator_id,
        name=tariff.name,
        currency=tariff.currency,
        energy_price=tariff.energy_price,
        time_price=tariff.time_price,
        idle_fee_per_minute=tariff.idle_fee_per_minute,
        idle_grace_minutes=tariff.idle_grace_minutes,
        tax_rate_percent=tariff.tax_rate_percent,
        bands=[TimeOfUseBand.model_validate(b) for b in tariff.bands],
        status=tariff.status,
        created_at=tariff.created_at,
    )


def price_now(tariff: Tariff, *, now: datetime, timezone: str) -> PriceNow:
    """The prices in force at ``now`` in the operator's ``timezone`` (bands are local time)."""
    try:
        local = now.astimezone(ZoneInfo(timezone))
    except ZoneInfoNotFoundError:
        local = now
    minute = local.hour * 60 + local.minute
    energy, per_minute, label = tariff.energy_price, tariff.time_price, None
    for raw in tariff.bands:
        band = TimeOfUseBand.model_validate(raw)
        if any(lo <= minute < hi for lo, hi in band_minutes(band.start, band.end)):
            energy, per_minute, label = band.energy_price, band.time_price, band.label or None
            break
    return PriceNow(
        tariff_id=tariff.id,
        currency=tariff.currency,
        band_label=label,
        energy_price=energy,
        time_price=per_minute,
        idle_fee_per_minute=tariff.idle_fee_per_minute,
        idle_grace_minutes=tariff.idle_grace_minutes,
    )


def _bands_json(bands: list[TimeOfUseBand]) -> list[dict[str, Any]]:
    return [b.model_dump(mode="json") for b in bands]


async def list_tariffs(
    session: AsyncSession,
    *,
    principal: Principal,
    include_retired: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page[TariffPublic]:
    where = [Tariff.operator_id == operator_of(principal)]
    if not include_retired:
        where.append(Tariff.status == RecordStatus.ACTIVE)
    total = await session.scalar(select(func.count()).select_from(Tariff).where(*where))
    rows = await session.scalars(
        select(Tariff).where(*where).order_by(Tariff.id).limit(limit).offset(offset)
    )
    return Page[TariffPublic](
        items=[tariff_public(t) for t in rows], total=total or 0, limit=limit, offset=offset
    )


async def get_tariff(
    session: AsyncSession, *, principal: Principal, tariff_id: int
) -> TariffPublic:
    return tariff_public(
        await owned(session, Tariff, tariff_id, principal=principal, what="tariff")
    )


async def create_tariff(
    session: AsyncSession, *, principal: Principal, data: TariffCreate
) -> TariffPublic:
    operator_id = require_admin(principal)
    tariff = Tariff(
        operator_id=operator_id,
        name=data.name,
        currency=data.currency,
        energy_price=data.energy_price,
        time_price=data.time_price,
        idle_fee_per_minute=data.idle_fee_per_minute,
        idle_grace_minutes=data.idle_grace_minutes,
        tax_rate_percent=data.tax_rate_percent,
        bands=_bands_json(data.bands),
    )
    session.add(tariff)
    await session.flush()
    audit.record(
        session,
        principal=principal,
        action="tariff.created",
        target_type="tariff",
        target_id=tariff.id,
        detail=data.model_dump(mode="json"),
    )
    await session.commit()
    return tariff_public(tariff)


async def update_tariff(
    session: AsyncSession, *, principal: Principal, tariff_id: int, data: TariffUpdate
) -> TariffPublic:
    """Change a tariff. Running sessions keep the snapshot taken at their start."""
    require_admin(principal)
    tariff = await owned(session, Tariff, tariff_id, principal=principal, what="tariff")
    if tariff.status == RecordStatus.RETIRED:
        raise Conflict("This tariff is retired and can no longer be changed.")
    changes = data.model_dump(exclude_unset=True)
    for name in changes:
        value = getattr(data, name)
        if value is None:
            raise Invalid(f"{name} may not be null.", field_name=f"body.{name}")
        setattr(tariff, name, _bands_json(value) if name == "bands" else value)
    audit.record(
        session,
        principal=principal,
        action="tariff.updated",
        target_type="tariff",
        target_id=tariff.id,
        detail=data.model_dump(mode="json", exclude_unset=True),
    )
    await session.commit()
    return tariff_public(tariff)


async def retire_tariff(
    session: AsyncSession, *, principal: Principal, tariff_id: int
) -> TariffPublic:
    """Retire a tariff no active station uses any more."""
    require_admin(principal)
    tariff = await owned(session, Tariff, tariff_id, principal=principal, what="tariff")
    in_use = await session.scalar(
        select(func.count())
        .select_from(Station)
        .where(Station.tariff_id == tariff.id, Station.status == RecordStatus.ACTIVE)
    )
    if in_use:
        raise Conflict(f"This tariff is still used by {in_use} station(s); reassign them first.")
    if tariff.status != RecordStatus.RETIRED:
        tariff.status = RecordStatus.RETIRED
        audit.record(
            session,
            principal=principal,
            action="tariff.retired",
            target_type="tariff",
            target_id=tariff.id,
        )
        await session.commit()
    return tariff_public(tariff)


async def usable_tariff(session: AsyncSession, *, principal: Principal, tariff_id: int) -> Tariff:
    """A tariff a station of the principal's operator may point at (own and active)."""
    tariff = await session.scalar(
        select(Tariff).where(
            Tariff.id == tariff_id,
            Tariff.operator_id == operator_of(principal),
            Tariff.status == RecordStatus.ACTIVE,
        )
    )
    if tariff is None:
        raise Invalid(f"No active tariff with id {tariff_id}.", field_name="body.tariff_id")
    return tariff
