"""Where chargers are attached, and how a CSMS-initiated call reaches one.

Two seams, kept apart on purpose so the central system can later run as several processes:

* :class:`ConnectionRegistry` — the websockets *this process* holds (attach/detach/get).
* :class:`CallRouter` — "send this CALL to charger X and give me its answer", wherever X is
  attached. REST routes and services only ever talk to a ``CallRouter``.

Today :class:`InProcessRegistry` is both: every charger is attached to this process. A
multi-process deployment would pair each process's local registry with a router that records
charger → process ownership in a shared store and forwards the call over a broker to the owning
process, which executes it through its local registry (the pattern MaEVe and CitrineOS use;
maintainers of the ``ocpp`` library advise the same in mobilityhouse/ocpp#389).

Exactly one CSMS call is outstanding per charger at a time (OCPP-J §4.1.1): the ``ocpp``
library's per-connection call lock serialises them; a second caller waits its turn, within
its own time limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, Protocol

from ocpp.exceptions import OCPPError
from starlette.websockets import WebSocketDisconnect

from backend.errors import ChargerRejected, ChargerTimeout, ChargerUnavailable


class ChargerLink(Protocol):
    """A live connection to one charger (the central system's ``ocpp`` charge point)."""

    id: str

    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any: ...

    async def disconnect(self, code: int, reason: str) -> None: ...

    def idle_seconds(self) -> float: ...


class ConnectionRegistry(Protocol):
    """The chargers attached to this process."""

    def attach(self, ocpp_id: str, link: ChargerLink) -> ChargerLink | None:
        """Register ``link``; returns the link it replaced (a charger reconnecting)."""
        ...

    def detach(self, ocpp_id: str, link: ChargerLink) -> bool:
        """Forget ``link`` if it is still the current one; False if already replaced."""
        ...

    def get(self, ocpp_id: str) -> ChargerLink | None: ...

    def links(self) -> Iterator[ChargerLink]: ...

    def __len__(self) -> int: ...


class CallRouter(Protocol):
    """Deliver a CSMS-initiated CALL to a charger and return its typed answer.

    Raises:
        ChargerUnavailable: the charger is not connected (REST 503).
        ChargerTimeout: no answer within the time limit (REST 504).
        ChargerRejected: the charger answered with a CALLERROR (REST 409).
    """

    async def call(self, ocpp_id: str, payload: Any, *, timeout: float) -> Any: ...

    def is_connected(self, ocpp_id: str) -> bool: ...


class InProcessRegistry:
    """Single-process :class:`ConnectionRegistry` and :class:`CallRouter`."""

    def __init__(self) -> None:
        self._links: dict[str, ChargerLink] = {}

    # ConnectionRegistry
    def attach(self, ocpp_id: str, link: ChargerLink) -> ChargerLink | None:
        old = self._links.get(ocpp_id)
        self._links[ocpp_id] = link
        return old if old is not link else None

    def detach(self, ocpp_id: str, link: ChargerLink) -> bool:
        if self._links.get(ocpp_id) is link:
            del self._links[ocpp_id]
            return True
        return False

    def get(self, ocpp_id: str) -> ChargerLink | None:
        return self._links.get(ocpp_id)

    def links(self) -> Iterator[ChargerLink]:
        return iter(list(self._links.values()))

    def __len__(self) -> int:
        return len(self._links)

    # CallRouter
    def is_connected(self, ocpp_id: str) -> bool:
        return ocpp_id in self._links

    async def call(self, ocpp_id: str, payload: Any, *, timeout: float) -> Any:
        link = self._links.get(ocpp_id)
        action = type(payload).__name__
        if link is None:
            raise ChargerUnavailable(f"charger {ocpp_id} is offline")
        try:
            # The library times out the wait for the answer; this bound also covers waiting
            # for the call lock while another CALL to the same charger is outstanding.
            async with asyncio.timeout(timeout * 2):
                return await link.call(payload, suppress=False)
        except TimeoutError:
            raise ChargerTimeout(f"charger {ocpp_id} did not answer {action} in time") from None
        except OCPPError as exc:
            raise ChargerRejected(
                f"charger {ocpp_id} refused {action}: {exc.code} {exc.description}".strip()
            ) from None
        except (WebSocketDisconnect, OSError, RuntimeError):
            raise ChargerUnavailable(
                f"connection to charger {ocpp_id} was lost during {action}"
            ) from None


__all__ = ["CallRouter", "ChargerLink", "ConnectionRegistry", "InProcessRegistry"]
