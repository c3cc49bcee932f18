"""MeterValues from many chargers at once go through the batched meter path (on SQLite one
database-thread hand-off per batch, outside the ORM): what it stores, prices and announces
must be what the rest of the backend reads back through the ORM."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from backend.db.models import ChargingSession, MeterSample
from backend.services.events import Audience
from tests.ocpp.conftest import LiveBackend
from tests.ocpp.raw_client import BOOT, RawCharger, open_charger
from tests.ocpp.support import EventRecorder

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def sampled(wh: int) -> list[dict[str, Any]]:
    return [
        {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"},
        {"value": "55", "measurand": "SoC", "unit": "Percent"},
    ]


def meter(tx: int, at: datetime, wh: int) -> dict[str, Any]:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "connectorId": 1,
        "transactionId": tx,
        "meterValue": [{"timestamp": stamp, "sampledValue": sampled(wh)}],
    }


async def started(backend: LiveBackend, ocpp_id: str) -> tuple[RawCharger, int]:
    ws = await open_charger(backend.ocpp_url, ocpp_id, backend.network.chargers[ocpp_id][1])
    charger = RawCharger(ws)
    answer, _ = await charger.call("BootNotification", BOOT)
    assert answer[2]["status"] == "Accepted"
    answer, _ = await charger.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "CARD-OK", "meterStart": 1000, "timestamp": START.isoformat()},
    )
    return charger, int(answer[2]["transactionId"])


async def send_meters(charger: RawCharger, tx: int, readings: list[int]) -> None:
    for i, wh in enumerate(readings):
        answer, _ = await charger.call("MeterValues", meter(tx, START + timedelta(minutes=i), wh))
        assert answer == [3, answer[1], {}], answer


async def test_concurrent_meter_values_are_stored_priced_and_announced(
    backend: LiveBackend,
) -> None:
    driver = EventRecorder(backend.ctx.events, Audience.driver(backend.network.driver_id))
    operator = EventRecorder(backend.ctx.events, Audience.operator(backend.network.operator_id))
    (one, tx1), (two, tx2) = await asyncio.gather(
        started(backend, "CP-1"), started(backend, "CP-2")
    )
    readings = [1000 + 500 * i for i in range(1, 11)]  # up to 5 kWh delivered
    await asyncio.gather(send_meters(one, tx1, readings), send_meters(two, tx2, readings))
    # A re-sent older MeterValues (a charger replaying after a reconnect): acknowledged,
    # stored once, and the session's energy does not move backwards.
    await send_meters(one, tx1, readings[:2])

    async with backend.ctx.sessions() as s:
        rows = (
            await s.scalars(
                select(MeterSample)
                .where(MeterSample.session_id == tx1)
                .order_by(MeterSample.sampled_at)
            )
        ).all()
        sessions = {
            row.id: row
            for row in (
                await s.scalars(select(ChargingSession).where(ChargingSession.id.in_([tx1, tx2])))
            ).all()
        }
    assert [r.sampled_at for r in rows] == [START + timedelta(minutes=i) for i in range(10)]
    assert [r.energy_wh for r in rows] == readings
    assert rows[0].power_w == 7400.0 and rows[0].soc == 55
    assert rows[0].raw == sampled(readings[0])
    for tx in (tx1, tx2):
        row = sessions[tx]
        assert row.energy_wh == 5000 and row.last_power_w == 7400.0 and row.last_soc == 55
        assert row.energy_cost_minor == 600 and row.cost_minor == 600  # 5 kWh × 1.20 CNY

    updates = await driver.wait_for("session.updated", 20)
    last = [u for u in updates if u["id"] == tx1][-1]
    assert last["energy_wh"] == 5000 and last["cost_minor"] == 600
    assert last["last_power_w"] == 7400.0 and last["status"] == "active"
    assert last["started_at"].startswith("2026-01-05T08:00:00")
    assert {u["id"] for u in await operator.wait_for("session.updated", 20)} == {tx1, tx2}
    await driver.close()
    await operator.close()
    await one.ws.close()
    await two.ws.close()


async def test_a_sample_for_another_chargers_session_is_not_stored(backend: LiveBackend) -> None:
    (one, tx1), (two, _tx2) = await asyncio.gather(
        started(backend, "CP-1"), started(backend, "CP-2")
    )
    await send_meters(two, tx1, [9000])  # CP-2 names CP-1's transaction
    async with backend.ctx.sessions() as s:
        row = await s.get(ChargingSession, tx1)
        stored = (await s.scalars(select(MeterSample).where(MeterSample.session_id == tx1))).all()
    assert row is not None and row.energy_wh == 0 and stored == []
    await one.ws.close()
    await two.ws.close()


async def test_running_cost_follows_the_stored_tariff_snapshot(backend: LiveBackend) -> None:
    """The parsed snapshot is cached per session, keyed by the stored snapshot: a different
    stored snapshot is priced with, never a stale copy."""
    charger, tx = await started(backend, "CP-1")
    await send_meters(charger, tx, [2000])
    async with backend.ctx.sessions() as s:
        row = await s.get(ChargingSession, tx)
        assert row is not None and row.cost_minor == 120  # 1 kWh × 1.20
        doubled = {**row.tariff_snapshot, "energy_price": "2.4000"}
        await s.execute(
            update(ChargingSession).where(ChargingSession.id == tx).values(tariff_snapshot=doubled)
        )
        await s.commit()
    answer, _ = await charger.call("MeterValues", meter(tx, START + timedelta(minutes=5), 3000))
    assert answer[0] == 3
    async with backend.ctx.sessions() as s:
        row = await s.get(ChargingSession, tx)
    assert row is not None and row.energy_wh == 2000 and row.cost_minor == 480
    await charger.ws.close()


async def test_an_unreadable_tariff_snapshot_does_not_cost_other_chargers_their_samples(
    backend: LiveBackend,
) -> None:
    (one, tx1), (two, tx2) = await asyncio.gather(
        started(backend, "CP-1"), started(backend, "CP-2")
    )
    async with backend.ctx.sessions() as s:
        await s.execute(
            update(ChargingSession)
            .where(ChargingSession.id == tx1)
            .values(tariff_snapshot={"not": "a snapshot"})
        )
        await s.commit()
    readings = [2000, 3000, 4000]
    await asyncio.gather(send_meters(one, tx1, readings), send_meters(two, tx2, readings))
    async with backend.ctx.sessions() as s:
        rows = {
            row.id: row
            for row in (
                await s.scalars(select(ChargingSession).where(ChargingSession.id.in_([tx1, tx2])))
            ).all()
        }
    assert rows[tx1].energy_wh == 3000 and rows[tx1].cost_minor == 0  # stored, not priced
    assert rows[tx2].energy_wh == 3000 and rows[tx2].cost_minor == 360
    await one.ws.close()
    await two.ws.close()
