"""Shapes shared by every API area: pages of results, e-mail addresses, prices and currencies.

Money on the wire is always integer minor units plus an ISO 4217 currency code; unit prices
(per kWh, per minute) are decimal strings such as ``"1.2500"`` so no float rounding creeps in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

T = TypeVar("T")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it as bad input rather than fail on write.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _reasonable_time(value: datetime) -> datetime:
    if not 1970 <= value.year <= 9000:
        raise ValueError("must be between the years 1970 and 9000")
    return value.astimezone(UTC)


def _normalize_email(value: str) -> str:
    value = _no_nul(value.strip().lower())
    if not _EMAIL.match(value):
        raise ValueError("not a valid e-mail address")
    return value


Text = AfterValidator(_no_nul)
"""Annotate request strings with it: ``name: Annotated[str, Text] = Field(max_length=...)``."""

Timestamp = Annotated[AwareDatetime, AfterValidator(_reasonable_time)]
"""A point in time sent by a client: must carry a timezone (``...Z`` or ``+08:00``);
normalized to UTC."""

ObjectId = Annotated[int, Field(ge=1, le=2_147_483_647)]
"""A reference to another object by id (bounded so no database integer overflows)."""

Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_normalize_email)]
"""An e-mail address, trimmed and lower-cased (accounts are matched case-insensitively)."""

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CNY", "EUR"])]
"""An ISO 4217 currency code: three upper-case letters."""

Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=10, decimal_places=4, examples=["1.2500"]),
    AfterValidator(lambda d: d.quantize(Decimal("0.0001"))),
]
"""A non-negative unit price in major units, always four decimals on the wire ("1.2500")."""

Password = Annotated[str, Field(min_length=8, max_length=128)]
"""A new password: at least 8 characters."""

Limit = Annotated[int, Field(ge=1, le=200)]
Offset = Annotated[int, Field(ge=0, le=1_000_000_000)]


class RecordStatus(StrEnum):
    """Operator records are retired, never deleted (history keeps pointing at them)."""

    ACTIVE = "active"
    RETIRED = "retired"


class Page(BaseModel, Generic[T]):
    """One page of a longer list: ``items`` plus the ``total`` across all pages."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)
