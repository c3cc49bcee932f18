"""A bare OCPP-J client on the ``websockets`` library, for tests that need to send exactly the
frames they want (silence, garbage, floods) rather than a well-behaved simulated charger."""

from __future__ import annotations

import base64
import itertools
import json
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol


async def open_charger(
    ocpp_url: str, identity: str, password: str, **options: Any
) -> ClientConnection:
    """Connect as ``identity`` with subprotocol ocpp1.6 and HTTP Basic (Security Profile 1).
    The client answers the server's websocket pings by itself."""
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    options.setdefault("open_timeout", 10)
    return await connect(
        f"{ocpp_url}/{identity}",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers={"Authorization": f"Basic {token}"},
        compression=None,
        **options,
    )


class RawCharger:
    """Sequential CALLs over a :func:`open_charger` connection; measures each round trip."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def call(self, action: str, payload: dict[str, Any]) -> tuple[list[Any], float]:
        """Send one CALL; return the answer frame (CALLRESULT or CALLERROR) and its latency."""
        unique_id = f"c{next(self._ids)}"
        started = time.perf_counter()
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        answer = json.loads(await self.ws.recv())
        elapsed = time.perf_counter() - started
        assert answer[1] == unique_id, answer
        return answer, elapsed

    async def heartbeat(self) -> float:
        answer, elapsed = await self.call("Heartbeat", {})
        assert answer[0] == 3, answer
        return elapsed


BOOT = {"chargePointVendor": "Test", "chargePointModel": "Raw-1"}

__all__ = ["BOOT", "RawCharger", "open_charger"]
