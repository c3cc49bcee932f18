"""A backend that stops between the charger's start and linking the payment still bills.

A paid start holds the money, has the charger start under the id tag ``PAY<payment>``, then
links the payment to the session. If the process dies between the last two steps, the
session runs unlinked: at its stop it must still be billed from the hold (not charged
nothing), and the reconciler must not give the hold back while the session runs.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.db.models import ChargingSession, PaymentIntent, PaymentPurpose, PaymentStatus
from backend.payments import billing
from backend.payments.reconcile import ORPHAN_AFTER, release_orphans
from tests.payments.support import PayApp, intent_of, meter, stop
from tests.payments.test_flows import start, top_up, wallet
from tests.support.builders import World


async def _crash_before_linking(pa: PayApp, world: World, monkeypatch: pytest.MonkeyPatch) -> int:
    async def dies(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the backend process died here")

    await top_up(pa, world, 15_000)
    with monkeypatch.context() as patch, pytest.raises(RuntimeError, match="died"):
        patch.setattr(billing, "_link", dies)
        await start(pa, world, "wallet")  # no answer: the process is gone
    assert len(pa.charging.starts) == 1  # the charger started all the same
    async with pa.ctx.sessions() as db:
        session_id = await db.scalar(select(ChargingSession.id))
        unlinked = await db.scalar(
            select(PaymentIntent).where(PaymentIntent.purpose == PaymentPurpose.SESSION)
        )
    assert session_id is not None and unlinked is not None
    assert unlinked.session_id is None and unlinked.status == PaymentStatus.AUTHORIZED
    return session_id


async def test_an_unlinked_session_is_billed_at_its_stop(
    pa: PayApp, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = await _crash_before_linking(pa, world, monkeypatch)
    pa.clock.advance(minutes=30)
    await meter(pa.ctx, session_id, 10_000)
    await stop(pa.ctx, session_id, 10_000)
    # 10 kWh in the peak band at 1.50 = 15.00, taken from the hold; the rest given back.
    intent = await intent_of(pa.ctx, session_id)
    assert intent.status == PaymentStatus.CAPTURED and intent.captured_minor == 1_500
    assert await wallet(pa, world) == {"currency": "CNY", "balance_minor": 13_500, "held_minor": 0}


async def test_the_reconciler_links_a_running_unlinked_session_instead_of_releasing(
    pa: PayApp, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = await _crash_before_linking(pa, world, monkeypatch)
    pa.clock.advance(seconds=ORPHAN_AFTER.total_seconds() + 60)  # a long session
    await release_orphans(pa.ctx, limit=10)
    intent = await intent_of(pa.ctx, session_id)  # linked now
    assert intent.status == PaymentStatus.AUTHORIZED
    assert (await wallet(pa, world))["held_minor"] == 15_000  # the hold still covers it
    await meter(pa.ctx, session_id, 4_000)
    await stop(pa.ctx, session_id, 4_000)
    billed = await intent_of(pa.ctx, session_id)
    assert billed.status == PaymentStatus.CAPTURED and billed.captured_minor > 0
