"""Turn every ``backend_client`` error into the one precise sentence the operator sees.

Why one place: a remote reset can fail because the charger is offline, did not answer, refused,
the session expired or the server restarted; each needs a different sentence (and the server's
own detail), and every screen must say it the same way in both languages.
"""

from __future__ import annotations

from collections.abc import Callable

from backend_client import (
    ApiError,
    AuthExpired,
    ChargerOffline,
    ChargerRejected,
    ChargerTimeout,
    ChargerUnavailable,
    Conflict,
    CredentialStoreError,
    Forbidden,
    InvalidCredentials,
    NotFound,
    RateLimited,
    ServerTimeout,
    ServerUnavailable,
    Unauthenticated,
    ValidationFailed,
)

__all__ = ["Translate", "describe_error"]

Translate = Callable[..., str]
"""``ui.t``: translation key plus named parameters to text in the session's language."""

# Most specific first: the first matching class wins.
_KEYS: tuple[tuple[type[ApiError], str], ...] = (
    (InvalidCredentials, "err.invalid_credentials"),
    (AuthExpired, "err.auth_expired"),
    (Unauthenticated, "err.unauthenticated"),
    (Forbidden, "err.forbidden"),
    (NotFound, "err.not_found"),
    (ChargerOffline, "err.charger_offline"),
    (ChargerTimeout, "err.charger_timeout"),
    (ChargerRejected, "err.charger_rejected"),
    (ChargerUnavailable, "err.charger_unavailable"),
    (Conflict, "err.conflict"),
    (ValidationFailed, "err.validation"),
    (RateLimited, "err.rate_limited"),
    (ServerTimeout, "err.timeout"),
    (ServerUnavailable, "err.server_unavailable"),
    (CredentialStoreError, "err.credential_store"),
)


def describe_error(exc: ApiError, t: Translate) -> str:
    """The sentence for ``exc``: what happened in the user's language, plus the server's detail.

    Field problems of a :class:`ValidationFailed` are listed as ``field: problem``; a
    :class:`RateLimited` says how long to wait.
    """
    key = next((k for cls, k in _KEYS if isinstance(exc, cls)), "err.generic")
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        head = t("err.rate_limited_wait", seconds=round(exc.retry_after))
    else:
        head = t(key)
    detail = exc.message
    if isinstance(exc, ValidationFailed) and exc.fields:
        detail = "; ".join(f"{f.field.rsplit('.', 1)[-1]}: {f.problem}" for f in exc.fields)
    if not detail or detail == head:
        return head
    return f"{head} ({detail})"
