"""Plausible charging history for the demo network: sessions priced by their tariff, faults,
and meter samples for the most recent sessions.

Deterministic (one seeded ``random.Random``) so every ``make demo`` shows the same story:
ride-hailing DC traffic peaking in the night valley tariff and at lunch, AC destination
charging in office and mall hours, business districts quieter at weekends, malls busier, a
slow growth trend, and no charging while a charger is faulted.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

DC_START_WEIGHTS = [2.5, 2, 1.5, 1, 0.8, 1, 1.5, 2, 1.2, 1.2, 1.5, 2.5,
                    3, 2.5, 1.5, 1.5, 1.5, 1.5, 1.2, 1.2, 1.5, 2, 2.5, 3.5]  # fmt: skip
AC_START_WEIGHTS = [0.3, 0.2, 0.2, 0.2, 0.2, 0.3, 0.8, 2.5, 3, 3, 2, 2,
                    1.5, 1.5, 1.5, 1.5, 1.5, 2, 2.5, 2.5, 2.5, 1.5, 1, 0.5]  # fmt: skip
CHARGER_ERRORS = [
    "GroundFailure",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "ConnectorLockFailure",
    "HighTemperature",
    "EVCommunicationError",
    "InternalError",
    "OtherError",
    "ReaderFailure",
    "UnderVoltage",
    "PowerSwitchFailure",
]
STOP_REASONS = ["EVDisconnected"] * 6 + ["Local"] * 3 + ["Remote"] * 2 + ["PowerLoss"]
METER_SAMPLE_DAYS = 2
METER_SAMPLE_MINUTES = 5


@dataclass(frozen=True)
class TariffPlan:
    """A tariff as the seed prices with it (mirrors the ``tariffs`` row it inserted)."""

    id: int
    energy_price: Decimal
    time_price: Decimal
    idle_fee_per_minute: Decimal
    idle_grace_minutes: int
    bands: list[dict[str, Any]]
    snapshot: dict[str, Any]


@dataclass(frozen=True)
class PlugPlan:
    """One connector to generate sessions for."""

    operator_id: int
    station_id: int
    charger_id: int
    connector_no: int
    kind: str  # "dc" | "ac"
    max_kw: float
    sessions_per_day: float
    weekend_factor: float
    created_at: datetime


@dataclass
class History:
    """Rows ready for bulk insert; ``recent`` sessions get meter samples."""

    sessions: list[dict[str, Any]] = field(default_factory=list)
    recent: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)


def _band_at(tariff: TariffPlan, local: datetime) -> tuple[Decimal, Decimal]:
    minute = local.hour * 60 + local.minute
    for band in tariff.bands:
        s = int(band["start"][:2]) * 60 + int(band["start"][3:])
        e = int(band["end"][:2]) * 60 + int(band["end"][3:])
        inside = s <= minute < e if s < e else (minute >= s or minute < e)
        if inside:
            return Decimal(band["energy_price"]), Decimal(band["time_price"])
    return tariff.energy_price, tariff.time_price


def price(
    tariff: TariffPlan,
    start: datetime,
    charge_end: datetime,
    stop: datetime,
    energy_wh: int,
    tz: ZoneInfo,
) -> tuple[int, int, int]:
    """(energy, time, idle) cost in minor units: energy spread evenly over the charging time,
    each slice priced by the band it starts in (slices end at band edges, which fall on
    whole hours); idle minutes past the grace period at the idle fee."""
    total_s = max(60.0, (charge_end - start).total_seconds())
    kwh_per_s = Decimal(energy_wh) / 1000 / Decimal(total_s)
    energy = time_cost = Decimal(0)
    t = start
    end = start + timedelta(seconds=total_s)
    while t < end:
        local = t.astimezone(tz)
        next_hour = (
            local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        ).astimezone(UTC)
        upto = min(end, next_hour)
        seconds = Decimal((upto - t).total_seconds())
        energy_price, time_price = _band_at(tariff, local)
        energy += kwh_per_s * seconds * energy_price
        time_cost += seconds / 60 * time_price
        t = upto
    idle_minutes = max(
        0, int((stop - charge_end).total_seconds() // 60) - tariff.idle_grace_minutes
    )
    idle = tariff.idle_fee_per_minute * idle_minutes

    def minor(x: Decimal) -> int:
        return int((x * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    return minor(energy), minor(time_cost), minor(idle)


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _faults(
    rng: random.Random, plug_counts: dict[int, tuple[int, int]], first: datetime, now: datetime
) -> list[dict[str, Any]]:
    """A few faults per charger; ``plug_counts`` maps charger id to (operator id, plugs)."""
    rows: list[dict[str, Any]] = []
    span = (now - first).total_seconds()
    for charger_id, (operator_id, plugs) in plug_counts.items():
        for _ in range(_poisson(rng, 1.6)):
            opened = first + timedelta(seconds=rng.uniform(0, span))
            roll = rng.random()
            minutes = (
                rng.uniform(5, 60)
                if roll < 0.7
                else rng.uniform(60, 360)
                if roll < 0.95
                else rng.uniform(360, 1800)
            )
            cleared: datetime | None = opened + timedelta(minutes=minutes)
            watchdog = rng.random() < 0.25
            if cleared is not None and cleared > now:
                cleared = None
            rows.append(
                {
                    "operator_id": operator_id,
                    "charger_id": charger_id,
                    "connector_no": 0 if watchdog or rng.random() < 0.5 else rng.randint(1, plugs),
                    "source": "watchdog" if watchdog else "charger",
                    "error_code": "Offline" if watchdog else rng.choice(CHARGER_ERRORS),
                    "vendor_error_code": None if watchdog else f"E{rng.randint(100, 999)}",
                    "info": "no heartbeat or websocket ping" if watchdog else None,
                    "opened_at": opened,
                    "cleared_at": cleared,
                    "acknowledged_at": (opened + timedelta(minutes=rng.uniform(3, 40)))
                    if cleared is not None and rng.random() < 0.7
                    else None,
                    "note": "checked on site, reset remotely" if rng.random() < 0.3 else None,
                }
            )
    # Two faults still open right now, so the fault feed and dashboard have something to show.
    for charger_id, code, minutes in zip(
        rng.sample(sorted(plug_counts), 2),
        ("GroundFailure", "HighTemperature"),
        (95, 25),
        strict=True,
    ):
        rows.append(
            {
                "operator_id": plug_counts[charger_id][0],
                "charger_id": charger_id,
                "connector_no": 1,
                "source": "charger",
                "error_code": code,
                "vendor_error_code": f"E{rng.randint(100, 999)}",
                "info": None,
                "opened_at": now - timedelta(minutes=minutes),
                "cleared_at": None,
                "acknowledged_at": None,
                "note": None,
            }
        )
    return rows


DRIVER_SHARE = 0.03
"""Share of sessions started with a registered driver's own card (the rest: fleet cards of
ride-hailing and company cars), which gives each demo driver a few sessions a week."""


def _pick_tag(
    rng: random.Random,
    id_tags: list[tuple[str, int | None, int | None]],
    busy: dict[int, list[tuple[datetime, datetime]]],
    start: datetime,
    stop: datetime,
) -> tuple[str, int | None, int | None]:
    drivers = [t for t in id_tags if t[2] is not None]
    fleet = [t for t in id_tags if t[2] is None] or id_tags
    if drivers and rng.random() < DRIVER_SHARE:
        tag = rng.choice(drivers)
        driver_id = tag[2]
        assert driver_id is not None
        spans = busy.setdefault(driver_id, [])
        if not any(a < stop and start < b for a, b in spans):
            spans.append((start, stop))
            return tag
    return rng.choice(fleet)


def generate_history(
    plugs: list[PlugPlan],
    tariffs: dict[int, TariffPlan],
    id_tags: list[tuple[str, int | None, int | None]],
    *,
    tz: ZoneInfo,
    days: int,
    now: datetime,
    seed: int,
) -> History:
    """Sessions and faults for ``days`` local days up to ``now``.

    ``tariffs`` maps station id to its tariff; ``id_tags`` are (uid, card id, driver id).
    """
    rng = random.Random(seed)
    history = History()
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    first = datetime.combine(first_day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    plug_counts: dict[int, tuple[int, int]] = {}
    for p in plugs:
        operator_id, count = plug_counts.get(p.charger_id, (p.operator_id, 0))
        plug_counts[p.charger_id] = (operator_id, max(count, p.connector_no))
    history.faults = _faults(rng, plug_counts, first, now)
    blocked: dict[int, list[tuple[datetime, datetime]]] = {}
    for f in history.faults:
        blocked.setdefault(f["charger_id"], []).append((f["opened_at"], f["cleared_at"] or now))
    recent_from = now - timedelta(days=METER_SAMPLE_DAYS)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}  # per driver: never in two places
    for p in plugs:
        meter = rng.randint(200_000, 3_000_000)
        free_at = first
        weights = DC_START_WEIGHTS if p.kind == "dc" else AC_START_WEIGHTS
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            midnight = datetime.combine(day, datetime.min.time(), tzinfo=tz)
            rate = p.sessions_per_day * (1 + 0.004 * (offset - days))  # slow growth
            if day.weekday() >= 5:
                rate *= p.weekend_factor
            starts = sorted(
                midnight
                + timedelta(hours=rng.choices(range(24), weights)[0], minutes=rng.uniform(0, 60))
                for _ in range(_poisson(rng, max(rate, 0.05)))
            )
            for planned in starts:
                start = max(
                    planned.astimezone(UTC), free_at + timedelta(minutes=rng.uniform(2, 12))
                )
                if p.kind == "dc":
                    kwh = min(max(rng.gauss(30 if p.max_kw > 60 else 24, 10), 5), 75)
                    kw = min(p.max_kw, rng.choice([60, 90, 120, 150])) * rng.uniform(0.45, 0.75)
                    idle = min(rng.expovariate(1 / 6), 120)
                else:
                    kwh = min(max(rng.gauss(16, 7), 3), 42)
                    kw = p.max_kw * rng.uniform(0.85, 0.97)
                    idle = min(rng.expovariate(1 / 45), 600)
                charge_end = start + timedelta(minutes=max(8.0, kwh / kw * 60))
                stop = charge_end + timedelta(minutes=idle)
                if stop >= now or start < p.created_at:
                    continue
                if any(a < stop and start < b for a, b in blocked.get(p.charger_id, ())):
                    continue
                free_at = stop
                energy_wh = round(kwh * 1000)
                tariff = tariffs[p.station_id]
                e_cost, t_cost, i_cost = price(tariff, start, charge_end, stop, energy_wh, tz)
                uid, card_id, driver_id = _pick_tag(rng, id_tags, busy, start, stop)
                row = {
                    "operator_id": p.operator_id,
                    "station_id": p.station_id,
                    "charger_id": p.charger_id,
                    "connector_no": p.connector_no,
                    "driver_id": driver_id,
                    "card_id": card_id,
                    "id_tag": uid,
                    "status": "completed",
                    "started_at": start,
                    "stopped_at": stop,
                    "meter_start_wh": meter,
                    "meter_stop_wh": meter + energy_wh,
                    "energy_wh": energy_wh,
                    "last_power_w": 0.0,
                    "last_soc": rng.randint(78, 96) if p.kind == "dc" else rng.randint(85, 100),
                    "idle_since": charge_end,
                    "idle_seconds": int((stop - charge_end).total_seconds()),
                    "stop_reason": rng.choice(STOP_REASONS),
                    "currency": "CNY",
                    "tariff_snapshot": tariff.snapshot,
                    "energy_cost_minor": e_cost,
                    "time_cost_minor": t_cost,
                    "idle_cost_minor": i_cost,
                    "cost_minor": e_cost + t_cost + i_cost,
                    "updated_at": stop,
                    "_kw": kw,
                    "_charge_end": charge_end,
                }
                meter += energy_wh
                (history.recent if start >= recent_from else history.sessions).append(row)
    return history


def meter_samples(session_id: int, row: dict[str, Any]) -> list[dict[str, Any]]:
    """MeterValues every few minutes while charging (constant power, rising SoC)."""
    start: datetime = row["started_at"]
    charge_end: datetime = row["_charge_end"]
    total_s = max(1.0, (charge_end - start).total_seconds())
    soc_end = row["last_soc"] or 90
    soc_start = max(5, soc_end - round(row["energy_wh"] / 600))
    samples = []
    t = start
    while t <= charge_end:
        share = (t - start).total_seconds() / total_s
        energy = row["meter_start_wh"] + round(row["energy_wh"] * share)
        power = row["_kw"] * 1000
        volts = 220.0 if power < 8000 else 400.0
        samples.append(
            {
                "session_id": session_id,
                "sampled_at": t,
                "energy_wh": energy,
                "power_w": round(power, 1),
                "current_a": round(power / volts, 1),
                "voltage_v": volts,
                "soc": round(soc_start + (soc_end - soc_start) * share),
                "raw": [
                    {
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                        "value": str(energy),
                    },
                    {"measurand": "Power.Active.Import", "unit": "W", "value": f"{power:.0f}"},
                ],
            }
        )
        t += timedelta(minutes=METER_SAMPLE_MINUTES)
    return samples
