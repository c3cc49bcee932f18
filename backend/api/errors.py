"""Turns every failure into the one error body shape (:class:`backend_client.models.system.ErrorBody`).

- :class:`backend.errors.DomainError` → its status and code;
- request validation → 422 naming each wrong field;
- a lost database connection → 503, so clients retry instead of reporting a bug;
- anything else → 500 with no internals in the body (logged server-side).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.errors import DomainError, TooManyRequests
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
        if isinstance(exc, TooManyRequests):
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
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            log.warning("database unavailable: %s", type(exc.orig).__name__)
            return JSONResponse(
                _body("database_unavailable", "The database is unavailable; retry shortly."),
                status_code=503,
                headers={"Retry-After": "2"},
            )
        log.exception("database error")
        return JSONResponse(_body("internal_error", "Internal error."), status_code=500)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(_body("internal_error", "Internal error."), status_code=500)
