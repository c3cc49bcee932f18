"""The tariff engine: what a driver is billed for energy, time, idling and tax."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.payments.errors import TariffError
from backend.payments.tariff import (
    EnergyPoint,
    TariffSnapshot,
    format_minor,
    price_preview,
    running_cost,
    snapshot_tariff,
    to_minor,
)

SHANGHAI = "Asia/Shanghai"


@dataclass
class FakeTariff:
    id: int = 7
    name: str = "City"
    currency: str = "CNY"
    energy_price: Decimal = Decimal("1.0000")
    time_price: Decimal = Decimal("0")
    idle_fee_per_minute: Decimal = Decimal("0")
    idle_grace_minutes: int = 10
    tax_rate_percent: Decimal = Decimal("0")
    bands: list[dict[str, Any]] = field(default_factory=list)


PEAK = {"start": "08:00", "end": "12:00", "label": "peak", "energy_price": "1.5", "time_price": "0"}
NIGHT = {
    "start": "22:00",
    "end": "06:00",
    "label": "night",
    "energy_price": "0.4",
    "time_price": "0",
}


def local(hour: int, minute: int = 0, day: int = 2) -> datetime:
    """A moment given in Shanghai wall-clock time (UTC+8), as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def snap(**fields: Any) -> dict[str, Any]:
    return snapshot_tariff(FakeTariff(**fields), timezone=SHANGHAI, now=local(7))


def test_energy_is_rounded_half_to_even_per_line() -> None:
    start = local(14)
    # 10 kWh × 1.2345 = 12.345 → 1234.5 fen → 1234 (the even neighbour)
    cost = running_cost(
        snap(energy_price=Decimal("1.2345")),
        [EnergyPoint(start + timedelta(hours=1), 10_000)],
        start,
        start + timedelta(hours=1),
    )
    assert cost.energy_minor == 1234
    # 10 kWh × 1.2355 = 12.355 → 1235.5 fen → 1236
    cost = running_cost(
        snap(energy_price=Decimal("1.2355")),
        [EnergyPoint(start + timedelta(hours=1), 10_000)],
        start,
        start + timedelta(hours=1),
    )
    assert cost.energy_minor == 1236
    assert cost.total_minor == 1236


def test_kwh_crossing_into_peak_are_priced_when_delivered() -> None:
    start, end = local(7, 30), local(8, 30)
    samples = [EnergyPoint(local(8), 5_000), EnergyPoint(end, 20_000)]
    cost = running_cost(snap(bands=[PEAK]), samples, start, end)
    lines = {ln.label: ln for ln in cost.lines if ln.kind == "energy"}
    assert lines["standard"].quantity == Decimal(5)
    assert lines["peak"].quantity == Decimal(15)
    assert cost.energy_minor == 500 + 2250


def test_an_interval_spanning_a_boundary_is_split_by_time() -> None:
    # One reading at the end only: 20 kWh over 07:30–08:30, half before the peak starts.
    start, end = local(7, 30), local(8, 30)
    cost = running_cost(snap(bands=[PEAK]), [EnergyPoint(end, 20_000)], start, end)
    assert cost.energy_minor == 1000 + 1500
    assert cost.energy_wh == 20_000


def test_night_band_wraps_past_midnight() -> None:
    start, end = local(23), local(1, day=3)
    cost = running_cost(snap(bands=[NIGHT]), [EnergyPoint(end, 10_000)], start, end)
    assert [ln.label for ln in cost.lines] == ["night"]
    assert cost.energy_minor == 400


def test_time_price_per_minute_is_prorated_and_stops_when_idle_starts() -> None:
    start = local(14)
    idle_since = start + timedelta(minutes=30, seconds=30)
    now = start + timedelta(minutes=45)
    cost = running_cost(
        snap(time_price=Decimal("0.10")), [EnergyPoint(idle_since, 5_000)], start, now, idle_since
    )
    assert cost.time_minor == 305  # 30.5 min × 0.10
    assert cost.charging_seconds == 30 * 60 + 30


def test_idle_fee_counts_after_the_grace_period_from_idle_since() -> None:
    start = local(14)
    idle_since = start + timedelta(minutes=60)
    tariff = snap(idle_fee_per_minute=Decimal("0.50"), idle_grace_minutes=10)
    within_grace = running_cost(tariff, [], start, idle_since + timedelta(minutes=9), idle_since)
    assert within_grace.idle_minor == 0
    after = running_cost(tariff, [], start, idle_since + timedelta(minutes=25), idle_since)
    assert after.idle_minor == 750  # 15 billable minutes × 0.50
    assert after.billable_idle_seconds == 15 * 60
    assert after.idle_seconds == 25 * 60


def test_tax_is_added_on_the_subtotal_rounded_half_to_even() -> None:
    start = local(14)
    # 1.25 kWh × 1.00 = 125 fen; 10 % tax = 12.5 → 12
    cost = running_cost(
        snap(tax_rate_percent=Decimal("10")),
        [EnergyPoint(start + timedelta(minutes=5), 1_250)],
        start,
        start + timedelta(minutes=5),
    )
    assert (cost.subtotal_minor, cost.tax_minor, cost.total_minor) == (125, 12, 137)
    assert cost.lines[-1].kind == "tax"


def test_snapshot_is_frozen_against_later_tariff_edits() -> None:
    tariff = FakeTariff(energy_price=Decimal("1.00"))
    frozen = snapshot_tariff(tariff, timezone=SHANGHAI, now=local(7))
    tariff.energy_price = Decimal("9.99")
    start = local(14)
    cost = running_cost(
        frozen, [EnergyPoint(start + timedelta(hours=1), 1_000)], start, start + timedelta(hours=1)
    )
    assert cost.total_minor == 100
    assert TariffSnapshot.from_json(frozen).energy_price == Decimal("1.00")


def test_meter_glitches_never_make_energy_negative() -> None:
    start = local(14)
    samples = [
        EnergyPoint(start + timedelta(minutes=10), 3_000),
        EnergyPoint(start + timedelta(minutes=20), 1_000),
        EnergyPoint(start + timedelta(minutes=30), 4_000),
    ]
    cost = running_cost(snap(), samples, start, start + timedelta(minutes=30))
    assert cost.energy_wh == 4_000
    assert cost.energy_minor == 400


def test_price_preview_shows_the_price_now_and_when_it_changes() -> None:
    preview = price_preview(FakeTariff(bands=[PEAK]), local(7, 59), timezone=SHANGHAI)
    assert preview.band_label is None
    assert preview.energy_price == Decimal("1.0000")
    assert preview.next_change_at == local(8)
    assert preview.next_energy_price == Decimal("1.5")
    in_peak = price_preview(FakeTariff(bands=[PEAK]), local(9), timezone=SHANGHAI)
    assert (in_peak.band_label, in_peak.energy_price) == ("peak", Decimal("1.5"))


def test_currency_exponents_and_formatting() -> None:
    assert to_minor(Decimal("12.5"), "JPY") == 12  # no minor unit, half to even
    assert to_minor(Decimal("1.2345"), "KWD") == 1234
    assert format_minor(1234, "CNY") == "12.34 CNY"


def test_a_broken_snapshot_is_refused() -> None:
    with pytest.raises(TariffError):
        TariffSnapshot.from_json({"currency": "CNY", "energy_price": "-1"})
    with pytest.raises(TariffError):
        snapshot_tariff(
            FakeTariff(bands=[{"start": "25:00", "end": "01:00", "energy_price": "1"}]),
            timezone=SHANGHAI,
            now=local(7),
        )


@given(
    readings=st.lists(st.integers(min_value=0, max_value=80_000), min_size=1, max_size=12),
    start_minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    step_minutes=st.integers(min_value=1, max_value=90),
)
def test_energy_is_conserved_across_bands_and_lines_add_up(
    readings: list[int], start_minute: int, step_minutes: int
) -> None:
    start = local(0) + timedelta(minutes=start_minute)
    points = [
        EnergyPoint(start + timedelta(minutes=step_minutes * (i + 1)), wh)
        for i, wh in enumerate(sorted(readings))
    ]
    end = points[-1].at
    cost = running_cost(
        snap(bands=[PEAK, NIGHT], tax_rate_percent=Decimal("6")), points, start, end
    )
    kwh = sum((ln.quantity for ln in cost.lines if ln.kind == "energy"), Decimal(0))
    assert kwh * 1000 == Decimal(max(readings)) or abs(kwh * 1000 - max(readings)) < Decimal(
        "1e-15"
    )
    assert cost.total_minor == sum(ln.amount_minor for ln in cost.lines)
    # Never more than everything at the dearest price (plus tax), never less than the cheapest.
    assert cost.energy_minor <= to_minor(Decimal(max(readings)) / 1000 * Decimal("1.5"), "CNY") + 3
    assert cost.energy_minor >= to_minor(Decimal(max(readings)) / 1000 * Decimal("0.4"), "CNY") - 3
