"""System endpoints and the error body every failed request carries."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    database: str


class FieldError(BaseModel):
    """One wrong field: its dotted path (e.g. ``body.tariff.bands.0.start``) and the problem."""

    field: str
    problem: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldError] = []


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorDetail
