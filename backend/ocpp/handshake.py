"""A deadline for the HTTP request that opens every connection (the websocket upgrade).

uvicorn times out idle keep-alive connections, but not a *new* connection that never sends its
request, or sends half of it and stalls (Slowloris): each would hold a socket and a file
descriptor forever, and enough of them lock out real chargers. This protocol — uvicorn's
httptools one with a timer — closes a connection whose request line and headers have not all
arrived ``handshake_timeout`` seconds after it opened (or after the previous request on a
keep-alive connection). A request whose headers arrived is never cut off by it: slow bodies,
long responses and open websockets are untouched.

TLS handshakes are asyncio's own business (``ssl_handshake_timeout``, 60 s by default).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HandshakeDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP protocol, closing connections whose request stalls."""

    handshake_timeout: ClassVar[float] = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.handshake_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def handshake_deadline_protocol(timeout: float) -> type[HandshakeDeadlineProtocol]:
    """The protocol class for uvicorn's ``http=`` option, with this deadline in seconds."""
    attributes: dict[str, Any] = {"handshake_timeout": timeout}
    return type("HandshakeDeadlineProtocol", (HandshakeDeadlineProtocol,), attributes)


__all__ = ["HandshakeDeadlineProtocol", "handshake_deadline_protocol"]
