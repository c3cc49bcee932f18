"""OCTT 1.6 CSMS charging-session cases: remote and RFID start/stop, authorisation outcomes,
offline transaction replay, vehicle full, faults — against the real backend and database."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from backend.db.models import ChargingSession, Fault, FaultSource, MeterSample, SessionStatus
from backend.services.events import Audience
from simulators.ocpp import EvSpec, Fleet
from tests.ocpp.conftest import LiveBackend
from tests.ocpp.polling import eventually
from tests.ocpp.support import EventRecorder, fast_config, stored_sample_count


async def session_row(backend: LiveBackend, session_id: int) -> ChargingSession:
    async with backend.ctx.sessions() as s:
        row = await s.get(ChargingSession, session_id)
        assert row is not None
        return row


async def sessions_of(backend: LiveBackend) -> list[ChargingSession]:
    async with backend.ctx.sessions() as s:
        return list((await s.scalars(select(ChargingSession).order_by(ChargingSession.id))).all())


async def sample_count(backend: LiveBackend, session_id: int) -> int:
    async with backend.ctx.sessions() as s:
        n = await s.scalar(
            select(func.count())
            .select_from(MeterSample)
            .where(MeterSample.session_id == session_id)
        )
        return int(n or 0)


async def wait_status(backend: LiveBackend, session_id: int, status: str) -> ChargingSession:
    """Poll the database until the session reaches ``status``."""
    row = await session_row(backend, session_id)
    for _ in range(500):
        if row.status == status:
            return row
        await asyncio.sleep(0.02)
        row = await session_row(backend, session_id)
    raise AssertionError(f"session {session_id} stayed {row.status}, wanted {status}")


BIG_EV: dict[str, Any] = {"ev": EvSpec(battery_kwh=300, soc_start=0.1, max_kw=11)}


async def test_tc_010_012_driver_remote_start_then_remote_stop(backend: LiveBackend) -> None:
    net = backend.network
    driver_events = EventRecorder(backend.ctx.events, Audience.driver(net.driver_id))
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(**BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        async with backend.http("driver") as api:
            r = await api.post("/api/v1/remote/start", json={"ocpp_id": "CP-1", "connector_no": 1})
            assert r.status_code == 200, r.text
            started = r.json()
            assert started["status"] == "Accepted"
            session_id = started["session"]["id"]
            assert started["session"]["driver_id"] == net.driver_id
            await wait_status(backend, session_id, SessionStatus.ACTIVE)
            updates = await driver_events.wait_for("session.updated", 3)
            assert updates[-1]["id"] == session_id and updates[-1]["energy_wh"] > 0
            assert driver_events.of("session.started")[0]["id"] == session_id

            async with backend.http("other_driver") as other:
                r = await other.post("/api/v1/remote/stop", json={"session_id": session_id})
                assert r.status_code == 404
            r = await api.post("/api/v1/remote/stop", json={"session_id": session_id})
            assert r.status_code == 200 and r.json()["status"] == "Accepted"
            row = await wait_status(backend, session_id, SessionStatus.COMPLETED)
        await eventually(lambda: fleet.records("CP-1")[0].stop_acknowledged)
        record = fleet.records("CP-1")[0]
    assert record.transaction_id == session_id and record.started_by == "remote"
    assert row.stop_reason == "Remote"
    assert row.energy_wh == record.energy_wh
    assert row.cost_minor > 0  # 1.20 CNY per kWh
    assert await sample_count(backend, session_id) >= len(record.samples)
    await driver_events.wait_for("session.stopped")
    await driver_events.close()


async def test_tc_004_rfid_start_and_stop_belongs_to_the_cards_driver(
    backend: LiveBackend,
) -> None:
    net = backend.network
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(**BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        assert await fleet.swipe_rfid("CP-1", 1, "CARD-OK") == "started"
        await eventually(lambda: fleet.records("CP-1")[0].transaction_id is not None)
        record = fleet.records("CP-1")[0]
        assert record.transaction_id is not None
        await eventually(lambda: len(record.samples) >= 3)
        assert await fleet.swipe_rfid("CP-1", 1, "CARD-OK") == "stopped"
        row = await wait_status(backend, record.transaction_id, SessionStatus.COMPLETED)
    assert row.driver_id == net.driver_id and row.card_id is not None
    assert row.stop_reason == "Local"
    assert row.meter_start_wh == record.meter_start_wh
    assert row.meter_stop_wh == record.meter_stop_wh


async def test_tc_023_blocked_expired_and_unknown_cards_cannot_start(
    backend: LiveBackend,
) -> None:
    net = backend.network
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config()) as fleet:
        await fleet.wait_ready(timeout=10)
        assert await fleet.swipe_rfid("CP-1", 1, "CARD-BLOCKED") == "Blocked"
        assert await fleet.swipe_rfid("CP-1", 1, "CARD-EXPIRED") == "Expired"
        assert await fleet.swipe_rfid("CP-1", 1, "NO-SUCH-CARD") == "Invalid"
    assert fleet.records("CP-1") == []
    assert await sessions_of(backend) == []


async def test_tc_039_offline_transaction_is_replayed_without_duplicates(
    backend: LiveBackend,
) -> None:
    net = backend.network
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(**BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-1", 1, "CARD-OK")
        record = fleet.records("CP-1")[0]
        await eventually(lambda: record.meter_values_acknowledged >= 2)
        await fleet.go_offline("CP-1")
        await eventually(lambda: not fleet.station("CP-1").online)
        acked = record.meter_values_acknowledged
        await eventually(lambda: len(record.samples) >= acked + 5)
        assert await fleet.swipe_rfid("CP-1", 1, "CARD-OK") == "stopped"
        assert fleet.station("CP-1").outbox.pending_transaction_messages >= 6
        await fleet.go_online("CP-1")
        await eventually(lambda: record.stop_acknowledged)
    assert record.transaction_id is not None
    row = await session_row(backend, record.transaction_id)
    assert row.status == SessionStatus.COMPLETED
    assert row.meter_stop_wh == record.meter_stop_wh
    assert row.energy_wh == record.energy_wh
    # Every sample stored once (the Transaction.Begin/End readings of StopTransaction add two).
    assert await sample_count(backend, row.id) == stored_sample_count(record)
    assert len(await sessions_of(backend)) == 1


async def test_offline_start_is_recorded_when_the_charger_reconnects(
    backend: LiveBackend,
) -> None:
    net = backend.network
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(**BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.go_offline("CP-1")
        await eventually(lambda: not fleet.station("CP-1").online)
        # LocalAuthorizeOffline: the card works while the backend cannot be asked.
        assert await fleet.swipe_rfid("CP-1", 1, "CARD-OK") == "started"
        record = fleet.records("CP-1")[0]
        await eventually(lambda: len(record.samples) >= 3)
        await fleet.go_online("CP-1")
        await eventually(lambda: record.transaction_id is not None)
        await eventually(lambda: record.meter_values_acknowledged >= 3)
    assert record.transaction_id is not None
    row = await session_row(backend, record.transaction_id)
    assert row.driver_id == net.driver_id
    # The transaction starts when the card was swiped offline, not when the backend heard of it.
    assert abs((row.started_at - record.started_at).total_seconds()) < 0.01


async def test_vehicle_full_suspends_then_ends_the_session(backend: LiveBackend) -> None:
    net = backend.network
    config = fast_config(
        time_scale=6000.0, ev=EvSpec(battery_kwh=10, soc_start=0.9, soc_target=1.0, max_kw=11)
    )
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], config) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-1", 1, "CARD-OK")
        record = fleet.records("CP-1")[0]
        await eventually(lambda: record.stop_acknowledged, timeout=20)
    assert record.transaction_id is not None
    row = await session_row(backend, record.transaction_id)
    assert row.status == SessionStatus.COMPLETED and row.idle_since is not None
    assert row.last_soc == 100 and row.energy_wh == record.energy_wh


async def test_fault_ends_session_and_opens_then_clears_an_operator_fault(
    backend: LiveBackend,
) -> None:
    net = backend.network
    ops = EventRecorder(backend.ctx.events, Audience.operator(net.operator_id))
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(**BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-1", 1, "CARD-OK")
        record = fleet.records("CP-1")[0]
        await eventually(lambda: record.transaction_id is not None)
        await fleet.inject_fault("CP-1", 1, "GroundFailure")
        opened = await ops.wait_for("fault.opened")
        assert opened[0]["error_code"] == "GroundFailure" and opened[0]["connector_no"] == 1
        await eventually(lambda: record.stop_acknowledged)
        await fleet.clear_fault("CP-1", 1)
        await ops.wait_for("fault.cleared")
    async with backend.ctx.sessions() as s:
        fault = (await s.scalars(select(Fault))).one()
    assert fault.source == FaultSource.CHARGER and fault.cleared_at is not None
    assert record.transaction_id is not None
    assert (await session_row(backend, record.transaction_id)).stop_reason == "Other"
    await ops.close()
