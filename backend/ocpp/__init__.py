"""The OCPP 1.6J central system inside the backend's ASGI app.

Wiring (done by the app factory): ``mount_ocpp(app)`` adds the websocket endpoint
``/ocpp/{chargePointId}``; ``ocpp_lifecycle(ctx)`` runs the liveness watchdog; serve with
``uvicorn_ws_options(settings)``. Services send CSMS-initiated calls through
``gateway_of(ctx).call(ocpp_id, payload)`` (a :class:`CallRouter`).
"""

from backend.ocpp.gateway import (
    OcppGateway,
    build_ocpp_router,
    gateway_of,
    mount_ocpp,
    ocpp_lifecycle,
    uvicorn_ws_options,
)
from backend.ocpp.registry import CallRouter, ConnectionRegistry, InProcessRegistry

__all__ = [
    "CallRouter",
    "ConnectionRegistry",
    "InProcessRegistry",
    "OcppGateway",
    "build_ocpp_router",
    "gateway_of",
    "mount_ocpp",
    "ocpp_lifecycle",
    "uvicorn_ws_options",
]
