"""The outbox worker: runs pending provider calls until the provider has answered each.

It runs as an app lifecycle (:func:`payments_lifecycle`), wakes every
``outbox_poll_seconds`` or when :meth:`PaymentsRuntime.kick` is called after a commit, and on
start-up immediately picks up whatever a previous process left behind — which is how a
capture survives a crash between the session stop and the capture call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from backend.context import AppContext
from backend.db.models import OperationStatus, PaymentIntent
from backend.payments.charging_adapter import default_charging_port
from backend.payments.config import (
    RUNTIME_KEY,
    PaymentSettings,
    PaymentsRuntime,
    derived_webhook_secret,
    runtime_of,
)
from backend.payments.operations import due_operations, run_operation
from backend.payments.reconcile import enforce_budgets, release_orphans, settle_finished
from backend.payments.sandbox import SandboxProvider, WebhookDelivery, http_delivery
from backend.payments.settlement import payment_display_status
from backend.payments.webhooks import handle_webhook
from backend.services.events import Audience

log = logging.getLogger(__name__)


async def run_due(ctx: AppContext) -> int:
    """One worker pass: settle ended sessions, stop over-budget ones, release orphaned
    holds, then run every operation due now once; returns how many operations were
    attempted."""
    runtime = runtime_of(ctx)
    await settle_finished(ctx, limit=runtime.settings.outbox_batch)
    await enforce_budgets(ctx, limit=runtime.settings.outbox_batch)
    await release_orphans(ctx, limit=runtime.settings.outbox_batch)
    ids = await due_operations(ctx, limit=runtime.settings.outbox_batch)
    for op_id in ids:
        op = await run_operation(ctx, op_id)
        if op.status == OperationStatus.SUCCEEDED and op.step in ("capture", "release"):
            await _announce(ctx, op.payment_id)
    return len(ids)


async def _announce(ctx: AppContext, payment_id: int) -> None:
    async with ctx.sessions() as db:
        intent = await db.get(PaymentIntent, payment_id)
    if intent is None or intent.driver_id is None or intent.session_id is None:
        return
    ctx.events.publish(
        "session.payment",
        {
            "session_id": intent.session_id,
            "status": payment_display_status(intent.status),
            "amount_minor": intent.captured_minor,
            "currency": intent.currency,
        },
        Audience.driver(intent.driver_id),
    )


async def _worker(ctx: AppContext, runtime: PaymentsRuntime, stop: asyncio.Event) -> None:
    poll = runtime.settings.outbox_poll_seconds
    while not stop.is_set():
        runtime.wake.clear()
        try:
            attempted = await run_due(ctx)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A database hiccup must not kill the worker; the rows are still there.
            log.exception("payment outbox pass failed")
            attempted = 0
        if attempted:
            # Something ran: more may be due now (a batch limit, or follow-up operations
            # such as the release of an abandoned hold). Failed ones were pushed back.
            continue
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll):
                await runtime.wake.wait()


_STOP_GRACE_SECONDS = 10.0


def install_runtime(ctx: AppContext, runtime: PaymentsRuntime) -> PaymentsRuntime:
    """Give ``ctx`` a prepared runtime (tests share one sandbox between two apps this way)."""
    ctx.extensions[RUNTIME_KEY] = runtime
    return runtime


def default_runtime(ctx: AppContext, settings: PaymentSettings | None = None) -> PaymentsRuntime:
    """The runtime an app gets unless one was installed: the sandbox provider, webhooks
    POSTed to ``webhook_url`` or handed to this app in-process, and the OCPP remote start."""
    settings = settings or PaymentSettings()
    secret = settings.webhook_secret or derived_webhook_secret(ctx.settings.secret_key)
    delivery: WebhookDelivery
    if settings.webhook_url:
        delivery = http_delivery(settings.webhook_url)
    else:

        async def delivery(body: bytes, headers: dict[str, str]) -> None:
            await handle_webhook(ctx, "sandbox", body, headers)

    provider = SandboxProvider(
        webhook_secret=secret,
        delivery=delivery,
        clock=time.time,
        state_file=ctx.settings.data_dir / "sandbox-provider.json",
    )
    return PaymentsRuntime(
        settings=settings,
        provider=provider,
        charging=default_charging_port(),
        owns_provider=True,
    )


@asynccontextmanager
async def payments_lifecycle(ctx: AppContext) -> AsyncIterator[None]:
    """Background service: sets up payments on the app and runs the outbox worker."""
    runtime = ctx.extensions.get(RUNTIME_KEY)
    if not isinstance(runtime, PaymentsRuntime):
        runtime = install_runtime(ctx, default_runtime(ctx))
    stop = asyncio.Event()
    task = asyncio.create_task(_worker(ctx, runtime, stop), name="payments-outbox")
    try:
        yield
    finally:
        # Let the pass in progress finish rather than cancel it mid-query: a cancelled
        # database call leaves the driver's worker thread answering a loop that may be gone.
        stop.set()
        runtime.wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), _STOP_GRACE_SECONDS)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if runtime.owns_provider:
            await runtime.provider.aclose()
