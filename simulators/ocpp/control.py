"""Loopback HTTP control API of a running fleet, for the demo and black-box tests.

Routes (JSON in and out; errors ``{"detail": ...}`` with 404 unknown charger/connector,
409 impossible in the current state, 422 bad body)::

    GET  /chargers                                          snapshot of every charger
    GET  /chargers/{identity}                               one charger
    GET  /chargers/{identity}/sessions                      the simulator's session records
    POST /chargers/{identity}/connectors/{cid}/plug-in      optional EV: battery_kwh, soc_start …
    POST /chargers/{identity}/connectors/{cid}/unplug
    POST /chargers/{identity}/connectors/{cid}/swipe        {"id_tag": "..."}
    POST /chargers/{identity}/connectors/{cid}/fault        {"error_code": "GroundFailure"}
    POST /chargers/{identity}/connectors/{cid}/clear-fault
    POST /chargers/{identity}/offline                       {"duration_s": 30, "abrupt": false}
    POST /chargers/{identity}/online

Served by uvicorn on 127.0.0.1 only: it has no authentication by design.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, Literal

import uvicorn
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulators.ocpp.config import EvSpec
from simulators.ocpp.errors import (
    InvalidState,
    NotConnected,
    SimulatorError,
    UnknownCharger,
    UnknownConnector,
)
from simulators.ocpp.fleet import Fleet


class PlugIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    battery_kwh: float = Field(default=60.0, gt=0, le=300)
    soc_start: float = Field(default=0.35, ge=0, lt=1)
    soc_target: float = Field(default=1.0, gt=0, le=1)
    max_kw: float = Field(default=11.0, gt=0, le=400)


class Swipe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_tag: str = Field(min_length=1, max_length=20)


FaultCode = Literal[
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
]


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error_code: FaultCode = "GroundFailure"
    info: str | None = Field(default=None, max_length=50)


class Offline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration_s: float | None = Field(default=None, gt=0)
    abrupt: bool = False


def _session_json(record: Any) -> dict[str, Any]:
    data = asdict(record)
    data["energy_wh"] = record.energy_wh
    return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]


Handler = Callable[[Request], Awaitable[JSONResponse]]


def _guard(fn: Handler) -> Handler:
    async def wrapped(request: Request) -> JSONResponse:
        try:
            return await fn(request)
        except (UnknownCharger, UnknownConnector) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=404)
        except (InvalidState, NotConnected) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=409)
        except ValidationError as exc:
            return JSONResponse({"detail": exc.errors(include_url=False)}, status_code=422)
        except (ValueError, SimulatorError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)

    return wrapped


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def build_control_app(fleet: Fleet) -> Starlette:
    """The Starlette app exposing ``fleet`` (see the module docstring for the routes)."""

    def target(request: Request) -> tuple[str, int]:
        return request.path_params["identity"], int(request.path_params["cid"])

    @_guard
    async def list_chargers(request: Request) -> JSONResponse:
        return JSONResponse(fleet.snapshot())

    @_guard
    async def one_charger(request: Request) -> JSONResponse:
        return JSONResponse(fleet.station(request.path_params["identity"]).snapshot())

    @_guard
    async def sessions(request: Request) -> JSONResponse:
        records = fleet.records(request.path_params["identity"])
        return JSONResponse([_session_json(r) for r in records])

    @_guard
    async def plug_in(request: Request) -> JSONResponse:
        body = await _body(request)
        ev = EvSpec(**PlugIn.model_validate(body).model_dump()) if body else None
        identity, cid = target(request)
        await fleet.plug_in(identity, cid, ev)
        return JSONResponse(fleet.station(identity).snapshot())

    @_guard
    async def unplug(request: Request) -> JSONResponse:
        identity, cid = target(request)
        await fleet.unplug(identity, cid)
        return JSONResponse(fleet.station(identity).snapshot())

    @_guard
    async def swipe(request: Request) -> JSONResponse:
        body = Swipe.model_validate(await _body(request))
        identity, cid = target(request)
        outcome = await fleet.swipe_rfid(identity, cid, body.id_tag)
        return JSONResponse({"outcome": outcome, "charger": fleet.station(identity).snapshot()})

    @_guard
    async def fault(request: Request) -> JSONResponse:
        body = Fault.model_validate(await _body(request))
        identity, cid = target(request)
        await fleet.inject_fault(identity, cid, body.error_code, body.info)
        return JSONResponse(fleet.station(identity).snapshot())

    @_guard
    async def clear_fault(request: Request) -> JSONResponse:
        identity, cid = target(request)
        await fleet.clear_fault(identity, cid)
        return JSONResponse(fleet.station(identity).snapshot())

    @_guard
    async def offline(request: Request) -> JSONResponse:
        body = Offline.model_validate(await _body(request))
        identity = request.path_params["identity"]
        await fleet.go_offline(identity, body.duration_s, abrupt=body.abrupt)
        return JSONResponse({"identity": identity, "offline": True})

    @_guard
    async def online(request: Request) -> JSONResponse:
        identity = request.path_params["identity"]
        await fleet.go_online(identity)
        return JSONResponse({"identity": identity, "offline": False})

    base = "/chargers/{identity}"
    conn = base + "/connectors/{cid:int}"
    return Starlette(
        routes=[
            Route("/chargers", list_chargers),
            Route(base, one_charger),
            Route(base + "/sessions", sessions),
            Route(conn + "/plug-in", plug_in, methods=["POST"]),
            Route(conn + "/unplug", unplug, methods=["POST"]),
            Route(conn + "/swipe", swipe, methods=["POST"]),
            Route(conn + "/fault", fault, methods=["POST"]),
            Route(conn + "/clear-fault", clear_fault, methods=["POST"]),
            Route(base + "/offline", offline, methods=["POST"]),
            Route(base + "/online", online, methods=["POST"]),
        ]
    )


class ControlServer:
    """uvicorn serving :func:`build_control_app` on loopback, as an owned background task."""

    def __init__(self, fleet: Fleet, *, host: str = "127.0.0.1", port: int = 8765) -> None:
        config = uvicorn.Config(
            build_control_app(fleet), host=host, port=port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self._host = host
        self.port = port

    async def start(self, timeout: float = 10.0) -> None:
        """Bind and serve; raises OSError (port in use …) here rather than inside uvicorn,
        which would ``sys.exit`` from a background task."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        async with asyncio.timeout(timeout):
            while not self._server.started:
                if self._task.done():
                    raise SimulatorError("control server exited during start-up")
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self._task, 5)
        self._task = None


__all__ = ["ControlServer", "build_control_app"]
