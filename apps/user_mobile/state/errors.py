"""What the driver is told when something fails, and the app's own exception tree.

Why one place: the same client error (a charger that refused, a card that was declined) reaches
several screens; each must show the same precise, translated sentence, never a stack trace or a
raw status code. Views catch only :class:`backend_client.ApiError` (through the models) and
:class:`DriverAppError`.

    DriverAppError          anything the app itself refuses
    ├── CodeNotRecognised   a scanned / typed code is not a chargepile charger code
    └── CardRejected        the card form could not turn the entered card into a token
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backend_client import (
    ApiError,
    ChargerOffline,
    ChargerRejected,
    ChargerTimeout,
    ChargerUnavailable,
    Conflict,
    InsufficientBalance,
    InvalidCredentials,
    NotFound,
    PaymentDeclined,
    PaymentRequired,
    RateLimited,
    ServerUnavailable,
    Unauthenticated,
    ValidationFailed,
)

__all__ = [
    "CardRejected",
    "CodeNotRecognised",
    "DriverAppError",
    "Translate",
    "describe_error",
    "describe_refusal",
]

Translate = Callable[..., str]
"""``UiState.t``: key plus parameters to a sentence in the session's language."""


class DriverAppError(Exception):
    """Base of the errors the driver app raises itself; ``key`` is the message's catalog key."""

    key = "err.generic"

    def __init__(self, message: str = "", *, key: str | None = None) -> None:
        if key is not None:
            self.key = key
        super().__init__(message or self.key)


class CodeNotRecognised(DriverAppError):
    """The text / QR content is not a charger code of this network (``key`` says why)."""

    key = "scan.not_charger"


class CardRejected(DriverAppError):
    """The card number could not be used (wrong length, failed checksum)."""

    key = "pay.card_invalid"


def describe_error(exc: ApiError | DriverAppError, t: Translate) -> str:
    """The sentence shown for ``exc`` in the session's language."""
    if isinstance(exc, DriverAppError):
        return t(exc.key)
    if isinstance(exc, InvalidCredentials):
        return t("err.credentials")
    if isinstance(exc, Unauthenticated):
        return t("err.signed_out")
    if isinstance(exc, ChargerOffline):
        return t("err.charger_offline")
    if isinstance(exc, ChargerTimeout):
        return t("err.charger_timeout")
    if isinstance(exc, ChargerRejected):
        return t("err.charger_rejected")
    if isinstance(exc, ChargerUnavailable):
        return t("err.charger_offline")
    if isinstance(exc, PaymentDeclined):
        return t("err.declined", reason=_decline_reason(exc, t))
    if isinstance(exc, InsufficientBalance):
        return t("err.balance")
    if isinstance(exc, PaymentRequired):
        return t("err.payment")
    if isinstance(exc, NotFound):
        return t("err.not_found")
    if isinstance(exc, Conflict):
        return t("err.conflict", detail=exc.message)
    if isinstance(exc, ValidationFailed):
        fields = ", ".join(f.field for f in exc.fields) if exc.fields else exc.message
        return t("err.invalid", fields=fields)
    if isinstance(exc, RateLimited):
        return t("err.rate_limited", seconds=exc.retry_after or 60)
    if isinstance(exc, ServerUnavailable):
        return t("err.network")
    return exc.message


def describe_refusal(exc: ApiError, connector_status: str | None, t: Translate) -> str:
    """Why a start was refused, naming the charger's real state when the server says 409.

    ``connector_status`` is the connector's OCPP status re-read after the refusal: a 409 from
    a start means the connector was not free, and the status says whether it is occupied,
    faulted or out of service.
    """
    if isinstance(exc, Conflict) and not isinstance(exc, ChargerRejected):
        if connector_status == "Faulted":
            return t("err.faulted")
        if connector_status == "Unavailable":
            return t("err.unavailable")
        if connector_status in (
            "Charging",
            "SuspendedEV",
            "SuspendedEVSE",
            "Finishing",
            "Reserved",
        ):
            return t("err.occupied")
    return describe_error(exc, t)


_DECLINES = ("insufficient_funds", "card_declined", "expired_card")


def _decline_reason(exc: PaymentDeclined, t: Translate) -> str:
    """The provider's reason: the error code when it is one, else what the server's sentence
    names in brackets ("Your card was declined (insufficient funds)")."""
    reason = exc.code if exc.code in _DECLINES else None
    if reason is None:
        match = re.search(r"\(([a-z _]+)\)", exc.message)
        reason = match.group(1).replace(" ", "_") if match else "card_declined"
    return t(f"decline.{reason}") if reason in _DECLINES else reason.replace("_", " ")
