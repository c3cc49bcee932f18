"""Done-when: reports' revenue equals the sum of captures — after real paid sessions on both
payment methods, a capture that lands after the stop, and a partial refund."""

from __future__ import annotations

from datetime import timedelta

from backend.payments import notify
from backend.payments.revenue import captured_revenue
from tests.payments.support import PayApp, intent_of, staff_headers, stop, wait_for
from tests.payments.test_flows import start, top_up
from tests.support.builders import World


async def _report_revenue(pa: PayApp, world: World) -> tuple[int, int]:
    """(sessions, revenue) of the operator's report over the test clock's days."""
    day = pa.clock().date()
    r = await pa.client.get(
        "/api/v1/reports/summary",
        params={"from": (day - timedelta(days=1)).isoformat(), "to": day.isoformat()},
        headers=staff_headers(pa.ctx.settings, world.admin),
    )
    assert r.status_code == 200, r.text
    totals = r.json()["totals"]
    return totals["sessions"], totals["revenue_minor"]


async def _captures(pa: PayApp, world: World) -> int:
    async with pa.ctx.sessions() as db:
        by_currency = await captured_revenue(
            db,
            operator_id=world.operator_id,
            since=pa.clock() - timedelta(days=2),
            until=pa.clock() + timedelta(days=1),
        )
    return by_currency.get("CNY", 0)


async def test_report_revenue_is_the_sum_of_captures_minus_refunds(
    pa: PayApp, world: World
) -> None:
    await top_up(pa, world, 10_000)
    _s, by_wallet = await start(pa, world, "wallet")
    pa.clock.advance(minutes=30)
    await stop(pa.ctx, by_wallet["session_id"], 4_000)  # the wallet is charged at the stop
    wallet_paid = (await intent_of(pa.ctx, by_wallet["session_id"])).captured_minor
    assert wallet_paid > 0
    assert await _report_revenue(pa, world) == (1, wallet_paid)

    pa.clock.advance(minutes=5)
    _s, by_card = await start(pa, world, "card")
    pa.clock.advance(minutes=40)
    # A crash right after the stop: the card capture waits in the outbox.
    await stop(pa.ctx, by_card["session_id"], 6_000, wake=False)
    # The session is over but its money is not collected yet: no revenue for it.
    assert await _report_revenue(pa, world) == (2, wallet_paid)

    pa.clock.advance(minutes=3)
    notify(pa.ctx)  # the worker comes back and captures with the same key

    async def captured() -> bool:
        return (await intent_of(pa.ctx, by_card["session_id"])).captured_minor > 0

    await wait_for(captured)
    card_paid = (await intent_of(pa.ctx, by_card["session_id"])).captured_minor
    assert await _report_revenue(pa, world) == (2, wallet_paid + card_paid)
    assert await _captures(pa, world) == wallet_paid + card_paid

    r = await pa.client.post(
        f"/api/v1/payments/{by_card['payment']['id']}/refunds",
        json={"amount_minor": 250, "reason": "connector fault"},
        headers=staff_headers(pa.ctx.settings, world.admin),
    )
    assert r.status_code == 201, r.text

    async def refunded() -> bool:
        return (await intent_of(pa.ctx, by_card["session_id"])).refunded_minor == 250

    await wait_for(refunded)
    expected = wallet_paid + card_paid - 250
    assert await _report_revenue(pa, world) == (2, expected)
    assert await _captures(pa, world) == expected
