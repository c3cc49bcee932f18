"""The card form: turns what the driver types into the payment provider's card token.

Why an interface: a real provider tokenizes the card in its own SDK/iframe so the card number
never reaches our servers; the API only ever receives the token. The built-in
:class:`SandboxCardForm` does the same for the backend's sandbox provider, with the usual test
card numbers (as payment sandboxes document them), so every decline path is reachable from the
real screens. A production provider plugs in another :class:`CardForm`.
"""

from __future__ import annotations

from typing import Protocol

from apps.user_mobile.state.errors import CardRejected

__all__ = ["SANDBOX_CARDS", "CardForm", "SandboxCardForm", "luhn_ok"]

SANDBOX_CARDS: dict[str, str] = {
    "4242424242424242": "pm_card_ok",
    "4000000000009995": "pm_card_insufficient_funds",
    "4000000000000002": "pm_card_declined",
    "4000000000000069": "pm_card_expired",
}
"""Test card numbers of the sandbox provider and the token each becomes."""


class CardForm(Protocol):
    """Card number in, provider token out (never store the number)."""

    async def tokenize(self, number: str) -> str:
        """The provider's payment-method token for the card ``number``.

        Raises:
            CardRejected: the number is not a card number.
        """
        ...


def luhn_ok(digits: str) -> bool:
    """The card-number checksum every issuer uses."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class SandboxCardForm:
    """Tokenizes for the sandbox provider: known test numbers map to their scenario, any other
    valid number authorizes like ``pm_card_ok``."""

    async def tokenize(self, number: str) -> str:
        digits = "".join(ch for ch in number if ch.isdigit())
        if not 12 <= len(digits) <= 19 or not luhn_ok(digits):
            raise CardRejected()
        return SANDBOX_CARDS.get(digits, "pm_card_ok")
