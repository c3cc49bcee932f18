"""The backend's exception tree and how each maps to an HTTP answer.

Services raise these; routes never build error responses by hand. Every error body has the
same shape: ``{"error": {"code": str, "message": str, "fields": [{"field", "problem"}]}}``
so clients can show a precise message.

    DomainError
    ├── NotFound            404  (also used for other tenants' objects: existence never leaks)
    ├── Forbidden           403  (authenticated but not allowed)
    ├── Unauthenticated     401  (missing, unknown or expired credentials)
    ├── Conflict            409  (state forbids it: connector busy, duplicate code, ...)
    ├── Invalid             422  (a field is wrong in a way only the service can tell)
    ├── TooManyRequests     429  (login throttling, rate limits)
    ├── DatabaseUnavailable 503  (database unreachable, connection lost, or locked: retry)
    └── ChargerUnavailable  503/504/409 (charger offline, timed out, or rejected the call)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FieldProblem:
    field: str
    problem: str


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "validation_failed"

    def __init__(self, message: str, *, field_name: str | None = None) -> None:
        super().__init__(
            message, fields=[FieldProblem(field_name, message)] if field_name else None
        )


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseUnavailable(DomainError):
    """The database cannot serve right now (server down, connection lost, file locked).

    Raised by the HTTP error mapping for driver-level failures, so clients see a retryable
    503 with ``Retry-After`` instead of a 500 bug report.
    """

    status_code = 503
    code = "database_unavailable"
    retry_after = 2

    def __init__(self, message: str = "The database is unavailable; retry shortly.") -> None:
        super().__init__(message)


class ChargerUnavailable(DomainError):
    """The charger could not carry out a CSMS call: offline (503), silent (504), refused (409)."""

    status_code = 503
    code = "charger_offline"


class ChargerTimeout(ChargerUnavailable):
    status_code = 504
    code = "charger_timeout"


class ChargerRejected(ChargerUnavailable):
    status_code = 409
    code = "charger_rejected"
