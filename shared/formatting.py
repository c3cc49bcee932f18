"""Locale-aware formatting of the numbers a charging app shows: money, energy, power, time.

Why here and not in the catalogs: these are rules, not phrases (minor units, rounding, unit
spacing, Chinese duration units), and they must be identical in all three apps and in receipts.
Money is always integer minor units plus an ISO 4217 code, as on the wire, so no float ever
touches a price.

All functions are pure; components get the language from :class:`shared.UiState`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from shared.i18n import Language

__all__ = [
    "currency_exponent",
    "currency_symbol",
    "format_date",
    "format_datetime",
    "format_duration",
    "format_energy",
    "format_energy_wh",
    "format_money",
    "format_percent",
    "format_power",
    "format_price_per_kwh",
]

# ISO 4217 minor-unit exponents for currencies the platform may meet; unknown codes assume 2.
_EXPONENT = {"JPY": 0, "KRW": 0, "HUF": 2, "CNY": 2, "EUR": 2, "USD": 2, "GBP": 2, "HKD": 2}

# Symbols as a user of that language expects them. Chinese users read a bare "$" as ambiguous,
# so US dollars get "US$" there; "¥" is the renminbi in both languages (the platform's home
# currency), while the yen keeps its own code to stay unambiguous in Chinese.
_SYMBOLS: dict[Language, dict[str, str]] = {
    Language.EN: {"CNY": "¥", "EUR": "€", "USD": "$", "GBP": "£", "JPY": "JP¥", "HKD": "HK$"},
    Language.ZH_CN: {"CNY": "¥", "EUR": "€", "USD": "US$", "GBP": "£", "JPY": "JP¥", "HKD": "HK$"},
}


def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (2 for unknown codes)."""
    return _EXPONENT.get(currency.upper(), 2)


def currency_symbol(currency: str, language: Language = Language.EN) -> str:
    """The symbol shown before an amount, or the ISO code itself when there is none."""
    return _SYMBOLS[language].get(currency.upper(), currency.upper())


def _group(value: Decimal, places: int) -> str:
    return f"{value:,.{places}f}"


def format_money(minor: int, currency: str, language: Language = Language.EN) -> str:
    """``1250, "CNY"`` → ``"¥12.50"``; ``320, "EUR"`` → ``"€3.20"``; ``-99, "CNY"`` → ``"-¥0.99"``.

    Thousands are grouped (``"¥1,234.50"``). Codes without a symbol are written after the number
    (``"12.50 CHF"``).
    """
    places = currency_exponent(currency)
    amount = Decimal(abs(minor)).scaleb(-places)
    number = _group(amount, places)
    sign = "-" if minor < 0 else ""
    symbol = currency_symbol(currency, language)
    if symbol == currency.upper():
        return f"{sign}{number} {symbol}"
    return f"{sign}{symbol}{number}"


def format_price_per_kwh(minor: int, currency: str, language: Language = Language.EN) -> str:
    """A tariff's energy price: ``150, "CNY"`` → ``"¥1.50/kWh"``."""
    return f"{format_money(minor, currency, language)}/kWh"


def _decimal(value: float, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_energy(kwh: float, language: Language = Language.EN) -> str:
    """``12.345`` → ``"12.35 kWh"``; ``1234.56`` → ``"1,234.6 kWh"`` (totals need less precision).

    The unit is the same in both languages: "kWh" is what Chinese chargers and bills print.
    """
    places = 2 if abs(kwh) < 1000 else 1
    return f"{_group(_decimal(kwh, places), places)} kWh"


def format_energy_wh(wh: float, language: Language = Language.EN) -> str:
    """Meter readings arrive in Wh (OCPP); ``12345`` → ``"12.35 kWh"``."""
    return format_energy(wh / 1000, language)


def format_power(kw: float, language: Language = Language.EN) -> str:
    """``7.36`` → ``"7.4 kW"``; ``150`` → ``"150 kW"``; ``60.0`` → ``"60 kW"`` (rated powers are
    whole numbers); below 1 kW two places (``"0.35 kW"``)."""
    magnitude = abs(kw)
    places = 0 if magnitude >= 100 else 1 if magnitude >= 1 or magnitude == 0 else 2
    value = _decimal(kw, places)
    if value == value.to_integral_value():
        places = 0
    return f"{_group(value, places)} kW"


def format_percent(ratio: float, language: Language = Language.EN) -> str:
    """``0.825`` → ``"83%"`` (utilisation, state of charge)."""
    return f"{_decimal(ratio * 100, 0)}%"


_UNITS = {
    Language.EN: ("d", "h", "min", "s"),
    Language.ZH_CN: ("天", "小时", "分钟", "秒"),
}


def format_duration(
    seconds: float, language: Language = Language.EN, *, clock: bool = False
) -> str:
    """A duration for people.

    With ``clock=True`` (live counters): ``"0:05:09"``, ``"26:00:00"``, identical in all languages.
    Otherwise the two largest units: ``"1 h 5 min"`` / ``"1小时5分钟"``, ``"45 s"`` / ``"45秒"``,
    ``"2 d 3 h"`` / ``"2天3小时"``. Negative durations are shown as zero.
    """
    total = max(0, int(seconds))
    if clock:
        h, rest = divmod(total, 3600)
        m, s = divmod(rest, 60)
        return f"{h}:{m:02d}:{s:02d}"
    d, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    parts = [(d, 0), (h, 1), (m, 2), (s, 3)]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    shown = parts[:2]
    if len(shown) == 2 and shown[1][0] == 0:
        shown = shown[:1]
    units = _UNITS[language]
    sep = " " if language == Language.EN else ""
    return sep.join(f"{value}{sep}{units[i]}" for value, i in shown)


# Month names are spelled out here instead of strftime("%b"), which follows the server's C locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_datetime(value: datetime, language: Language = Language.EN) -> str:
    """``"24 Nov 2026, 08:22"`` / ``"2026年11月24日 08:22"`` in the value's own time zone."""
    if language == Language.ZH_CN:
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{format_date(value, language)}, {value:%H:%M}"


def format_date(value: datetime, language: Language = Language.EN) -> str:
    """``"24 Nov 2026"`` / ``"2026年11月24日"``."""
    if language == Language.ZH_CN:
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
