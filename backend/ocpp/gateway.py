"""The OCPP 1.6J websocket endpoint and the life of each charger connection.

``ws(s)://HOST:PORT/ocpp/{chargePointId}``. The handshake is refused (plain HTTP answer, no
websocket) unless the client offers subprotocol ``ocpp1.6`` (400), names a known charger (404)
and proves it with its own password over HTTP Basic — OCPP Security Profile 1 (401).

TLS (Security Profile 2) is the web server's job: start uvicorn with ``ssl_certfile`` /
``ssl_keyfile`` and chargers connect with ``wss://`` to the same path; nothing here changes.
Profile 1 sends the password in clear, so use it on trusted networks or behind TLS only.

Liveness: the web server pings every websocket (``uvicorn_ws_options``) and drops one that
misses a pong, so a dead charger goes offline within 2× the ping interval; the watchdog here
also drops connections that sent no OCPP frame for ``ocpp_silence_limit`` (default: two
heartbeat intervals plus the ping interval — a charger whose TCP is alive but whose OCPP stack
hangs). Either way the charger is marked offline and — unless it closed cleanly — an operator
fault is opened, which its next connection clears.

Hostile input (settings, all per connection): frames faster than ``ocpp_rate_limit``/s (after
``ocpp_rate_burst``) are read more slowly (:class:`backend.ocpp.dispatch.TokenBucket`); a
message over ``ocpp_max_frame_bytes`` closes the connection with 1009; a connection that has
not sent its whole HTTP upgrade request within ``ocpp_handshake_timeout`` is closed
(:mod:`backend.ocpp.handshake`). Malformed frames get the OCPP 1.6 CALLERROR for what is wrong
or, when unanswerable, nothing (:mod:`backend.ocpp.frames`); the connection stays up.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from backend.context import AppContext
from backend.errors import NotFound, Unauthenticated
from backend.ocpp.dispatch import TokenBucket
from backend.ocpp.frames import Schemas
from backend.ocpp.handlers import CentralSystemChargePoint
from backend.ocpp.handshake import handshake_deadline_protocol
from backend.ocpp.meters import MeterBatcher
from backend.ocpp.registry import CallRouter, InProcessRegistry
from backend.ocpp.transport import StarletteConnection
from backend.services import ocpp_chargers
from backend.services.ocpp_chargers import ChargerRef
from backend.services.ocpp_writes import Batcher, GroupWriter, writer_for
from backend.settings import Settings

LOG = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"
OCPP_PREFIX = "/ocpp/"
EXTENSION_KEY = "backend.ocpp"
CLEAN_CLOSE_CODES = (1000, 1001)


def basic_password(websocket: WebSocket, ocpp_id: str) -> str | None:
    """The password of an ``Authorization: Basic`` header whose user is ``ocpp_id``."""
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        user, sep, password = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return password if sep and user == ocpp_id else None


async def refuse(websocket: WebSocket, response: Response) -> None:
    """Refuse the handshake with a real HTTP status; servers without the ASGI denial-response
    extension can only close it (the client then sees 403)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=1008)


class OcppGateway:
    """Accepts charger websockets, keeps them in the registry, watches their liveness."""

    def __init__(self, ctx: AppContext, registry: InProcessRegistry | None = None) -> None:
        self.ctx = ctx
        self.registry = registry or InProcessRegistry()
        self.writer = writer_for(ctx.sessions, sqlite=ctx.settings.is_sqlite)
        self.meters = MeterBatcher(self.writer, ctx.events, clock=ctx.clock)
        self.schemas = Schemas()
        # Per-step batchers: a reconnect storm's handshakes, connects, boots and heartbeats
        # are each handled a batch at a time (a few statements per batch, not per charger).
        self.auth: Batcher[tuple[str, str | None], Any] = Batcher(
            lambda items: ocpp_chargers.authenticate_chargers(ctx.sessions, items)
        )
        self.online: Batcher[ChargerRef, None] = Batcher(
            lambda refs: ocpp_chargers.chargers_connected(
                self.writer, ctx.events, refs, now=ctx.clock()
            )
        )
        self.offline: Batcher[ocpp_chargers.Disconnect, None] = Batcher(
            lambda items: ocpp_chargers.chargers_disconnected(self.writer, ctx.events, items)
        )
        self.boots: Batcher[ocpp_chargers.BootInfo, str] = Batcher(
            lambda boots: ocpp_chargers.boot_notifications(self.writer, boots)
        )
        self.heartbeats: Batcher[tuple[ChargerRef, datetime], None] = Batcher(
            lambda items: ocpp_chargers.heartbeats(self.writer, items)
        )

    @property
    def router(self) -> CallRouter:
        """What services use to send CSMS-initiated calls."""
        return self.registry

    async def call(self, ocpp_id: str, payload: Any) -> Any:
        """Send a CALL to a charger (see :class:`CallRouter` for the errors)."""
        return await self.registry.call(
            ocpp_id, payload, timeout=self.ctx.settings.ocpp_call_timeout
        )

    async def serve(self, websocket: WebSocket, ocpp_id: str) -> None:
        offered = [p.strip() for p in websocket.scope.get("subprotocols", [])]
        if SUBPROTOCOL not in offered:
            await refuse(websocket, Response("subprotocol ocpp1.6 required", status_code=400))
            return
        try:
            ref: ChargerRef = await self.auth.submit((ocpp_id, basic_password(websocket, ocpp_id)))
        except NotFound:
            await refuse(websocket, Response("unknown charge point", status_code=404))
            return
        except Unauthenticated:
            await refuse(
                websocket,
                Response(
                    "charge point authentication failed",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="OCPP"'},
                ),
            )
            return
        await websocket.accept(subprotocol=SUBPROTOCOL)
        settings = self.ctx.settings
        connection = StarletteConnection(websocket)
        cp = CentralSystemChargePoint(
            ref,
            connection,
            self.ctx,
            writer=self.writer,
            meters=self.meters,
            boots=self.boots,
            heartbeats=self.heartbeats,
            schemas=self.schemas,
            limiter=TokenBucket(settings.ocpp_rate_limit, settings.ocpp_rate_burst),
            response_timeout=settings.ocpp_call_timeout,
        )
        replaced = self.registry.attach(ocpp_id, cp)
        if replaced is not None:
            # The same charger connected again (e.g. after a network switch): the new socket
            # wins; the old one is closed without marking the charger offline.
            with contextlib.suppress(Exception):
                await replaced.disconnect(1000, "replaced by a new connection")
        code, reason = 1000, "closed"
        try:
            await self.online.submit(ref)
            await cp.start()
        except WebSocketDisconnect as exc:
            code, reason = exc.code, exc.reason or f"websocket closed ({exc.code})"
        except Exception as exc:  # a transport error ends this connection only
            code, reason = 1011, f"connection error: {type(exc).__name__}"
        finally:
            if self.registry.detach(ocpp_id, cp):
                dead = code not in CLEAN_CLOSE_CODES
                with contextlib.suppress(Exception):
                    await asyncio.shield(
                        self.offline.submit(
                            ocpp_chargers.Disconnect(
                                ref=ref,
                                dead=dead,
                                reason=reason if dead else "disconnected",
                                now=self.ctx.clock(),
                            )
                        )
                    )

    # ------------------------------------------------------------------ liveness watchdog
    def stale_after_s(self) -> float:
        s = self.ctx.settings
        if s.ocpp_silence_limit is not None:
            return s.ocpp_silence_limit
        return 2 * s.ocpp_heartbeat_interval + s.ocpp_ping_interval

    async def watchdog(self) -> None:
        """Drop connections silent for longer than :meth:`stale_after_s`."""
        s = self.ctx.settings
        period = max(min(s.ocpp_ping_interval / 2, self.stale_after_s() / 4, 15.0), 0.05)
        while True:
            await asyncio.sleep(period)
            limit = self.stale_after_s()
            for link in self.registry.links():
                if link.idle_seconds() > limit:
                    LOG.warning("%s silent for %.0fs: dropping it", link.id, link.idle_seconds())
                    with contextlib.suppress(Exception):
                        await link.disconnect(1011, "heartbeat watchdog: charger silent")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Background part of the central system while the app runs."""
        # One process holds every connection, so nothing can be online before it starts.
        await ocpp_chargers.mark_all_offline(self.writer)
        # Everything imported and built so far lives as long as the process; keep the cyclic
        # garbage collector from re-scanning it in every full collection (~100 ms pauses that
        # stall every charger's answers at once during a reconnect storm).
        # Not in tests: a process building hundreds of apps would pay a full collection each.
        freeze = self.ctx.settings.environment != "test"
        if freeze:
            gc.collect()
            gc.freeze()
        tasks = [
            asyncio.create_task(self.watchdog(), name="ocpp-watchdog"),
            asyncio.create_task(self.meters.run(), name="ocpp-meter-batcher"),
        ]
        for name, batcher in (
            ("auth", self.auth),
            ("online", self.online),
            ("offline", self.offline),
            ("boots", self.boots),
            ("heartbeats", self.heartbeats),
        ):
            tasks.append(asyncio.create_task(batcher.run(), name=f"ocpp-{name}-batcher"))
        if isinstance(self.writer, GroupWriter):
            tasks.append(asyncio.create_task(self.writer.run(), name="ocpp-group-writer"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for link in self.registry.links():
                with contextlib.suppress(Exception):
                    await link.disconnect(1001, "central system shutting down")
            if freeze:
                gc.unfreeze()


def gateway_of(ctx: AppContext) -> OcppGateway:
    """The app's gateway, created on first use and kept in ``ctx.extensions``."""
    gateway = ctx.extensions.get(EXTENSION_KEY)
    if not isinstance(gateway, OcppGateway):
        gateway = OcppGateway(ctx)
        ctx.extensions[EXTENSION_KEY] = gateway
    return gateway


def build_ocpp_router() -> APIRouter:
    """The websocket route ``/ocpp/{chargePointId}``."""
    router = APIRouter()

    @router.websocket("/ocpp/{charge_point_id}")
    async def ocpp_endpoint(websocket: WebSocket, charge_point_id: str) -> None:
        ctx: AppContext = websocket.app.state.ctx
        await gateway_of(ctx).serve(websocket, charge_point_id)

    return router


class OcppFastPath:
    """ASGI middleware handing ``/ocpp/{id}`` websockets straight to the gateway.

    Same behaviour as the router's endpoint, minus walking every REST route and the middleware
    stack for each of thousands of charger handshakes (and the suspended frames they would keep
    per connection): a reconnect storm is mostly handshakes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            path: str = scope.get("path", "")
            ocpp_id = path[len(OCPP_PREFIX) :] if path.startswith(OCPP_PREFIX) else ""
            if ocpp_id and "/" not in ocpp_id:
                ctx: AppContext = scope["app"].state.ctx
                await gateway_of(ctx).serve(WebSocket(scope, receive, send), ocpp_id)
                return
        await self.app(scope, receive, send)


def mount_ocpp(app: FastAPI) -> None:
    """Add the OCPP endpoint to ``app`` (for ``backend.app._extra_routers``): the route, and
    the fast path that serves it without REST routing."""
    app.include_router(build_ocpp_router())
    app.add_middleware(OcppFastPath)


def ocpp_lifecycle(ctx: AppContext) -> contextlib.AbstractAsyncContextManager[None]:
    """The central system's background work (for ``backend.app._builtin_lifecycles``)."""
    return gateway_of(ctx).running()


def uvicorn_ws_options(settings: Settings) -> dict[str, Any]:
    """uvicorn ``Config`` keywords the central system relies on.

    * Protocol pings at the OCPP ping interval with the same timeout (a dead charger is offline
      within 2× the interval).
    * No per-message deflate: chargers rarely negotiate it and its zlib state would cost
      ~100 KB per connection.
    * ``ws_max_size``: a bigger message closes the connection with 1009 before it is buffered.
    * ``http``: a connection must complete its HTTP request (the websocket upgrade) within
      ``ocpp_handshake_timeout`` (:mod:`backend.ocpp.handshake`), so stalled or half-open
      connections cannot pile up.
    * ``ws="websockets-sansio"``: uvicorn's current websocket implementation, pinned (the older
      one is deprecated; both measured alike in bench/ocpp_load.py).
    """
    return {
        "ws": "websockets-sansio",
        "ws_ping_interval": settings.ocpp_ping_interval,
        "ws_ping_timeout": settings.ocpp_ping_interval,
        "ws_per_message_deflate": False,
        "ws_max_size": settings.ocpp_max_frame_bytes,
        "http": handshake_deadline_protocol(settings.ocpp_handshake_timeout),
    }


__all__ = [
    "OcppFastPath",
    "OcppGateway",
    "basic_password",
    "build_ocpp_router",
    "gateway_of",
    "mount_ocpp",
    "ocpp_lifecycle",
    "uvicorn_ws_options",
]
