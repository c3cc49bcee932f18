"""The tariff engine: pure functions from a tariff snapshot and meter readings to a cost.

A session is billed with the tariff *snapshot* taken at its start (:func:`snapshot_tariff`),
never with the live tariff row, so an operator editing prices mid-session changes nothing.

Pricing rules (the receipt and the driver app show exactly these):

- **Energy**: each kWh is priced at the time-of-use band in force *when it was delivered*.
  Between two meter readings the energy is assumed to flow evenly, so an interval that crosses
  a band boundary is split in proportion to the time on each side.
- **Time**: the per-minute price applies while the car is charging, from session start until
  the car stopped drawing power (``idle_since``) or now; band prices apply per moment.
- **Idle**: the idle fee per minute applies after ``idle_grace_minutes`` counted from
  ``idle_since`` (connector went SuspendedEV / Finishing), until now / the session's end.
- Minutes are prorated to the second (no rounding up to whole minutes).
- **Rounding**: every line item (one per band and kind) is computed exactly in decimal and
  rounded once to integer minor units, *half to even*; the subtotal is the sum of the rounded
  lines. Tax, when configured, is ``subtotal × rate`` rounded half-even, added on top: tariff
  prices are net of tax.
- Bands are in the operator's local time zone (stored in the snapshot); outside every band
  the tariff's base prices apply.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import Any

from backend.payments.money import currency_exponent, format_minor, to_minor
from backend.payments.snapshot import (
    Band,
    Prices,
    Segment,
    TariffLike,
    TariffSnapshot,
    next_price_change,
    price_segments,
    prices_at,
    snapshot_tariff,
)

__all__ = [
    "Band",
    "CostBreakdown",
    "CostLine",
    "EnergyPoint",
    "PricePreview",
    "Prices",
    "Segment",
    "TariffLike",
    "TariffSnapshot",
    "currency_exponent",
    "format_minor",
    "next_price_change",
    "points_from_meter",
    "price_preview",
    "price_segments",
    "prices_at",
    "running_cost",
    "snapshot_tariff",
    "to_minor",
]

_ZERO = Decimal(0)


@dataclass(frozen=True)
class EnergyPoint:
    """Energy delivered in the session so far (Wh since start) at a moment."""

    at: datetime
    energy_wh: int


def points_from_meter(
    meter_start_wh: int, samples: Iterable[tuple[datetime, int | None]]
) -> list[EnergyPoint]:
    """Meter *register* readings (``MeterSample.sampled_at``, ``.energy_wh``) → points.

    Readings without energy are skipped; a register below the start value counts as zero.
    """
    return [EnergyPoint(at, max(0, wh - meter_start_wh)) for at, wh in samples if wh is not None]


@dataclass(frozen=True)
class CostLine:
    """One receipt line: ``quantity`` (kWh or minutes, exact) × ``unit_price`` → ``amount``."""

    kind: str  # energy | time | idle | tax
    label: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount_minor: int


@dataclass(frozen=True)
class CostBreakdown:
    """A session's cost so far (or final), in integer minor units of ``currency``."""

    currency: str
    energy_wh: int
    charging_seconds: int
    idle_seconds: int
    billable_idle_seconds: int
    energy_minor: int
    time_minor: int
    idle_minor: int
    tax_minor: int
    total_minor: int
    lines: tuple[CostLine, ...] = field(default_factory=tuple)

    @property
    def subtotal_minor(self) -> int:
        return self.energy_minor + self.time_minor + self.idle_minor


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta // timedelta(microseconds=1)) / Decimal(1_000_000)


def _label(prices: Prices) -> str:
    return prices.band_label or "standard"


def _clean_points(
    points: Sequence[EnergyPoint], started_at: datetime, now: datetime
) -> list[EnergyPoint]:
    cleaned = [EnergyPoint(started_at, 0)]
    for point in sorted(points, key=lambda p: p.at):
        at = min(max(point.at, started_at), now)
        # Registers never run backwards; a lower reading is a glitch and adds nothing.
        wh = max(point.energy_wh, cleaned[-1].energy_wh)
        cleaned.append(EnergyPoint(at, wh))
    return cleaned


def running_cost(
    snapshot: TariffSnapshot | dict[str, Any],
    samples: Sequence[EnergyPoint],
    started_at: datetime,
    now: datetime,
    idle_since: datetime | None = None,
) -> CostBreakdown:
    """The cost of a session from ``started_at`` to ``now`` under ``snapshot``.

    ``samples`` are :class:`EnergyPoint` (energy since start); pass the final reading (e.g. the
    StopTransaction meter) as the last point. Call it on every meter update for the running
    cost, and once at the end for the bill — the same function, so they cannot disagree.
    """
    snap = snapshot if isinstance(snapshot, TariffSnapshot) else TariffSnapshot.from_json(snapshot)
    now = max(now, started_at)
    currency = snap.currency
    points = _clean_points(samples, started_at, now)

    energy_kwh: dict[str, tuple[Decimal, Decimal]] = {}  # label -> (kWh, price)
    timeline = price_segments(snap, started_at, now)
    starts = [seg.start for seg in timeline]
    for before, after in pairwise(points):
        delta_wh = after.energy_wh - before.energy_wh
        if delta_wh <= 0:
            continue
        span = _seconds(after.at - before.at)
        if span == 0 or not timeline:
            pieces = [(Decimal(1), prices_at(snap, after.at))]
        else:
            pieces = []
            index = max(0, bisect_right(starts, before.at) - 1)
            while index < len(timeline) and timeline[index].start < after.at:
                seg = timeline[index]
                overlap = min(seg.end, after.at) - max(seg.start, before.at)
                if overlap > timedelta(0):
                    pieces.append((_seconds(overlap) / span, seg.prices))
                index += 1
        for share, prices in pieces:
            kwh = Decimal(delta_wh) * share / 1000
            key = _label(prices)
            held = energy_kwh.get(key, (_ZERO, prices.energy_price))
            energy_kwh[key] = (held[0] + kwh, prices.energy_price)

    lines: list[CostLine] = []
    for label, (kwh, price) in energy_kwh.items():
        lines.append(CostLine("energy", label, kwh, "kWh", price, to_minor(kwh * price, currency)))

    charging_end = min(idle_since, now) if idle_since is not None else now
    charging_end = max(charging_end, started_at)
    minutes: dict[str, tuple[Decimal, Decimal]] = {}
    for seg in price_segments(snap, started_at, charging_end):
        if seg.prices.time_price == 0:
            continue
        key = _label(seg.prices)
        held = minutes.get(key, (_ZERO, seg.prices.time_price))
        minutes[key] = (held[0] + _seconds(seg.end - seg.start) / 60, seg.prices.time_price)
    for label, (mins, price) in minutes.items():
        lines.append(CostLine("time", label, mins, "min", price, to_minor(mins * price, currency)))

    idle_seconds = 0
    billable = _ZERO
    if idle_since is not None and idle_since < now:
        idle_seconds = int(_seconds(now - idle_since))
        billable_from = idle_since + timedelta(minutes=snap.idle_grace_minutes)
        if billable_from < now:
            billable = _seconds(now - billable_from)
    if billable > 0 and snap.idle_fee_per_minute > 0:
        mins = billable / 60
        amount = to_minor(mins * snap.idle_fee_per_minute, currency)
        lines.append(CostLine("idle", "idle", mins, "min", snap.idle_fee_per_minute, amount))

    energy_minor = sum(ln.amount_minor for ln in lines if ln.kind == "energy")
    time_minor = sum(ln.amount_minor for ln in lines if ln.kind == "time")
    idle_minor = sum(ln.amount_minor for ln in lines if ln.kind == "idle")
    subtotal = energy_minor + time_minor + idle_minor
    tax_minor = 0
    if snap.tax_rate_percent > 0:
        tax_minor = int(
            (Decimal(subtotal) * snap.tax_rate_percent / 100).quantize(
                Decimal(1), rounding=ROUND_HALF_EVEN
            )
        )
        lines.append(
            CostLine("tax", "tax", snap.tax_rate_percent, "%", snap.tax_rate_percent, tax_minor)
        )
    return CostBreakdown(
        currency=currency,
        energy_wh=points[-1].energy_wh,
        charging_seconds=int(_seconds(charging_end - started_at)),
        idle_seconds=idle_seconds,
        billable_idle_seconds=int(billable),
        energy_minor=energy_minor,
        time_minor=time_minor,
        idle_minor=idle_minor,
        tax_minor=tax_minor,
        total_minor=subtotal + tax_minor,
        lines=tuple(lines),
    )


@dataclass(frozen=True)
class PricePreview:
    """What a session started at ``at`` would be charged, and when that changes."""

    tariff_id: int | None
    currency: str
    band_label: str | None
    energy_price: Decimal
    time_price: Decimal
    idle_fee_per_minute: Decimal
    idle_grace_minutes: int
    tax_rate_percent: Decimal
    next_change_at: datetime | None
    next_energy_price: Decimal | None


def price_preview(tariff: TariffLike, now: datetime, *, timezone: str) -> PricePreview:
    """The price shown before start: the prices in force at ``now`` and the next change."""
    snap = TariffSnapshot.from_json(snapshot_tariff(tariff, timezone=timezone, now=now))
    prices = prices_at(snap, now)
    change = next_price_change(snap, now)
    return PricePreview(
        tariff_id=snap.tariff_id,
        currency=snap.currency,
        band_label=prices.band_label,
        energy_price=prices.energy_price,
        time_price=prices.time_price,
        idle_fee_per_minute=snap.idle_fee_per_minute,
        idle_grace_minutes=snap.idle_grace_minutes,
        tax_rate_percent=snap.tax_rate_percent,
        next_change_at=change,
        next_energy_price=prices_at(snap, change).energy_price if change else None,
    )
