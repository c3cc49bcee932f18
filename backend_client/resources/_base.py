"""What every resource group shares: the requester, and the ``@endpoint`` declaration that
ties each method to the API route it calls (checked against the backend's OpenAPI by
``tests/client/test_contract.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from backend_client.errors import ValidationFailed
from backend_client.models.system import FieldError
from backend_client.transport import Requester

API = "/api/v1"

F = TypeVar("F", bound=Callable[..., object])
M = TypeVar("M", bound=BaseModel)


def build(model: type[M], **values: Any) -> M:
    """``model(**values)`` for a request body built from a method's arguments; invalid
    arguments (an amount of 0, a missing charger) raise :class:`ValidationFailed` naming the
    fields, exactly as if the server had refused them, so views catch one exception tree."""
    try:
        return model(**values)
    except ValidationError as exc:
        fields = [
            FieldError(
                field=".".join(["body", *(str(p) for p in err["loc"])]),
                problem=err["msg"],
            )
            for err in exc.errors()
        ]
        summary = "; ".join(f"{f.field}: {f.problem}" for f in fields[:3])
        raise ValidationFailed(f"Invalid request — {summary}", fields=fields) from None


def endpoint(method: str, path: str) -> Callable[[F], F]:
    """Declare that the decorated method calls ``method path`` (path as in the OpenAPI,
    e.g. ``/api/v1/stations/{station_id}``). Adds no wrapper: zero cost per call."""

    def mark(fn: F) -> F:
        fn.__endpoint__ = (method.upper(), path)  # type: ignore[attr-defined]
        return fn

    return mark


class Resource:
    """A group of endpoints (``client.stations`` …) sending through one :class:`Requester`."""

    def __init__(self, requester: Requester) -> None:
        self._r = requester
