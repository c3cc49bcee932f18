"""One translated sentence per error the user can meet, reason codes included.

Why one place: the same refusal (e.g. FORBIDDEN_ROLE) can come from any screen, and the charger's
reason codes are protocol numbers a person cannot act on; each gets its own sentence in every
language (``reason.<NAME>`` in the app catalogs, checked by the catalog test).
"""

from __future__ import annotations

from collections.abc import Callable

from apps.home.ble.errors import (
    ChargerNotFound,
    ChargerRefused,
    CommandTimeout,
    HomeLinkError,
    IdentityMismatch,
    LinkClosedError,
    NotConnectedError,
)
from apps.home.errors import HomeAppError, QrDecodeError, StorageError
from home_protocol.errors import LabelError
from home_protocol.reasons import ReasonCode

__all__ = ["Translate", "describe_error", "reason_text"]

Translate = Callable[..., str]
"""``UiState.t``: key (+ placeholders) → text in the session's current language."""

UserFacingError = HomeLinkError | HomeAppError | LabelError


def reason_text(reason: ReasonCode, t: Translate) -> str:
    """The sentence for a charger reason code."""
    return t(f"reason.{reason.name}")


def describe_error(exc: UserFacingError, t: Translate) -> str:
    """What to tell the user about ``exc``: precise, translated, actionable."""
    if isinstance(exc, ChargerRefused):  # EnrollmentError included
        return reason_text(exc.reason, t)
    if isinstance(exc, NotConnectedError):
        if exc.reason is not None:
            return reason_text(exc.reason, t)
        return t("error.not_connected")
    if isinstance(exc, CommandTimeout):
        return t("error.timeout")
    if isinstance(exc, ChargerNotFound):
        return t("error.not_found")
    if isinstance(exc, IdentityMismatch):
        return t("error.identity")
    if isinstance(exc, LinkClosedError):
        return t("error.closed")
    if isinstance(exc, LabelError):
        return t("error.bad_code")
    if isinstance(exc, QrDecodeError):
        return t("error.no_qr")
    if isinstance(exc, StorageError):
        return t("error.storage", detail=str(exc))
    return t("error.link", detail=str(exc))
