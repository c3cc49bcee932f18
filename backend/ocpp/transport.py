"""The websocket under an OCPP connection: Starlette's ASGI websocket as the ``recv``/``send``
pair of :class:`backend.ocpp.dispatch.FrameLoop` (and of the ``ocpp`` library's ``call()``).
"""

from __future__ import annotations

import time

from starlette.websockets import WebSocket, WebSocketDisconnect


class StarletteConnection:
    """An accepted Starlette websocket seen as an OCPP transport.

    ``last_frame`` (monotonic seconds) is when the charger last sent anything; the liveness
    watchdog reads it.
    """

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.last_frame = time.monotonic()
        self.frames_in = 0

    async def recv(self) -> str | bytes:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        self.last_frame = time.monotonic()
        self.frames_in += 1
        text = message.get("text")
        if text is None:
            # OCPP-J frames are text; a binary one is parsed as UTF-8 JSON all the same
            # (decode rejects it if it is not).
            return bytes(message.get("bytes") or b"")
        return str(text)

    async def send(self, message: str) -> None:
        await self.websocket.send_text(message)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.websocket.close(code=code, reason=reason)


__all__ = ["StarletteConnection"]
