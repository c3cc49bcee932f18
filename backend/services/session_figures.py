"""A charging session's figures as its meter samples move them: storing samples (re-sent ones
skipped), the live energy / power / state of charge, and the running cost under the session's
tariff snapshot.

Shared by the one-message MeterValues path and StopTransaction (``backend.services.charging``)
and by the central system's meter batcher (``backend.ocpp.meters``), which moves plain copies of
session rows on SQLite — hence :class:`LiveFigures` rather than the ORM class alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChargingSession, MeterSample, SessionStatus
from backend.payments.tariff import EnergyPoint, TariffSnapshot, running_cost
from backend.services.ocpp_meter import ParsedSample


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def store_samples(
    session: AsyncSession, batches: Iterable[tuple[int, Iterable[ParsedSample]]]
) -> None:
    """Insert samples, skipping any (session, timestamp) already stored (re-sent messages)."""
    rows = [
        {
            "session_id": session_id,
            "sampled_at": s.at,
            "energy_wh": s.energy_wh,
            "power_w": s.power_w,
            "current_a": s.current_a,
            "voltage_v": s.voltage_v,
            "soc": s.soc,
            "raw": s.raw,
        }
        for session_id, samples in batches
        for s in samples
    ]
    if not rows:
        return
    # One statement executed for many parameter sets (executemany): compiled once and cached,
    # where a multi-row VALUES would be rebuilt and recompiled for every batch size.
    table = MeterSample.__table__
    stmt = _insert(session)(table).on_conflict_do_nothing(
        index_elements=["session_id", "sampled_at"]
    )
    await session.execute(stmt, rows)


def apply_costs(
    row: ChargingSession | LiveFigures,
    now: datetime,
    points: list[EnergyPoint],
    tariff: TariffSnapshot | dict[str, Any],
) -> None:
    if not tariff:
        return
    cost = running_cost(tariff, points, row.started_at, now, row.idle_since)
    row.energy_cost_minor = cost.energy_minor
    row.time_cost_minor = cost.time_minor
    row.idle_cost_minor = cost.idle_minor
    row.idle_seconds = cost.idle_seconds
    row.cost_minor = cost.total_minor


class LiveFigures(Protocol):
    """What :func:`apply_meter_update` reads and moves: a session row, or the meter batcher's
    plain copy of one (``backend.ocpp.meters``, which skips the ORM on SQLite)."""

    status: str
    meter_start_wh: int
    started_at: datetime
    idle_since: datetime | None
    energy_wh: int
    energy_cost_minor: int
    time_cost_minor: int
    idle_cost_minor: int
    idle_seconds: int
    cost_minor: int
    last_power_w: float
    last_soc: int | None
    updated_at: datetime


LIVE_COLUMNS = (
    "energy_wh",
    "energy_cost_minor",
    "time_cost_minor",
    "idle_cost_minor",
    "idle_seconds",
    "cost_minor",
    "last_power_w",
    "last_soc",
    "updated_at",
)
"""The columns :func:`apply_meter_update` may change (written in bulk by the meter batcher)."""


def apply_meter_update(
    row: ChargingSession | LiveFigures,
    parsed: Sequence[ParsedSample],
    now: datetime,
    tariff: TariffSnapshot | dict[str, Any] | None = None,
) -> bool:
    """Move a session's live figures (energy, power, SoC, running cost) to its newest sample.

    Samples older than what the session already shows (a re-sent MeterValues) change nothing:
    the energy register only moves forward. Returns whether anything changed. ``tariff`` is the
    session's snapshot already parsed (the meter batcher caches it per session, so a sample
    does not re-parse it); by default the row's stored ``tariff_snapshot``.
    """
    latest = max(parsed, key=lambda s: s.at, default=None)
    if row.status != SessionStatus.ACTIVE or latest is None:
        return False
    if latest.energy_wh is not None:
        energy = max(latest.energy_wh - row.meter_start_wh, 0)
        if energy < row.energy_wh:
            return False
        if energy > row.energy_wh:
            # Running cost from the previous total to this one; the final bill at
            # StopTransaction re-prices every stored sample exactly.
            points = [
                EnergyPoint(row.started_at, 0),
                EnergyPoint(max(row.updated_at, row.started_at), row.energy_wh),
                EnergyPoint(latest.at, energy),
            ]
            row.energy_wh = energy
            if tariff is None:
                tariff = row.tariff_snapshot if isinstance(row, ChargingSession) else {}
            apply_costs(row, max(latest.at, row.started_at), points, tariff)
    if latest.power_w is not None:
        row.last_power_w = latest.power_w
    if latest.soc is not None:
        row.last_soc = latest.soc
    row.updated_at = now
    return True


__all__ = ["LIVE_COLUMNS", "LiveFigures", "apply_costs", "apply_meter_update", "store_samples"]
