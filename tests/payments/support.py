"""Test harness for payments: an app with a shared sandbox provider, a controllable clock and
a charging layer that behaves like the OCPP side at the seams payments uses.

The charging layer here writes session rows the way the central system does (pending →
active → completed) and runs the stop exactly as StopTransaction must: session row updated
and :func:`~backend.payments.settlement.settle_session` called in one transaction, then the outbox woken.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from backend.app import create_app
from backend.context import AppContext
from backend.db.base import utcnow
from backend.db.engine import create_engine, create_session_factory
from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    MeterSample,
    PaymentIntent,
    SessionStatus,
)
from backend.errors import DomainError
from backend.payments import notify
from backend.payments.config import PaymentSettings, PaymentsRuntime
from backend.payments.outbox import install_runtime
from backend.payments.sandbox import SandboxProvider
from backend.payments.settlement import settle_session
from backend.security import Principal, issue_access_token
from backend.services.events import InProcessEventBus
from backend.settings import Settings
from tests.support.backend import asgi_client, create_schema

WEBHOOK_SECRET = "whsec-test-0123456789abcdef"


class Clock:
    """A clock tests move by hand (UTC)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@dataclass
class FakeCharging:
    """The charging layer as payments sees it: remote start creates the session row."""

    refuse: DomainError | None = None
    starts: list[dict[str, object]] = field(default_factory=list)
    stops: list[int] = field(default_factory=list)

    async def remote_start(
        self,
        ctx: AppContext,
        *,
        charger_id: int,
        connector_no: int,
        id_tag: str,
        driver_id: int | None,
    ) -> int:
        self.starts.append(
            {"charger_id": charger_id, "connector_no": connector_no, "id_tag": id_tag}
        )
        if self.refuse is not None:
            raise self.refuse
        async with ctx.sessions() as db:
            charger = await db.get(Charger, charger_id)
            assert charger is not None
            row = ChargingSession(
                operator_id=charger.operator_id,
                station_id=charger.station_id,
                charger_id=charger_id,
                connector_no=connector_no,
                driver_id=driver_id,
                id_tag=id_tag,
                status=SessionStatus.ACTIVE,
                started_at=ctx.clock(),
                meter_start_wh=100_000,
            )
            db.add(row)
            await db.commit()
            return row.id

    async def remote_stop(self, ctx: AppContext, *, session_id: int) -> None:
        self.stops.append(session_id)


@dataclass
class PayApp:
    app: FastAPI
    ctx: AppContext
    client: httpx.AsyncClient
    sandbox: SandboxProvider
    charging: FakeCharging
    clock: Clock


def payment_settings(**overrides: object) -> PaymentSettings:
    values: dict[str, object] = {
        "card_hold_minor": 20_000,
        "guest_hold_minor": 30_000,
        "wallet_hold_max_minor": 20_000,
        "outbox_poll_seconds": 3600.0,  # tests wake the worker explicitly (kick) or run it
        "webhook_secret": WEBHOOK_SECRET,
    }
    values.update(overrides)
    return PaymentSettings.model_validate(values)


def make_sandbox(clock: Callable[[], datetime]) -> SandboxProvider:
    return SandboxProvider(
        webhook_secret=WEBHOOK_SECRET,
        clock=lambda: clock().timestamp(),
        retry_base_delay=0.01,
        delivery_attempts=3,
    )


@asynccontextmanager
async def pay_app(
    settings: Settings,
    *,
    sandbox: SandboxProvider | None = None,
    clock: Clock | None = None,
    charging: FakeCharging | None = None,
    payments: PaymentSettings | None = None,
    create: bool = True,
) -> AsyncIterator[PayApp]:
    """A running backend whose payments use ``sandbox`` (webhooks POSTed to its endpoint)."""
    if create:
        await create_schema(settings)
    clock = clock or Clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    sandbox = sandbox or make_sandbox(clock)
    charging = charging or FakeCharging()
    engine = create_engine(settings)
    ctx = AppContext(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        events=InProcessEventBus(),
        clock=clock,
    )
    install_runtime(
        ctx,
        PaymentsRuntime(
            settings=payments or payment_settings(), provider=sandbox, charging=charging
        ),
    )
    app = create_app(settings, context=ctx)
    async with app.router.lifespan_context(app), asgi_client(app) as client:

        async def deliver(body: bytes, headers: dict[str, str]) -> None:
            response = await client.post(
                "/api/v1/payments/webhooks/sandbox", content=body, headers=headers
            )
            response.raise_for_status()

        sandbox.delivery = deliver
        try:
            yield PayApp(app, ctx, client, sandbox, charging, clock)
        finally:
            await sandbox.flush()
            sandbox.delivery = None


def driver_headers(settings: Settings, driver_id: int) -> dict[str, str]:
    token = issue_access_token(settings, Principal("driver", driver_id), now=utcnow())
    return {"Authorization": f"Bearer {token}"}


def staff_headers(settings: Settings, principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_access_token(settings, principal, now=utcnow())}"}


async def charger_online(ctx: AppContext, ocpp_id: str, status: str = "Available") -> None:
    """Mark the charger online with every connector in ``status`` (what boot + status do)."""
    async with ctx.sessions() as db:
        charger = await db.scalar(select(Charger).where(Charger.ocpp_id == ocpp_id))
        assert charger is not None
        charger.is_online = True
        for connector in await db.scalars(
            select(Connector).where(Connector.charger_id == charger.id)
        ):
            connector.ocpp_status = status
        await db.commit()


async def meter(ctx: AppContext, session_id: int, energy_wh: int) -> None:
    """A MeterValues sample at the clock's now: ``energy_wh`` delivered since start."""
    async with ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None
        db.add(
            MeterSample(
                session_id=session_id,
                sampled_at=ctx.clock(),
                energy_wh=row.meter_start_wh + energy_wh,
                power_w=11_000.0,
            )
        )
        row.energy_wh = energy_wh
        await db.commit()


async def stop(
    ctx: AppContext, session_id: int, energy_wh: int, *, wake: bool = True
) -> PaymentIntent | None:
    """StopTransaction: close the session and settle it in one transaction, then wake the
    outbox (``wake=False`` is a crash right after the commit)."""
    async with ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None
        if row.status == SessionStatus.ACTIVE:
            row.status = SessionStatus.COMPLETED
            row.stopped_at = ctx.clock()
            row.meter_stop_wh = row.meter_start_wh + energy_wh
            row.energy_wh = energy_wh
        intent = await settle_session(db, row, now=ctx.clock(), events=ctx.events)
        await db.commit()
    if wake:
        notify(ctx)
    return intent


async def wait_for(predicate: Callable[[], object], *, timeout: float = 10.0) -> None:
    """Wait (bounded) until the async ``predicate()`` is truthy."""
    async with asyncio.timeout(timeout):
        while True:
            result = predicate()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.02)


async def intent_of(ctx: AppContext, session_id: int) -> PaymentIntent:
    async with ctx.sessions() as db:
        intent = await db.scalar(
            select(PaymentIntent).where(PaymentIntent.session_id == session_id)
        )
    assert intent is not None
    return intent
