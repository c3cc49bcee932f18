"""Refunds are new entries, revenue is the sum of captures, and a session is stopped before
its cost outruns the money held for it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.db.models import AuditLog, ChargingSession, PaymentStatus, WalletEntry
from backend.payments import notify
from backend.payments.outbox import run_due
from backend.payments.revenue import captured_revenue
from tests.payments.support import PayApp, intent_of, staff_headers, stop, wait_for
from tests.payments.test_flows import start, top_up, wallet
from tests.support.builders import World, build_world


async def _captured(pa: PayApp, session_id: int) -> bool:
    return (await intent_of(pa.ctx, session_id)).status == PaymentStatus.CAPTURED


async def test_wallet_refund_is_a_new_entry_and_never_exceeds_the_capture(
    pa: PayApp, world: World
) -> None:
    await top_up(pa, world, 10_000)
    _s, started = await start(pa, world, "wallet")
    pa.clock.advance(minutes=30)
    await stop(pa.ctx, started["session_id"], 4_000)  # 6.00 at peak
    payment_id = started["payment"]["id"]
    admin = staff_headers(pa.ctx.settings, world.admin)
    r = await pa.client.post(
        f"/api/v1/payments/{payment_id}/refunds",
        json={"amount_minor": 200, "reason": "slow charger"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert r.json()["refunded_minor"] == 200
    async with pa.ctx.sessions() as db:
        audited = (
            await db.scalars(select(AuditLog).where(AuditLog.action == "payment.refunded"))
        ).all()
    assert [(e.target_id, e.actor_staff_id) for e in audited] == [(str(payment_id), world.admin.id)]
    r = await pa.client.post(
        f"/api/v1/payments/{payment_id}/refunds", json={"amount_minor": 401}, headers=admin
    )
    assert r.status_code == 422  # only 4.00 left
    assert (await wallet(pa, world))["balance_minor"] == 10_000 - 600 + 200
    async with pa.ctx.sessions() as db:
        kinds = [e.kind for e in await db.scalars(select(WalletEntry).order_by(WalletEntry.id))]
    assert kinds == ["topup", "hold", "hold_release", "charge", "refund"]
    # Plain staff and other operators cannot refund.
    r = await pa.client.post(
        f"/api/v1/payments/{payment_id}/refunds",
        json={"amount_minor": 1},
        headers=staff_headers(pa.ctx.settings, world.staff),
    )
    assert r.status_code == 403
    other = await build_world(pa.app, prefix="b")
    r = await pa.client.post(
        f"/api/v1/payments/{payment_id}/refunds",
        json={"amount_minor": 1},
        headers=staff_headers(pa.ctx.settings, other.admin),
    )
    assert r.status_code == 404


async def test_card_refund_goes_through_the_provider_once(pa: PayApp, world: World) -> None:
    _s, started = await start(pa, world, "card")
    pa.clock.advance(minutes=30)
    await stop(pa.ctx, started["session_id"], 4_000)
    await wait_for(lambda: _captured(pa, started["session_id"]))
    admin = {**staff_headers(pa.ctx.settings, world.admin), "Idempotency-Key": "refund-1"}
    url = f"/api/v1/payments/{started['payment']['id']}/refunds"
    first = await pa.client.post(url, json={"amount_minor": 600}, headers=admin)
    again = await pa.client.post(url, json={"amount_minor": 600}, headers=admin)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["refunded_minor"] == 600
    ref = (await intent_of(pa.ctx, started["session_id"])).provider_ref
    assert ref and pa.sandbox.payments[ref].amount_refunded == 600
    r = await pa.client.post(
        url, json={"amount_minor": 1}, headers=staff_headers(pa.ctx.settings, world.admin)
    )
    assert r.status_code == 422


async def test_revenue_is_the_sum_of_captures_net_of_refunds(pa: PayApp, world: World) -> None:
    begin = pa.clock()
    amounts = []
    for energy in (2_000, 5_000):
        _s, started = await start(pa, world, "card")
        pa.clock.advance(minutes=20)
        await stop(pa.ctx, started["session_id"], energy)
        await wait_for(lambda sid=started["session_id"]: _captured(pa, sid))
        amounts.append((await intent_of(pa.ctx, started["session_id"])).captured_minor)
    assert amounts == [300, 750]
    async with pa.ctx.sessions() as db:
        revenue = await captured_revenue(
            db, operator_id=world.operator_id, since=begin, until=pa.clock() + timedelta(seconds=1)
        )
    assert revenue == {"CNY": 1_050}


async def test_over_budget_session_is_stopped_by_the_worker(pa: PayApp, world: World) -> None:
    _s, started = await start(pa, world, "card")
    session_id = started["session_id"]
    async with pa.ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None
        row.cost_minor = 18_000  # the charging layer's running cost: under 95 % of the hold
        await db.commit()
    await run_due(pa.ctx)  # one full worker pass
    assert pa.charging.stops == []
    async with pa.ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
        assert row is not None
        row.cost_minor = 19_100
        await db.commit()
    notify(pa.ctx)
    await wait_for(lambda: pa.charging.stops == [session_id])
