"""Typed façade over the untyped parts of the ``ocpp`` library that the central system uses.

The ``ocpp`` package ships without type information, so under mypy strict every subclass
of its ``ChargePoint`` and every ``@on`` decorator would be an error. Rather than sprinkle
``type: ignore`` everywhere, this module declares the small surface we rely on (checked
against ocpp 2.1.0) once and re-exports the real objects at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from ocpp.routing import after as _after
from ocpp.routing import on as _on

F = TypeVar("F", bound=Callable[..., Any])


class Connection(Protocol):
    """What ``ocpp.ChargePoint`` needs from a transport: one text frame in, one out."""

    async def recv(self) -> str | bytes: ...

    async def send(self, message: str) -> None: ...


if TYPE_CHECKING:

    class ChargePoint16:
        """The subset of ``ocpp.v16.ChargePoint`` used here (see ocpp/charge_point.py)."""

        id: str

        def __init__(
            self, id: str, connection: Any, response_timeout: float = 30, logger: Any = None
        ) -> None: ...

        async def start(self) -> None: ...

        async def route_message(self, raw_msg: str | bytes) -> None: ...

        async def call(
            self,
            payload: Any,
            suppress: bool = True,
            unique_id: str | None = None,
            skip_schema_validation: bool = False,
        ) -> Any: ...

else:
    from ocpp.v16 import ChargePoint as ChargePoint16


def on(action: str, *, skip_schema_validation: bool = False) -> Callable[[F], F]:
    """Typed ``ocpp.routing.on``: mark a method as the handler of an incoming action."""
    return cast(Callable[[F], F], _on(action, skip_schema_validation=skip_schema_validation))


def after(action: str) -> Callable[[F], F]:
    """Typed ``ocpp.routing.after``: run a method once the answer to ``action`` is sent."""
    return cast(Callable[[F], F], _after(action))


__all__ = ["ChargePoint16", "Connection", "after", "on"]
