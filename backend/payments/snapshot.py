"""Tariff snapshots and the time-of-use calendar: which prices are in force when.

A snapshot freezes a tariff (prices, idle fee and grace, tax, bands, the operator's time zone)
as JSON at session start; the functions here answer "which band at this moment" and "where
are the band boundaries between two moments" in that zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from backend.payments.errors import TariffError

_DAY = 24 * 60


class TariffLike(Protocol):
    """The fields of :class:`backend.db.models.Tariff` the engine reads."""

    id: int
    name: str
    currency: str
    energy_price: Decimal
    time_price: Decimal
    idle_fee_per_minute: Decimal
    idle_grace_minutes: int
    tax_rate_percent: Decimal
    bands: list[dict[str, Any]]


@dataclass(frozen=True)
class Band:
    """A time-of-use band: half-open local minute ranges within a day (may wrap midnight)."""

    start: str
    end: str
    label: str
    energy_price: Decimal
    time_price: Decimal

    @property
    def ranges(self) -> list[tuple[int, int]]:
        s = _minute_of(self.start)
        e = _minute_of(self.end)
        if s < e:
            return [(s, e)]
        return [(s, _DAY), (0, e)] if e > 0 else [(s, _DAY)]

    def contains(self, minute: int) -> bool:
        return any(lo <= minute < hi for lo, hi in self.ranges)


def _minute_of(hhmm: str) -> int:
    try:
        hours, minutes = hhmm.split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError as exc:
        raise TariffError(f"bad band time {hhmm!r}") from exc
    if not 0 <= value < _DAY:
        raise TariffError(f"bad band time {hhmm!r}")
    return value


def _dec(value: object, name: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except ArithmeticError as exc:
        raise TariffError(f"{name} is not a number") from exc
    if not result.is_finite() or result < 0:
        raise TariffError(f"{name} must be a non-negative number")
    return result


@dataclass(frozen=True)
class TariffSnapshot:
    """The prices frozen at session start; stored as JSON in ``tariff_snapshot``."""

    tariff_id: int | None
    name: str
    currency: str
    timezone: str
    energy_price: Decimal
    time_price: Decimal
    idle_fee_per_minute: Decimal
    idle_grace_minutes: int
    tax_rate_percent: Decimal
    bands: tuple[Band, ...] = ()
    taken_at: datetime | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_json(self) -> dict[str, Any]:
        return {
            "tariff_id": self.tariff_id,
            "name": self.name,
            "currency": self.currency,
            "timezone": self.timezone,
            "energy_price": str(self.energy_price),
            "time_price": str(self.time_price),
            "idle_fee_per_minute": str(self.idle_fee_per_minute),
            "idle_grace_minutes": self.idle_grace_minutes,
            "tax_rate_percent": str(self.tax_rate_percent),
            "bands": [
                {
                    "start": b.start,
                    "end": b.end,
                    "label": b.label,
                    "energy_price": str(b.energy_price),
                    "time_price": str(b.time_price),
                }
                for b in self.bands
            ],
            "taken_at": self.taken_at.isoformat() if self.taken_at else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TariffSnapshot:
        """Parse a stored snapshot; :class:`TariffError` if it is not one."""
        try:
            taken = data.get("taken_at")
            return cls(
                tariff_id=data.get("tariff_id"),
                name=str(data.get("name", "")),
                currency=str(data["currency"]),
                timezone=str(data.get("timezone") or "UTC"),
                energy_price=_dec(data["energy_price"], "energy_price"),
                time_price=_dec(data.get("time_price", "0"), "time_price"),
                idle_fee_per_minute=_dec(data.get("idle_fee_per_minute", "0"), "idle fee"),
                idle_grace_minutes=int(data.get("idle_grace_minutes", 0)),
                tax_rate_percent=_dec(data.get("tax_rate_percent", "0"), "tax rate"),
                bands=tuple(_band(b) for b in data.get("bands") or []),
                taken_at=datetime.fromisoformat(taken) if taken else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TariffError(f"not a tariff snapshot: {exc}") from exc


def _band(data: dict[str, Any]) -> Band:
    band = Band(
        start=str(data["start"]),
        end=str(data["end"]),
        label=str(data.get("label") or ""),
        energy_price=_dec(data["energy_price"], "band energy_price"),
        time_price=_dec(data.get("time_price", "0"), "band time_price"),
    )
    band.ranges  # noqa: B018 - validates the HH:MM values now, not at billing time
    return band


def snapshot_tariff(tariff: TariffLike, *, timezone: str, now: datetime) -> dict[str, Any]:
    """Freeze ``tariff`` for a session starting at ``now`` (JSON for ``tariff_snapshot``).

    ``timezone`` is the operator's IANA zone; time-of-use bands are read in it.
    """
    ZoneInfo(timezone)  # refuse an unknown zone now rather than at billing time
    snap = TariffSnapshot(
        tariff_id=tariff.id,
        name=tariff.name,
        currency=tariff.currency,
        timezone=timezone,
        energy_price=_dec(tariff.energy_price, "energy_price"),
        time_price=_dec(tariff.time_price or 0, "time_price"),
        idle_fee_per_minute=_dec(tariff.idle_fee_per_minute or 0, "idle_fee_per_minute"),
        idle_grace_minutes=int(tariff.idle_grace_minutes or 0),
        tax_rate_percent=_dec(tariff.tax_rate_percent or 0, "tax_rate_percent"),
        bands=tuple(_band(b) for b in tariff.bands or []),
        taken_at=now,
    )
    return snap.to_json()


@dataclass(frozen=True)
class Prices:
    """The unit prices in force at one moment."""

    band_label: str | None
    energy_price: Decimal
    time_price: Decimal


def prices_at(snapshot: TariffSnapshot, at: datetime) -> Prices:
    """The band (or base) prices in force at ``at``."""
    local = at.astimezone(snapshot.tz)
    minute = local.hour * 60 + local.minute
    for band in snapshot.bands:
        if band.contains(minute):
            return Prices(band.label or "band", band.energy_price, band.time_price)
    return Prices(None, snapshot.energy_price, snapshot.time_price)


def next_price_change(snapshot: TariffSnapshot, after: datetime) -> datetime | None:
    """The first band boundary strictly after ``after`` (None when there are no bands)."""
    minutes = sorted({m for b in snapshot.bands for r in b.ranges for m in r if m < _DAY})
    if not minutes:
        return None
    tz = snapshot.tz
    local_day = after.astimezone(tz).date()
    best: datetime | None = None
    for offset in range(-1, 3):
        day: date = local_day + timedelta(days=offset)
        for m in minutes:
            candidate = datetime.combine(day, time(m // 60, m % 60), tzinfo=tz).astimezone(UTC)
            if candidate > after and (best is None or candidate < best):
                best = candidate
    return best


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    prices: Prices


def _boundaries(snapshot: TariffSnapshot, start: datetime, end: datetime) -> list[datetime]:
    """Every band boundary strictly inside ``(start, end)``, in order (computed once per
    call: a long session has thousands of samples but only a few boundaries)."""
    minutes = sorted({m for b in snapshot.bands for r in b.ranges for m in r if m < _DAY})
    if not minutes:
        return []
    tz = snapshot.tz
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    found: set[datetime] = set()
    day: date = first
    while day <= last:
        for m in minutes:
            moment = datetime.combine(day, time(m // 60, m % 60), tzinfo=tz).astimezone(UTC)
            if start < moment < end:
                found.add(moment)
        day += timedelta(days=1)
    return sorted(found)


def price_segments(snapshot: TariffSnapshot, start: datetime, end: datetime) -> list[Segment]:
    """``[start, end)`` cut at band boundaries, each piece with its prices."""
    cuts = [start, *_boundaries(snapshot, start, end), end] if start < end else []
    return [Segment(a, b, prices_at(snapshot, a)) for a, b in pairwise(cuts)]
