"""The payment-provider interface every provider (sandbox now, real ones later) implements,
and the HMAC-SHA256 webhook signature both sides use.

Contract, modelled on real card processors (Stripe-like):

- Every call carries an ``idempotency_key``. The same key with the same parameters returns
  the first answer (including a decline); the same key with different parameters raises
  :class:`ProviderRequestError`. A :class:`ProviderUnavailable` (timeout, 5xx) means the outcome
  is unknown: retry with the *same* key.
- ``authorize`` places a hold (or, with ``capture=True``, charges at once: a sale, used for
  wallet top-ups). ``capture`` collects up to the held amount, once; the rest is released.
  ``release`` drops an uncaptured hold. ``refund`` returns captured money, possibly in parts.
- State changes are also announced asynchronously by signed webhooks
  (``Chargepile-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from backend.payments.errors import WebhookRejected

SIGNATURE_HEADER = "Chargepile-Signature"
WEBHOOK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class ProviderPayment:
    """The provider's view of one payment after a call."""

    ref: str
    status: str  # authorized | captured | released | refunded
    currency: str
    amount_authorized: int
    amount_captured: int
    amount_refunded: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProviderPayment:
        return cls(
            ref=str(data["ref"]),
            status=str(data["status"]),
            currency=str(data["currency"]),
            amount_authorized=int(data["amount_authorized"]),
            amount_captured=int(data["amount_captured"]),
            amount_refunded=int(data["amount_refunded"]),
        )


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook: ``type`` is ``payment.<status>``, ``payment`` the state after it."""

    id: str
    type: str
    created: int
    payment: ProviderPayment


class PaymentProvider(Protocol):
    """What the payments service needs from a card processor."""

    name: str

    async def authorize(
        self,
        *,
        idempotency_key: str,
        amount_minor: int,
        currency: str,
        payment_method: str,
        capture: bool = False,
    ) -> ProviderPayment: ...

    async def capture(
        self, *, idempotency_key: str, ref: str, amount_minor: int
    ) -> ProviderPayment: ...

    async def release(self, *, idempotency_key: str, ref: str) -> ProviderPayment: ...

    async def refund(
        self, *, idempotency_key: str, ref: str, amount_minor: int
    ) -> ProviderPayment: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], now: int) -> ProviderEvent:
        """Verify the signature and parse; :class:`WebhookRejected` when not genuine."""
        ...

    async def aclose(self) -> None: ...


def sign_webhook(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_webhook(
    secret: str,
    body: bytes,
    header: str | None,
    now: int,
    tolerance: int = WEBHOOK_TOLERANCE_SECONDS,
) -> dict[str, Any]:
    """Check the HMAC signature and timestamp and return the parsed JSON body.

    Comparison is constant-time; a timestamp outside ``tolerance`` is refused so a captured
    request cannot be replayed later (re-deliveries inside the window are caught by event id).
    """
    if not header:
        raise WebhookRejected("missing webhook signature")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise WebhookRejected("malformed webhook signature") from exc
    expected = sign_webhook(secret, body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise WebhookRejected("webhook signature does not match")
    if abs(now - timestamp) > tolerance:
        raise WebhookRejected("webhook timestamp outside the allowed window")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise WebhookRejected("webhook body is not JSON") from exc
    if not isinstance(data, dict):
        raise WebhookRejected("webhook body is not an object")
    return data


def parse_event(data: Mapping[str, Any]) -> ProviderEvent:
    """A verified webhook body → :class:`ProviderEvent`."""
    try:
        return ProviderEvent(
            id=str(data["id"]),
            type=str(data["type"]),
            created=int(data["created"]),
            payment=ProviderPayment.from_json(data["data"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WebhookRejected(f"webhook body is not an event: {exc}") from exc
