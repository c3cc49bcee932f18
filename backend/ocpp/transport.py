"""The websocket under an OCPP connection: Starlette's ASGI websocket as the ``recv``/``send``
pair the ``ocpp`` library wants, plus the 1.6 error-code spelling fix.

ocpp 2.1.0 answers a payload that breaks its schema with CALLERROR ``FormatViolation`` — the
OCPP 2.0 name. OCPP-J 1.6 §4.2.3 calls it ``FormationViolation`` (and spells
``OccurenceConstraintViolation`` with one "r"); 1.6 chargers and OCTT expect those. Rather than
override the library's private error path, the outgoing frame is corrected here, at the one
place every frame passes.
"""

from __future__ import annotations

import json
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

_RENAMES_16 = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
}


def to_ocpp16_error_codes(frame: str) -> str:
    """Rewrite a CALLERROR's 2.0-style error code to its OCPP 1.6 spelling."""
    if not frame.startswith("[4") or not any(name in frame for name in _RENAMES_16):
        return frame
    try:
        message = json.loads(frame)
    except ValueError:
        return frame
    if (
        isinstance(message, list)
        and len(message) >= 3
        and message[0] == 4
        and message[2] in _RENAMES_16
    ):
        message[2] = _RENAMES_16[message[2]]
        return json.dumps(message, separators=(",", ":"))
    return frame


class StarletteConnection:
    """An accepted Starlette websocket seen as an OCPP transport.

    ``last_frame`` (monotonic seconds) is when the charger last sent anything; the liveness
    watchdog reads it.
    """

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.last_frame = time.monotonic()
        self.frames_in = 0

    async def recv(self) -> str:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        self.last_frame = time.monotonic()
        self.frames_in += 1
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            text = data.decode("utf-8", errors="replace")
        return str(text)

    async def send(self, message: str) -> None:
        await self.websocket.send_text(to_ocpp16_error_codes(message))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.websocket.close(code=code, reason=reason)


__all__ = ["StarletteConnection", "to_ocpp16_error_codes"]
