"""Crash and retry: in every case exactly one capture and a balanced ledger."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from backend.db.models import (
    ChargingSession,
    IdempotencyRecord,
    PaymentCapture,
    PaymentOperation,
    PaymentStatus,
    SessionStatus,
    WalletEntry,
    WebhookEvent,
)
from backend.payments import notify
from backend.payments.idempotency import request_hash
from backend.payments.outbox import run_due
from backend.payments.provider import SIGNATURE_HEADER, sign_webhook
from backend.settings import Settings
from tests.payments.support import (
    Clock,
    PayApp,
    charger_online,
    driver_headers,
    intent_of,
    make_sandbox,
    pay_app,
    stop,
    wait_for,
)
from tests.payments.test_flows import start, top_up, wallet
from tests.support.builders import World, build_world


async def _state(pa: PayApp, session_id: int) -> PaymentStatus:
    return PaymentStatus((await intent_of(pa.ctx, session_id)).status)


async def _count(pa: PayApp, model: type, *where: object) -> int:
    async with pa.ctx.sessions() as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_provider_down_at_capture_session_closes_and_capture_is_retried(
    pa: PayApp, world: World
) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    pa.sandbox.down = True
    pa.clock.advance(minutes=30)
    await stop(pa.ctx, session_id, 4_000)

    async def attempted() -> bool:
        async with pa.ctx.sessions() as db:
            op = await db.scalar(select(PaymentOperation).where(PaymentOperation.step == "capture"))
        return op is not None and op.attempts >= 1 and op.last_error is not None

    await wait_for(attempted)
    async with pa.ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None and row.status == SessionStatus.COMPLETED
    headers = driver_headers(pa.ctx.settings, world.driver.id)
    r = await pa.client.get(f"/api/v1/sessions/{session_id}/payment", headers=headers)
    assert r.json()["state"] == "pending"
    r = await pa.client.get(f"/api/v1/sessions/{session_id}/receipt", headers=headers)
    assert r.json()["payment_state"] == "pending" and r.json()["charged_minor"] == 600

    # Still down on the next retries; then the provider comes back.
    for _ in range(2):
        pa.clock.advance(hours=1)
        notify(pa.ctx)
        await wait_for(lambda: _attempts_at_least(pa, 2))
    pa.sandbox.down = False
    pa.clock.advance(hours=1)
    notify(pa.ctx)
    await wait_for(lambda: _is_captured(pa, session_id))
    assert [p.amount_captured for p in pa.sandbox.succeeded("capture")] == [600]
    assert await _count(pa, PaymentCapture) == 1


async def _attempts_at_least(pa: PayApp, n: int) -> bool:
    async with pa.ctx.sessions() as db:
        op = await db.scalar(select(PaymentOperation).where(PaymentOperation.step == "capture"))
    return op is not None and op.attempts >= n


async def _is_captured(pa: PayApp, session_id: int) -> bool:
    return await _state(pa, session_id) == PaymentStatus.CAPTURED


async def test_capture_answer_lost_in_a_timeout_is_applied_once(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    pa.sandbox.fail_next("capture", "timeout")  # the provider captures, the answer is lost
    pa.clock.advance(minutes=10)
    await stop(pa.ctx, session_id, 2_000)
    # The provider's webhook (or the worker's retry with the same key) finishes it.
    await pa.sandbox.flush()
    pa.clock.advance(hours=1)
    notify(pa.ctx)
    await wait_for(lambda: _is_captured(pa, session_id))
    await pa.sandbox.flush()
    assert len(pa.sandbox.succeeded("capture")) == 1
    keys = {key for op, key in pa.sandbox.calls if op == "capture"}
    assert len(keys) == 1  # every attempt carried the same idempotency key
    assert await _count(pa, PaymentCapture) == 1
    assert (await intent_of(pa.ctx, session_id)).captured_minor == 300


async def test_crash_between_stop_and_capture_is_finished_by_the_next_process(
    settings: Settings, tmp_path: Path
) -> None:
    clock = Clock(datetime(2026, 3, 2, 1, tzinfo=UTC))
    sandbox = make_sandbox(clock)  # the provider outlives our process
    async with pay_app(settings, sandbox=sandbox, clock=clock) as first:
        world = await build_world(first.app)
        await charger_online(first.ctx, world.charger.ocpp_id)
        _status, started = await start(first, world, "card")
        session_id = started["session_id"]
        clock.advance(minutes=20)
        # StopTransaction commits (session closed, capture in the outbox) ... and the process
        # dies before the worker runs: no wake-up, and the worker is discarded with the app.
        await stop(first.ctx, session_id, 3_000, wake=False)
        assert sandbox.succeeded("capture") == []
    assert sandbox.succeeded("capture") == []

    async with pay_app(settings, sandbox=sandbox, clock=clock, create=False) as second:
        # The new process's worker picks the capture up on start-up.
        await wait_for(lambda: _is_captured(second, session_id))
        assert [p.amount_captured for p in sandbox.succeeded("capture")] == [450]
        assert await _count(second, PaymentCapture) == 1
        r = await second.client.get(
            f"/api/v1/sessions/{session_id}/payment",
            headers=driver_headers(settings, world.driver.id),
        )
        assert r.json()["state"] == "paid"


async def test_session_ended_without_settlement_is_settled_by_the_worker(
    pa: PayApp, world: World
) -> None:
    """Even a stop written without calling settle (e.g. an older code path) gets billed."""
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    pa.clock.advance(minutes=20)
    async with pa.ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None
        row.status = SessionStatus.COMPLETED
        row.stopped_at = pa.clock()
        row.meter_stop_wh = row.meter_start_wh + 1_000
        row.energy_wh = 1_000
        await db.commit()
    notify(pa.ctx)
    await wait_for(lambda: _is_captured(pa, session_id))
    assert [p.amount_captured for p in pa.sandbox.succeeded("capture")] == [150]


async def test_redelivered_webhooks_change_nothing(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    pa.clock.advance(minutes=10)
    await stop(pa.ctx, started["session_id"], 2_000)
    await wait_for(lambda: _is_captured(pa, started["session_id"]))
    await pa.sandbox.flush()
    seen = await _count(pa, WebhookEvent)
    assert seen == len(pa.sandbox.events) == 2  # authorized, captured
    for _event_id, body in pa.sandbox.events:
        headers = {
            SIGNATURE_HEADER: sign_webhook(
                pa.sandbox.webhook_secret, body, int(pa.clock().timestamp())
            )
        }
        r = await pa.client.post("/api/v1/payments/webhooks/sandbox", content=body, headers=headers)
        assert r.status_code == 200 and r.json() == {"received": True, "duplicate": True}
    assert await _count(pa, WebhookEvent) == seen
    assert await _count(pa, PaymentCapture) == 1


async def test_forged_or_stale_webhooks_are_refused(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    ref = (await intent_of(pa.ctx, session_id)).provider_ref
    pa.sandbox.down = True  # the capture stays pending: a forged "captured" must not finish it
    await stop(pa.ctx, session_id, 2_000)
    await wait_for(lambda: _attempts_at_least(pa, 1))
    before = await _count(pa, WebhookEvent)
    body = (
        b'{"id": "evt_forged", "type": "payment.captured", "created": 0, "data": {"ref": "'
        + str(ref).encode()
        + b'", "status": "captured", "currency": "CNY", "amount_authorized": 20000,'
        b' "amount_captured": 300, "amount_refunded": 0}}'
    )
    now = int(pa.clock().timestamp())
    attempts = [
        {SIGNATURE_HEADER: sign_webhook("not-the-secret", body, now)},
        {SIGNATURE_HEADER: sign_webhook(pa.sandbox.webhook_secret, body, now - 3600)},
        {SIGNATURE_HEADER: "t=1,v1=00"},
        {},
    ]
    for headers in attempts:
        r = await pa.client.post("/api/v1/payments/webhooks/sandbox", content=body, headers=headers)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "webhook_rejected"
    assert await _count(pa, WebhookEvent) == before
    assert await _state(pa, session_id) == PaymentStatus.CAPTURE_PENDING


async def test_same_idempotency_key_returns_the_first_answer(pa: PayApp, world: World) -> None:
    key = {"Idempotency-Key": "2d1f0a9e-start-1"}
    first_status, first = await start(pa, world, "card", **key)
    again_status, again = await start(pa, world, "card", **key)
    assert first_status == again_status == 201
    assert again == first
    assert len(pa.charging.starts) == 1
    assert sum(1 for op, _ in pa.sandbox.calls if op == "authorize") == 1

    # The same key for a different request is refused.
    status, body = await start(pa, world, "wallet", **key)
    assert status == 422 and body["error"]["code"] == "idempotency_key_reused"

    # A decline is an answer too: replayed, not retried.
    declined = {"Idempotency-Key": "2d1f0a9e-start-2"}
    s1, b1 = await start(pa, world, "card", token="pm_card_declined", **declined)
    s2, b2 = await start(pa, world, "card", token="pm_card_declined", **declined)
    assert s1 == s2 == 402 and b1 == b2
    assert sum(1 for op, _ in pa.sandbox.calls if op == "authorize") == 2

    # A top-up retried with its key credits the wallet once.
    one = await top_up(pa, world, 5_000, key="topup-1")
    two = await top_up(pa, world, 5_000, key="topup-1")
    assert one == two
    assert (await wallet(pa, world))["balance_minor"] == 5_000


async def test_two_stops_racing_capture_once_card(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    pa.clock.advance(minutes=30)
    await asyncio.gather(*(stop(pa.ctx, session_id, 6_000) for _ in range(2)))
    await wait_for(lambda: _is_captured(pa, session_id))
    await pa.sandbox.flush()
    assert [p.amount_captured for p in pa.sandbox.succeeded("capture")] == [900]
    assert await _count(pa, PaymentOperation, PaymentOperation.step == "capture") == 1
    assert await _count(pa, PaymentCapture) == 1


async def test_two_stops_racing_capture_once_wallet(pa: PayApp, world: World) -> None:
    await top_up(pa, world, 10_000)
    _status, started = await start(pa, world, "wallet")
    session_id = started["session_id"]
    pa.clock.advance(minutes=30)
    await asyncio.gather(*(stop(pa.ctx, session_id, 6_000) for _ in range(3)))
    async with pa.ctx.sessions() as db:
        entries = [
            (e.kind, e.amount_minor)
            for e in await db.scalars(select(WalletEntry).order_by(WalletEntry.id))
        ]
    assert entries == [
        ("topup", 10_000),
        ("hold", -10_000),
        ("hold_release", 10_000),
        ("charge", -900),
    ]
    assert (await wallet(pa, world))["balance_minor"] == 10_000 - 900
    assert await _count(pa, PaymentCapture) == 1


async def test_start_abandoned_on_timeout_is_released_when_the_hold_appears(
    pa: PayApp, world: World
) -> None:
    pa.sandbox.fail_next("authorize", "timeout")  # the hold is placed, the answer is lost
    status, body = await start(pa, world, "card")
    assert status == 503 and body["error"]["code"] == "payment_unavailable"
    assert pa.charging.starts == []
    pa.clock.advance(hours=1)
    notify(pa.ctx)
    await wait_for(lambda: all(p.status == "released" for p in pa.sandbox.payments.values()))
    assert len(pa.sandbox.payments) == 1
    # A retry without a key is a new start and works.
    status, body = await start(pa, world, "card")
    assert status == 201


async def test_topup_answer_lost_is_credited_exactly_once(pa: PayApp, world: World) -> None:
    pa.sandbox.fail_next("authorize", "timeout")
    r = await pa.client.post(
        "/api/v1/wallet/topups",
        json={"amount_minor": 8_000, "currency": "CNY", "payment_method_token": "pm_card_ok"},
        headers=driver_headers(pa.ctx.settings, world.driver.id),
    )
    assert r.status_code == 202 and r.json()["payment"]["state"] == "processing"
    assert r.json()["wallet"]["balance_minor"] == 0
    pa.clock.advance(hours=1)
    notify(pa.ctx)

    async def credited() -> bool:
        return (await wallet(pa, world))["balance_minor"] == 8_000

    await wait_for(credited)
    await pa.sandbox.flush()
    assert len(pa.sandbox.succeeded("authorize")) == 1
    assert await _count(pa, WalletEntry) == 1


async def test_a_request_still_in_flight_is_not_run_twice_until_abandoned(
    pa: PayApp, world: World
) -> None:
    body = {
        "ocpp_id": world.charger.ocpp_id,
        "connector_no": 1,
        "pay_with": "card",
        "payment_method_token": "pm_card_ok",
    }
    async with pa.ctx.sessions() as db:
        db.add(
            IdempotencyRecord(
                scope=f"driver:{world.driver.id}",
                key="in-flight-1",
                request_hash=request_hash("POST", "/api/v1/charge/start", body),
                created_at=pa.clock(),
            )
        )
        await db.commit()
    status, answer = await start(pa, world, "card", **{"Idempotency-Key": "in-flight-1"})
    assert status == 409 and "still being processed" in answer["error"]["message"]
    assert pa.sandbox.calls == []
    pa.clock.advance(minutes=6)  # the process that reserved it died long ago
    status, answer = await start(pa, world, "card", **{"Idempotency-Key": "in-flight-1"})
    assert status == 201
    replay_status, replay = await start(pa, world, "card", **{"Idempotency-Key": "in-flight-1"})
    assert (replay_status, replay) == (201, answer)
    assert len(pa.charging.starts) == 1


async def test_hold_of_a_start_that_died_before_the_charger_is_released(
    pa: PayApp, world: World
) -> None:
    """The process died between the authorization and the remote start: no session ever
    came of it, so the worker gives the hold back after a while."""
    hang = asyncio.Event()

    async def never_returns(*_args: object, **_kwargs: object) -> int:
        await hang.wait()
        raise AssertionError("unreachable")

    pa.charging.remote_start = never_returns  # type: ignore[method-assign]
    task = asyncio.create_task(start(pa, world, "card"))
    await wait_for(lambda: len(pa.sandbox.payments) == 1)
    # Simulate the crash: the request's task is gone, nothing after the authorization ran.
    # (Cancelling would run the clean-up path; a real crash does not.)
    await pa.sandbox.flush()
    ref = next(iter(pa.sandbox.payments))
    assert pa.sandbox.payments[ref].status == "authorized"
    pa.clock.advance(minutes=5)
    await run_due(pa.ctx)
    assert pa.sandbox.payments[ref].status == "authorized"  # too early: may still be starting
    pa.clock.advance(minutes=10)
    notify(pa.ctx)
    await wait_for(lambda: pa.sandbox.payments[ref].status == "released")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
