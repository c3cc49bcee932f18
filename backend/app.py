"""The app factory: ``create_app(settings)`` builds the whole backend ASGI application.

No side effects at import. The engine connects lazily; the lifespan starts background work
(OCPP liveness watchdog, payment outbox) and disposes the engine on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from backend.api.errors import install_error_handlers
from backend.api.router import build_api_router
from backend.context import AppContext
from backend.db.engine import create_engine, create_session_factory
from backend.ocpp import mount_ocpp, ocpp_lifecycle
from backend.payments.outbox import payments_lifecycle
from backend.security import redact_credentials_in_logs
from backend.services.events import InProcessEventBus
from backend.settings import Settings

# A background service: given the context, an async context manager that runs while the app
# is up (entered at startup, exited at shutdown).
Lifecycle = Callable[[AppContext], AbstractAsyncContextManager[None]]


def create_app(
    settings: Settings | None = None,
    *,
    context: AppContext | None = None,
    lifecycles: list[Lifecycle] | None = None,
) -> FastAPI:
    """Build the backend for ``settings`` (read from the environment when omitted).

    ``context`` injects prepared collaborators (tests share an engine this way);
    ``lifecycles`` adds background services on top of the built-in ones.
    """
    settings = settings or Settings()
    if context is None:
        engine = create_engine(settings)
        context = AppContext(
            settings=settings,
            engine=engine,
            sessions=create_session_factory(engine),
            events=InProcessEventBus(buffer_size=settings.event_buffer_size),
        )
    ctx = context
    redact_credentials_in_logs()  # chargers' Basic-auth headers must not reach DEBUG logs
    services: list[Lifecycle] = [*_builtin_lifecycles(), *(lifecycles or [])]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for service in services:
                await stack.enter_async_context(service(ctx))
            try:
                yield
            finally:
                await stack.aclose()
                await ctx.engine.dispose()

    app = FastAPI(
        title="chargepile",
        version="0.1.0",
        summary="Charging-pile platform API: stations, chargers, sessions, reports, live events.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    install_error_handlers(app)
    app.include_router(build_api_router())
    for extra in _extra_routers():
        extra(app)
    return app


def _builtin_lifecycles() -> list[Lifecycle]:
    """Background services every backend runs: the payment outbox worker and the OCPP
    central system (liveness watchdog, batched writes)."""
    return [payments_lifecycle, ocpp_lifecycle]


def _extra_routers() -> list[Callable[[FastAPI], None]]:
    """Non-REST endpoints mounted on the app: the OCPP websocket endpoint."""
    return [mount_ocpp]
