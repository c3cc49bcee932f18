"""A minimal central system built straight on the ``ocpp`` library, for simulator tests.

Test-only: it records every charger→CSMS message, answers as the spec expects, assigns
transaction ids, checks HTTP Basic passwords and lets a test issue CSMS→charger calls. The
real central system lives in ``backend/ocpp``; this one exists so the simulator can be tested
on its own and so the benchmark has a "bare library" baseline.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from ocpp.v16 import call_result
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from backend.ocpp._ocpplib import ChargePoint16, on


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Received:
    identity: str
    action: str
    payload: dict[str, Any]


@dataclass
class BareState:
    passwords: dict[str, str] | None = None
    heartbeat_interval: int = 60
    messages: list[Received] = field(default_factory=list)
    connected: dict[str, ChargePoint16] = field(default_factory=dict)
    tx_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, identity: str, action: str, payload: dict[str, Any]) -> None:
        self.messages.append(Received(identity, action, payload))
        self.changed.set()

    def of(self, action: str, identity: str | None = None) -> list[dict[str, Any]]:
        return [
            m.payload
            for m in self.messages
            if m.action == action and (identity is None or m.identity == identity)
        ]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


class BareChargePoint(ChargePoint16):
    def __init__(self, identity: str, ws: ServerConnection, state: BareState) -> None:
        super().__init__(identity, ws, response_timeout=10)
        self.state = state

    @on("BootNotification")
    def boot(self, **kw: Any) -> Any:
        self.state.record(self.id, "BootNotification", kw)
        return call_result.BootNotification(
            current_time=now(), interval=self.state.heartbeat_interval, status="Accepted"
        )

    @on("Heartbeat")
    def heartbeat(self, **kw: Any) -> Any:
        self.state.record(self.id, "Heartbeat", kw)
        return call_result.Heartbeat(current_time=now())

    @on("StatusNotification")
    def status(self, **kw: Any) -> Any:
        self.state.record(self.id, "StatusNotification", kw)
        return call_result.StatusNotification()

    @on("Authorize")
    def authorize(self, id_tag: str, **kw: Any) -> Any:
        self.state.record(self.id, "Authorize", {"id_tag": id_tag})
        status = "Blocked" if id_tag.startswith("BLOCKED") else "Accepted"
        return call_result.Authorize(id_tag_info={"status": status})

    @on("StartTransaction")
    def start_tx(self, **kw: Any) -> Any:
        self.state.record(self.id, "StartTransaction", kw)
        return call_result.StartTransaction(
            transaction_id=next(self.state.tx_ids), id_tag_info={"status": "Accepted"}
        )

    @on("MeterValues")
    def meter_values(self, **kw: Any) -> Any:
        self.state.record(self.id, "MeterValues", kw)
        return call_result.MeterValues()

    @on("StopTransaction")
    def stop_tx(self, **kw: Any) -> Any:
        self.state.record(self.id, "StopTransaction", kw)
        return call_result.StopTransaction(id_tag_info={"status": "Accepted"})

    @on("DiagnosticsStatusNotification")
    def diagnostics(self, **kw: Any) -> Any:
        self.state.record(self.id, "DiagnosticsStatusNotification", kw)
        return call_result.DiagnosticsStatusNotification()

    @on("FirmwareStatusNotification")
    def firmware(self, **kw: Any) -> Any:
        self.state.record(self.id, "FirmwareStatusNotification", kw)
        return call_result.FirmwareStatusNotification()


@contextlib.asynccontextmanager
async def bare_central_system(state: BareState) -> Any:
    """Serve ``state`` on a free loopback port; yields the base URL ``ws://127.0.0.1:P``."""

    def check(conn: ServerConnection, request: Request) -> Response | None:
        if state.passwords is None:
            return None
        identity = request.path.rstrip("/").rsplit("/", 1)[-1]
        expected = state.passwords.get(identity)
        header = request.headers.get("Authorization", "")
        token = base64.b64encode(f"{identity}:{expected}".encode()).decode()
        if expected is None or header != f"Basic {token}":
            return Response(401, "Unauthorized", Headers(), b"")
        return None

    async def handler(ws: ServerConnection) -> None:
        if ws.subprotocol != "ocpp1.6":
            await ws.close()
            return
        identity = ws.request.path.rstrip("/").rsplit("/", 1)[-1] if ws.request else "?"
        cp = BareChargePoint(identity, ws, state)
        state.connected[identity] = cp
        state.changed.set()
        try:
            await cp.start()
        except ConnectionClosed:
            pass
        finally:
            if state.connected.get(identity) is cp:
                del state.connected[identity]
            state.changed.set()

    server: Server
    async with serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("ocpp1.6")],
        process_request=check,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ocpp"


__all__ = ["BareState", "HTTPStatus", "bare_central_system"]
