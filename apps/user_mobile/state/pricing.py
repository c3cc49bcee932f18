"""Prices as the driver reads them: unit prices (four decimals on the wire) and minor units.

Why here: the quote carries unit prices as ``Decimal`` major units ("1.2500" per kWh) while
costs are integer minor units; both must read the same on every screen and in both languages.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from shared import currency_exponent, currency_symbol

__all__ = ["to_minor", "unit_price"]


def to_minor(price: Decimal, currency: str) -> int:
    """A major-unit amount in minor units, rounded half up (``1.235 CNY`` → ``124``)."""
    scale = Decimal(10) ** currency_exponent(currency)
    return int((price * scale).to_integral_value(rounding=ROUND_HALF_UP))


def unit_price(price: Decimal, currency: str, unit: str) -> str:
    """``Decimal("1.2500"), "CNY", "kWh"`` → ``"¥1.25/kWh"`` (up to four decimals kept)."""
    places = currency_exponent(currency)
    text = f"{price.normalize():f}"
    whole, _, frac = text.partition(".")
    frac = frac.ljust(places, "0")
    amount = f"{whole}.{frac}" if frac else whole
    symbol = currency_symbol(currency)
    prefix = symbol if symbol else ""
    suffix = "" if symbol else f" {currency}"
    return f"{prefix}{amount}{suffix}/{unit}"
