"""Money in integer minor units: currency exponents, rounding, formatting.

Amounts are always integers of the currency's minor unit (fen, cent; yen have none); a
decimal amount becomes minor units by rounding half to even, once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 minor-unit exponents that differ from 2.
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def currency_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (CNY 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in major units → integer minor units, rounded half to even."""
    scaled = amount.scaleb(currency_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def format_minor(amount_minor: int, currency: str) -> str:
    """``1234, "CNY"`` → ``"12.34 CNY"`` (for receipts and messages)."""
    exp = currency_exponent(currency)
    value = Decimal(amount_minor).scaleb(-exp)
    return f"{value:.{exp}f} {currency}"
