"""Paid sessions end to end: wallet and card, start → meter → stop → capture → receipt."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from backend.db.models import (
    ChargingSession,
    PaymentCapture,
    PaymentStatus,
    SessionStatus,
    WalletEntry,
)
from backend.errors import ChargerRejected
from backend.payments import notify
from backend.payments.settlement import session_budget
from backend.services.events import Audience
from tests.payments.support import (
    PayApp,
    driver_headers,
    intent_of,
    meter,
    staff_headers,
    stop,
    wait_for,
)
from tests.support.builders import World


async def top_up(pa: PayApp, world: World, amount: int, key: str | None = None) -> dict:
    headers = driver_headers(pa.ctx.settings, world.driver.id)
    if key:
        headers["Idempotency-Key"] = key
    r = await pa.client.post(
        "/api/v1/wallet/topups",
        json={"amount_minor": amount, "currency": "CNY", "payment_method_token": "pm_card_ok"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def start(
    pa: PayApp, world: World, pay_with: str, token: str | None = "pm_card_ok", **extra: str
) -> tuple[int, dict]:
    body: dict[str, object] = {
        "ocpp_id": world.charger.ocpp_id,
        "connector_no": 1,
        "pay_with": pay_with,
    }
    if pay_with == "card":
        body["payment_method_token"] = token
    r = await pa.client.post(
        "/api/v1/charge/start",
        json=body,
        headers={**driver_headers(pa.ctx.settings, world.driver.id), **extra},
    )
    return r.status_code, r.json()


async def wallet(pa: PayApp, world: World) -> dict:
    r = await pa.client.get(
        "/api/v1/wallet", headers=driver_headers(pa.ctx.settings, world.driver.id)
    )
    assert r.status_code == 200
    return r.json()


async def test_price_is_shown_before_start_without_signing_in(pa: PayApp, world: World) -> None:
    r = await pa.client.get(
        "/api/v1/charge/quote", params={"ocpp_id": world.charger.ocpp_id, "connector_no": 1}
    )
    assert r.status_code == 200, r.text
    quote = r.json()
    # The clock stands at 09:00 Shanghai: the peak band of the demo tariff.
    assert quote["band_label"] == "peak"
    assert quote["energy_price"] == "1.5000" or float(quote["energy_price"]) == 1.5
    assert quote["startable"] is True
    assert quote["card_hold_minor"] == 20_000


async def test_wallet_session_is_charged_from_a_balanced_ledger(pa: PayApp, world: World) -> None:
    topped = await top_up(pa, world, 15_000)
    assert topped["wallet"]["balance_minor"] == 15_000
    status, started = await start(pa, world, "wallet")
    assert status == 201, started
    assert started["payment"]["state"] == "held"
    assert started["payment"]["held_minor"] == 15_000
    assert (await wallet(pa, world)) == {
        "currency": "CNY",
        "balance_minor": 0,
        "held_minor": 15_000,
    }

    session_id = started["session_id"]
    pa.clock.advance(minutes=30)
    await meter(pa.ctx, session_id, 10_000)
    pa.clock.advance(minutes=30)
    await stop(pa.ctx, session_id, 20_000)

    # 20 kWh during the peak band at 1.50 = 30.00
    assert await wallet(pa, world) == {"currency": "CNY", "balance_minor": 12_000, "held_minor": 0}
    intent = await intent_of(pa.ctx, session_id)
    assert intent.status == PaymentStatus.CAPTURED and intent.captured_minor == 3_000
    async with pa.ctx.sessions() as db:
        kinds = [
            (e.kind, e.amount_minor)
            for e in await db.scalars(select(WalletEntry).order_by(WalletEntry.id))
        ]
        captured = await db.scalar(select(func.sum(PaymentCapture.amount_minor)))
    assert kinds == [
        ("topup", 15_000),
        ("hold", -15_000),
        ("hold_release", 15_000),
        ("charge", -3_000),
    ]
    assert sum(a for _, a in kinds) == 12_000
    assert captured == 3_000

    r = await pa.client.get(
        f"/api/v1/sessions/{session_id}/receipt",
        headers=driver_headers(pa.ctx.settings, world.driver.id),
    )
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["total_minor"] == 3_000 and receipt["charged_minor"] == 3_000
    assert receipt["payment_state"] == "paid" and receipt["pay_with"] == "wallet"
    assert [line["label"] for line in receipt["lines"]] == ["peak"]
    assert receipt["tariff_snapshot"]["timezone"] == "Asia/Shanghai"


async def test_card_session_captures_the_final_cost_and_releases_the_rest(
    pa: PayApp, world: World
) -> None:
    status, started = await start(pa, world, "card")
    assert status == 201, started
    session_id = started["session_id"]
    ref = (await intent_of(pa.ctx, session_id)).provider_ref
    assert ref is not None and pa.sandbox.payments[ref].status == "authorized"
    assert pa.sandbox.payments[ref].amount_authorized == 20_000

    pa.clock.advance(hours=1)
    await stop(pa.ctx, session_id, 12_345)
    await wait_for(lambda: _captured(pa, session_id))
    # 12.345 kWh × 1.50 = 18.5175 → 1851.75 fen → 1852
    assert pa.sandbox.payments[ref].status == "captured"
    assert pa.sandbox.payments[ref].amount_captured == 1_852
    r = await pa.client.get(
        f"/api/v1/sessions/{session_id}/payment",
        headers=driver_headers(pa.ctx.settings, world.driver.id),
    )
    assert r.json()["state"] == "paid" and r.json()["captured_minor"] == 1_852

    r = await pa.client.get(
        f"/api/v1/sessions/{session_id}/receipt.pdf",
        headers=driver_headers(pa.ctx.settings, world.driver.id),
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    # The operator's staff see the same receipt.
    r = await pa.client.get(
        f"/api/v1/sessions/{session_id}/receipt",
        headers=staff_headers(pa.ctx.settings, world.staff),
    )
    assert r.status_code == 200 and r.json()["total_minor"] == 1_852


async def _captured(pa: PayApp, session_id: int) -> bool:
    return (await intent_of(pa.ctx, session_id)).status == PaymentStatus.CAPTURED


async def test_declined_card_starts_nothing_and_says_why(pa: PayApp, world: World) -> None:
    status, body = await start(pa, world, "card", token="pm_card_insufficient_funds")
    assert status == 402
    assert body["error"]["code"] == "payment_declined"
    assert "insufficient funds" in body["error"]["message"]
    assert "not started" in body["error"]["message"]
    assert pa.charging.starts == []
    async with pa.ctx.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(ChargingSession)) == 0


async def test_empty_wallet_cannot_start(pa: PayApp, world: World) -> None:
    status, body = await start(pa, world, "wallet")
    assert status == 402
    assert body["error"]["code"] == "insufficient_balance"
    assert pa.charging.starts == []


async def test_charger_refusing_the_start_gives_the_hold_back(pa: PayApp, world: World) -> None:
    await top_up(pa, world, 5_000)
    pa.charging.refuse = ChargerRejected("The charger rejected the remote start.")
    status, body = await start(pa, world, "wallet")
    assert status == 409 and body["error"]["code"] == "charger_rejected"
    assert await wallet(pa, world) == {"currency": "CNY", "balance_minor": 5_000, "held_minor": 0}

    status, body = await start(pa, world, "card")
    assert status == 409
    await wait_for(
        lambda: all(
            p.status == "released"
            for p in pa.sandbox.payments.values()
            if p.amount_captured == 0 and p.status != "captured"
        )
    )
    holds = [p for p in pa.sandbox.payments.values() if p.amount_authorized == 20_000]
    assert len(holds) == 1 and holds[0].status == "released"


async def test_session_is_stopped_before_its_cost_exceeds_the_hold(
    pa: PayApp, world: World
) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    async with pa.ctx.sessions() as db:
        ok = await session_budget(db, session_id, 15_000)
        near = await session_budget(db, session_id, 19_000)
    assert ok.may_continue and ok.limit_minor == 20_000
    assert not near.may_continue and "limit" in (near.reason or "")


async def test_cost_beyond_the_hold_is_capped_at_the_hold(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    pa.clock.advance(hours=2)
    await stop(pa.ctx, session_id, 150_000)  # 225.00 at peak, hold 200.00
    await wait_for(lambda: _captured(pa, session_id))
    intent = await intent_of(pa.ctx, session_id)
    assert intent.captured_minor == 20_000
    assert intent.shortfall_minor == 2_500


async def test_guest_pays_by_card_and_reads_the_receipt_by_link(pa: PayApp, world: World) -> None:
    r = await pa.client.post(
        "/api/v1/guest/charge/start",
        json={
            "ocpp_id": world.charger.ocpp_id,
            "connector_no": 1,
            "payment_method_token": "pm_card_ok",
        },
    )
    assert r.status_code == 201, r.text
    started = r.json()
    token = started["receipt_token"]
    assert started["payment"]["held_minor"] == 30_000
    r = await pa.client.get(started["status_url"])
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = await pa.client.get(started["receipt_url"])
    assert r.status_code == 409  # still charging

    r = await pa.client.post(f"/api/v1/guest/sessions/{token}/stop")
    assert r.status_code == 202 and pa.charging.stops == [started["session_id"]]
    pa.clock.advance(minutes=40)
    await stop(pa.ctx, started["session_id"], 8_000)
    await wait_for(lambda: _captured(pa, started["session_id"]))
    r = await pa.client.get(started["receipt_url"])
    assert r.status_code == 200 and r.json()["charged_minor"] == 1_200
    r = await pa.client.get(f"/api/v1/guest/receipts/{token}.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = await pa.client.get("/api/v1/guest/receipts/" + "x" * 32)
    assert r.status_code == 404


async def test_idle_fee_after_grace_is_billed_and_itemized(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    pa.clock.advance(minutes=20)
    await meter(pa.ctx, session_id, 5_000)
    async with pa.ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None
        row.idle_since = pa.clock()  # the car went SuspendedEV
        await db.commit()
    pa.clock.advance(minutes=25)  # 10 minutes grace, then 15 billable at 0.50
    await stop(pa.ctx, session_id, 5_000)
    await wait_for(lambda: _captured(pa, session_id))
    r = await pa.client.get(
        f"/api/v1/sessions/{session_id}/receipt",
        headers=driver_headers(pa.ctx.settings, world.driver.id),
    )
    receipt = r.json()
    idle = [line for line in receipt["lines"] if line["kind"] == "idle"]
    assert idle and idle[0]["amount_minor"] == 750
    assert float(receipt["idle_minutes"]) == 15.0
    assert receipt["total_minor"] == 750 + 750  # 5 kWh at 1.50 + idle
    async with pa.ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None and row.status == SessionStatus.COMPLETED
        assert row.idle_cost_minor == 750 and row.cost_minor == 1_500


async def test_failed_to_start_session_releases_everything(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    async with pa.ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None
        row.status = SessionStatus.FAILED  # the car was never plugged in
        await db.commit()
    await stop(pa.ctx, session_id, 0)
    await wait_for(lambda: _released(pa, session_id))
    ref = (await intent_of(pa.ctx, session_id)).provider_ref
    assert ref and pa.sandbox.payments[ref].status == "released"


async def _released(pa: PayApp, session_id: int) -> bool:
    return (await intent_of(pa.ctx, session_id)).status == PaymentStatus.RELEASED


async def test_driver_stream_hears_pending_then_paid(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    pa.sandbox.down = True
    pa.clock.advance(minutes=5)
    await stop(pa.ctx, started["session_id"], 1_000)
    pa.sandbox.down = False
    pa.clock.advance(hours=1)  # past the retry back-off
    notify(pa.ctx)
    await wait_for(lambda: _captured(pa, started["session_id"]))
    seen: list[str] = []
    stream = pa.ctx.events.subscribe(Audience.driver(world.driver.id), last_event_id=0)
    async with asyncio.timeout(5):
        async for event in stream:
            if event.type == "session.payment":
                seen.append(event.data["status"])
            if "paid" in seen:
                break
    assert seen == ["pending", "paid"]
