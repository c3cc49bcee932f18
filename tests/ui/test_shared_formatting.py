"""Money, energy, power, durations and dates per language."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import (
    Language,
    format_date,
    format_datetime,
    format_duration,
    format_energy,
    format_energy_wh,
    format_money,
    format_percent,
    format_power,
    format_price_per_kwh,
)

EN, ZH = Language.EN, Language.ZH_CN


@pytest.mark.parametrize(
    ("minor", "currency", "language", "expected"),
    [
        (1250, "CNY", EN, "¥12.50"),
        (1250, "CNY", ZH, "¥12.50"),
        (320, "EUR", EN, "€3.20"),
        (320, "EUR", ZH, "€3.20"),
        (500, "USD", EN, "$5.00"),
        (500, "USD", ZH, "US$5.00"),
        (123450, "CNY", EN, "¥1,234.50"),
        (-99, "CNY", EN, "-¥0.99"),
        (0, "CNY", ZH, "¥0.00"),
        (1500, "JPY", EN, "JP¥1,500"),
        (1250, "CHF", EN, "12.50 CHF"),
    ],
)
def test_money(minor: int, currency: str, language: Language, expected: str) -> None:
    assert format_money(minor, currency, language) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_never_loses_a_cent(minor: int) -> None:
    text = format_money(minor, "CNY")
    digits = text.replace("¥", "").replace(",", "")
    assert Decimal(digits) * 100 == minor


def test_price_per_kwh() -> None:
    assert format_price_per_kwh(150, "CNY", ZH) == "¥1.50/kWh"


@pytest.mark.parametrize(
    ("kwh", "expected"),
    [(12.345, "12.35 kWh"), (0, "0.00 kWh"), (0.004, "0.00 kWh"), (1234.56, "1,234.6 kWh")],
)
def test_energy(kwh: float, expected: str) -> None:
    assert format_energy(kwh, EN) == expected
    assert format_energy(kwh, ZH) == expected


def test_energy_from_meter_wh() -> None:
    assert format_energy_wh(12345) == "12.35 kWh"


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        (7.36, "7.4 kW"),
        (150, "150 kW"),
        (60.0, "60 kW"),
        (0.35, "0.35 kW"),
        (0, "0 kW"),
        (149.96, "150 kW"),
        (22.05, "22.1 kW"),
    ],
)
def test_power(kw: float, expected: str) -> None:
    assert format_power(kw) == expected


@pytest.mark.parametrize(
    ("seconds", "en", "zh"),
    [
        (45, "45 s", "45秒"),
        (300, "5 min", "5分钟"),
        (3909, "1 h 5 min", "1小时5分钟"),
        (7200, "2 h", "2小时"),
        (183600, "2 d 3 h", "2天3小时"),
        (0, "0 s", "0秒"),
        (-5, "0 s", "0秒"),
    ],
)
def test_duration_words(seconds: int, en: str, zh: str) -> None:
    assert format_duration(seconds, EN) == en
    assert format_duration(seconds, ZH) == zh


@pytest.mark.parametrize(
    ("seconds", "expected"), [(309, "0:05:09"), (3909, "1:05:09"), (93600, "26:00:00")]
)
def test_duration_clock(seconds: int, expected: str) -> None:
    assert format_duration(seconds, EN, clock=True) == expected
    assert format_duration(seconds, ZH, clock=True) == expected


def test_dates() -> None:
    moment = datetime(2026, 11, 24, 8, 5)
    assert format_datetime(moment, EN) == "24 Nov 2026, 08:05"
    assert format_datetime(moment, ZH) == "2026年11月24日 08:05"
    assert format_date(moment, ZH) == "2026年11月24日"


def test_percent() -> None:
    assert format_percent(0.825) == "83%"
    assert format_percent(0) == "0%"
