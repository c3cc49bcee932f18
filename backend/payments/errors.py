"""The payments package's exception tree.

Everything derives from :class:`backend.errors.DomainError`, so an error that reaches a route
becomes the standard error body with the status below.

    PaymentError                     400  base of everything raised here
    ├── PaymentDeclined              402  the provider refused the card (reason in ``decline_code``)
    ├── InsufficientBalance          402  the wallet cannot cover the hold / top up first
    ├── PaymentUnavailable           503  the provider is down or timed out; safe to retry
    │   └── PaymentsBusy             503  no database connection free in time; safe to retry
    ├── IdempotencyKeyReused         422  same Idempotency-Key, different request
    ├── TariffError                  422  a tariff or snapshot the engine cannot price
    ├── WebhookRejected              400  bad signature, stale timestamp, malformed body
    └── ProviderError                502  raised by provider implementations (see provider.py)
        ├── ProviderDeclined         402  card declined (insufficient_funds, card_declined, ...)
        ├── ProviderUnavailable      503  timeout / 5xx: outcome unknown, retry with the same key
        └── ProviderRequestError     422  the provider refused the request itself
"""

from __future__ import annotations

from backend.errors import DomainError


class PaymentError(DomainError):
    status_code = 400
    code = "payment_error"


class PaymentDeclined(PaymentError):
    status_code = 402
    code = "payment_declined"

    def __init__(self, message: str, *, decline_code: str = "card_declined") -> None:
        super().__init__(message)
        self.decline_code = decline_code


class InsufficientBalance(PaymentError):
    status_code = 402
    code = "insufficient_balance"


class PaymentUnavailable(PaymentError):
    status_code = 503
    code = "payment_unavailable"


class PaymentsBusy(PaymentUnavailable):
    """The server is saturated (no pooled database connection came free in time).

    Nothing was done that a retry with the same ``Idempotency-Key`` would repeat.
    """

    code = "busy"
    retry_after = 1


class IdempotencyKeyReused(PaymentError):
    status_code = 422
    code = "idempotency_key_reused"


class TariffError(PaymentError):
    status_code = 422
    code = "tariff_invalid"


class WebhookRejected(PaymentError):
    status_code = 400
    code = "webhook_rejected"


class ProviderError(PaymentError):
    """Base of what a :class:`backend.payments.provider.PaymentProvider` raises."""

    status_code = 502
    code = "provider_error"


class ProviderDeclined(ProviderError):
    status_code = 402
    code = "payment_declined"

    def __init__(self, message: str, *, decline_code: str) -> None:
        super().__init__(message)
        self.decline_code = decline_code


class ProviderUnavailable(ProviderError):
    """The call may or may not have happened: retry with the same idempotency key."""

    status_code = 503
    code = "payment_unavailable"


class ProviderRequestError(ProviderError):
    status_code = 422
    code = "provider_request_refused"
