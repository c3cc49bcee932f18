"""The client's one exception tree: every failure a caller can see is an :class:`ApiError`.

Views catch these and show a precise message; no ``httpx`` exception ever escapes the client
(transport failures are translated here), and no raw status code needs to be inspected::

    ApiError                     anything that went wrong talking to the platform
    ├── Unauthenticated          401: not logged in (or the server no longer knows the token)
    │   ├── InvalidCredentials   login refused: wrong e-mail or password, inactive account
    │   └── AuthExpired          the session ended (refresh token expired/revoked): log in again
    ├── Forbidden                403: logged in, but this role may not do that
    ├── NotFound                 404: no such object (or it belongs to another operator)
    ├── Conflict                 409: the current state forbids it (connector busy, duplicate)
    ├── ChargerUnavailable       the charger could not carry out a remote action
    │   ├── ChargerOffline       503 charger_offline: not connected to the central system
    │   ├── ChargerTimeout       504 charger_timeout: connected but did not answer in time
    │   └── ChargerRejected      409 charger_rejected: answered "Rejected"
    ├── PaymentRequired          402: the money could not be taken; nothing was started
    │   ├── PaymentDeclined      the card was refused
    │   └── InsufficientBalance  the wallet holds too little
    ├── ValidationFailed         422: ``.fields`` names each wrong field and its problem
    ├── RateLimited              429: ``.retry_after`` seconds to wait (login throttling)
    ├── ServerUnavailable        5xx, connection refused/reset, unreadable answer
    │   └── ServerTimeout        the server did not answer within the call's timeout
    └── CredentialStoreError     the local secure storage for refresh tokens failed

Every instance carries ``status_code`` (``None`` when no HTTP answer arrived), the server's
machine-readable ``code`` and its human ``message``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import ValidationError

from backend_client.models.system import ErrorBody, FieldError

__all__ = [
    "ApiError",
    "AuthExpired",
    "ChargerOffline",
    "ChargerRejected",
    "ChargerTimeout",
    "ChargerUnavailable",
    "Conflict",
    "CredentialStoreError",
    "Forbidden",
    "InsufficientBalance",
    "InvalidCredentials",
    "NotFound",
    "PaymentDeclined",
    "PaymentRequired",
    "RateLimited",
    "ServerTimeout",
    "ServerUnavailable",
    "Unauthenticated",
    "ValidationFailed",
]


class ApiError(Exception):
    """Base of every error the client raises. Catch this to handle "anything went wrong"."""

    default_code = "error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        fields: list[FieldError] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code or self.default_code
        self.fields: list[FieldError] = fields or []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code}, code={self.code!r})"


class Unauthenticated(ApiError):
    """401: the request carried no valid credentials. Show the login screen."""

    default_code = "unauthenticated"


class InvalidCredentials(Unauthenticated):
    """The login was refused (wrong e-mail or password, or a deactivated account)."""

    default_code = "invalid_credentials"


class AuthExpired(Unauthenticated):
    """The session ended and could not be renewed: the refresh token expired, was revoked
    or was already used. Raised once per failed renewal; the stored token is cleared."""

    default_code = "auth_expired"


class Forbidden(ApiError):
    """403: authenticated, but this account's role may not do that."""

    default_code = "forbidden"


class NotFound(ApiError):
    """404: the object does not exist, or belongs to another operator (existence never leaks)."""

    default_code = "not_found"


class Conflict(ApiError):
    """409: the current state forbids the action (connector busy, duplicate e-mail or code)."""

    default_code = "conflict"


class ChargerUnavailable(ApiError):
    """The charger could not carry out a remote action. Catch this for "try again later"."""

    default_code = "charger_unavailable"


class ChargerOffline(ChargerUnavailable):
    """The charger is not connected to the central system."""

    default_code = "charger_offline"


class ChargerTimeout(ChargerUnavailable):
    """The charger is connected but did not answer the call in time."""

    default_code = "charger_timeout"


class ChargerRejected(ChargerUnavailable):
    """The charger answered and refused (e.g. RemoteStartTransaction → Rejected)."""

    default_code = "charger_rejected"


class PaymentRequired(ApiError):
    """402: the payment could not be made; nothing was started or credited."""

    default_code = "payment_required"


class PaymentDeclined(PaymentRequired):
    """The card was refused by the payment provider: try another card."""

    default_code = "payment_declined"


class InsufficientBalance(PaymentRequired):
    """The wallet's balance does not cover the hold a start needs: top up first."""

    default_code = "insufficient_balance"


class ValidationFailed(ApiError):
    """422: the request was understood but some fields are wrong; see :attr:`fields`."""

    default_code = "validation_failed"

    def problems(self) -> dict[str, str]:
        """The field problems keyed by the last part of each field's path (``"email"``)."""
        return {f.field.rsplit(".", 1)[-1]: f.problem for f in self.fields}


class RateLimited(ApiError):
    """429: too many attempts. Wait :attr:`retry_after` seconds (None if the server gave none)."""

    default_code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerUnavailable(ApiError):
    """The platform could not be reached or answered with a server error or garbage.

    Transient by nature: show "service unavailable, retrying" rather than a bug report.
    Idempotent calls were already retried with back-off before this is raised.
    """

    default_code = "server_unavailable"


class ServerTimeout(ServerUnavailable):
    """No answer within the call's timeout."""

    default_code = "timeout"


class CredentialStoreError(ApiError):
    """The secure storage holding the refresh token failed (e.g. no keyring on a headless
    machine). The message says what to configure instead."""

    default_code = "credential_store"


# Codes whose meaning is more precise than their status (charger_rejected is a 409, but not a
# generic conflict; charger_offline is a 503, but retrying it will not help).
_BY_CODE: dict[str, type[ApiError]] = {
    "charger_offline": ChargerOffline,
    "charger_timeout": ChargerTimeout,
    "charger_rejected": ChargerRejected,
    "invalid_credentials": InvalidCredentials,
    "payment_declined": PaymentDeclined,
    "insufficient_balance": InsufficientBalance,
}

_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthenticated,
    402: PaymentRequired,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: RateLimited,
}


def _parse_body(response: httpx.Response) -> ErrorBody | None:
    try:
        return ErrorBody.model_validate_json(response.content)
    except (ValidationError, ValueError):
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare enough to treat as "unknown"


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for a non-2xx ``response``: by error code first, then by status."""
    status = response.status_code
    body = _parse_body(response)
    code = body.error.code if body else None
    message = body.error.message if body else _generic_message(status)
    fields = list(body.error.fields) if body else []
    cls = _BY_CODE.get(code or "") or _BY_STATUS.get(status)
    if cls is None:
        cls = ServerUnavailable if status >= 500 else ApiError
    if cls is RateLimited:
        return RateLimited(
            message,
            retry_after=_retry_after(response),
            status_code=status,
            code=code,
            fields=fields,
        )
    return cls(message, status_code=status, code=code, fields=fields)


def _generic_message(status: int) -> str:
    if status >= 500:
        return f"The service is unavailable (HTTP {status}); try again shortly."
    return f"The request failed (HTTP {status})."


def error_from_transport(exc: httpx.HTTPError) -> ApiError:
    """The exception for a failure below HTTP: no answer, a broken connection, a bad URL."""
    if isinstance(exc, httpx.TimeoutException):
        return ServerTimeout("The service did not answer in time.")
    if isinstance(exc, httpx.TransportError):
        return ServerUnavailable(f"Cannot reach the service ({type(exc).__name__}).")
    return ServerUnavailable(f"The request failed: {exc}")


def unreadable_answer(response: httpx.Response, problem: Exception | str) -> ServerUnavailable:
    """A 2xx answer whose body is not what the API promises (proxy page, truncated JSON)."""
    detail = problem if isinstance(problem, str) else type(problem).__name__
    return ServerUnavailable(
        f"The service sent an unreadable answer ({detail}).",
        status_code=response.status_code,
        code="unreadable_answer",
    )


def json_or_error(response: httpx.Response) -> Any:
    """``response.json()`` translating a garbage body into :class:`ServerUnavailable`."""
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise unreadable_answer(response, exc) from None
