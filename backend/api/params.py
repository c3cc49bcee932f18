"""Typed path and query parameters shared by the routes, bounded so that no input can reach
the database as an out-of-range integer, a NUL character or a naive timestamp."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime

MAX_ID = 2_147_483_647


def _reasonable(value: datetime | None) -> datetime | None:
    if value is not None and not 1970 <= value.year <= 9000:
        raise ValueError("must be between the years 1970 and 9000")
    return value


IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
SearchText = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")]
TimeQuery = Annotated[
    AwareDatetime | None,
    Query(description="ISO 8601 with a timezone, e.g. 2026-05-01T00:00:00+08:00"),
    AfterValidator(_reasonable),
]
LimitQuery = Annotated[int, Query(ge=1, le=200)]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000_000)]
