"""Turns every failure into the one error body shape (:class:`backend_client.models.system.ErrorBody`).

- :class:`backend.errors.DomainError` → its status and code;
- request validation → 422 naming each wrong field;
- a lost database connection, a locked SQLite file or an exhausted connection pool → 503
  ``database_unavailable``
  (:class:`backend.errors.DatabaseUnavailable`), so clients retry instead of reporting a bug;
- a value the database cannot store (out-of-range integer) → 422;
- anything else → 500 with no internals in the body (logged server-side).
"""

from __future__ import annotations

import logging
from types import TracebackType

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.errors import DatabaseUnavailable, DomainError, TooManyRequests
from backend_client.models.system import ErrorBody, ErrorDetail, FieldError

log = logging.getLogger(__name__)


def _body(code: str, message: str, fields: list[FieldError] | None = None) -> dict[str, object]:
    return ErrorBody(
        error=ErrorDetail(code=code, message=message, fields=fields or [])
    ).model_dump()


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {}
        if isinstance(exc, TooManyRequests | DatabaseUnavailable):
            headers["Retry-After"] = str(exc.retry_after)
        fields = [FieldError(field=f.field, problem=f.problem) for f in exc.fields]
        return JSONResponse(
            _body(exc.code, exc.message, fields), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            FieldError(field=".".join(str(p) for p in err.get("loc", ())), problem=err["msg"])
            for err in exc.errors()
        ]
        summary = "; ".join(f"{f.field}: {f.problem}" for f in fields[:3])
        return JSONResponse(
            _body("validation_failed", f"Invalid request — {summary}", fields), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI answers malformed JSON with a 422 but a body that is not even UTF-8
            # with a bare 400; both are the same client mistake, so both get the 422 shape.
            problem = "The request body is not valid UTF-8 JSON."
            return JSONResponse(
                _body("validation_failed", problem, [FieldError(field="body", problem=problem)]),
                status_code=422,
            )
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            log.warning("database unavailable: %s", type(exc.orig).__name__)
            return await _domain(request, DatabaseUnavailable())
        if _value_rejected(exc):
            log.warning("input rejected by the database: %s", exc.orig)
            return _out_of_range()
        log.exception("database error")
        return JSONResponse(_body("internal_error", "Internal error."), status_code=500)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(request: Request, _exc: PoolTimeout) -> JSONResponse:
        # Every pooled connection busy for the whole pool timeout: overload, not a bug.
        log.warning("database connection pool exhausted")
        return await _domain(request, DatabaseUnavailable())

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # sqlite3 refuses integers beyond 64 bits with a bare OverflowError.
        if _raised_by_database_driver(exc.__traceback__):
            log.warning("input rejected by the database: %s", exc)
            return _out_of_range()
        return await _unexpected(request, exc)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> JSONResponse:
        # The asyncpg dialect lets a refused or reset connection out as a bare OSError
        # (ConnectionRefusedError, ConnectionResetError, TimeoutError) rather than a DBAPIError.
        if _raised_by_database_driver(exc.__traceback__):
            log.warning("database unreachable: %s", type(exc).__name__)
            return await _domain(request, DatabaseUnavailable())
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(_body("internal_error", "Internal error."), status_code=500)


_DATABASE_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")


def _raised_by_database_driver(tb: TracebackType | None) -> bool:
    """Whether the traceback passes through the database layer (so the error is the database's,
    not a file or socket of some other part of the app)."""
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith(_DATABASE_MODULES):
            return True
        tb = tb.tb_next
    return False


def _out_of_range() -> JSONResponse:
    """A value the database cannot store (an integer beyond its column): the input is wrong,
    and saying so beats a 500. Routes bound their inputs, so this is the safety net for one
    that slipped through (logged, to be bounded at the source)."""
    problem = "A value is out of the range the service can store."
    return JSONResponse(_body("validation_failed", problem), status_code=422)


def _value_rejected(exc: DBAPIError) -> bool:
    """Whether the database (or its driver, while encoding the arguments) refused a value:
    SQL ``DataError``, or asyncpg's argument check (a ``ValueError``) under the wrapper."""
    if isinstance(exc, DataError):
        return True
    seen: BaseException | None = exc.orig
    for _ in range(5):  # the driver wraps once or twice; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, ValueError | OverflowError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
