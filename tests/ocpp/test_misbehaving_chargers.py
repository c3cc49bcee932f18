"""Chargers that misbehave the way real ones do, and what the central system makes of it:
slow answers, refused remote starts, a connection dropped mid-transaction, duplicated
transaction messages, and a charger that goes silent without closing its socket."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.db.models import (
    Charger,
    ChargingSession,
    Fault,
    FaultSource,
    MeterSample,
    SessionStatus,
)
from backend.services.events import Audience
from simulators.ocpp import EvSpec, Fleet, SlowChargePoint
from tests.ocpp.conftest import StartBackend
from tests.ocpp.polling import eventually
from tests.ocpp.support import EventRecorder, fast_config, stored_sample_count

BIG_EV = EvSpec(battery_kwh=300, soc_start=0.1, max_kw=11)


async def samples_of(ctx_sessions: object, session_id: int) -> int:
    async with ctx_sessions() as s:  # type: ignore[operator]
        n = await s.scalar(
            select(func.count())
            .select_from(MeterSample)
            .where(MeterSample.session_id == session_id)
        )
        return int(n or 0)


class VerySlow(SlowChargePoint):
    answer_delay_s = 2.5


async def test_slow_charger_times_out_as_504_and_stays_usable(start_backend: StartBackend) -> None:
    backend = await start_backend(["SLOW-1"], ocpp_call_timeout=0.5)
    net = backend.network
    spec = net.spec("SLOW-1", behaviour="very-slow")
    async with Fleet(
        backend.ocpp_url, [spec], fast_config(), behaviours={"very-slow": VerySlow}
    ) as fleet:
        await fleet.wait_ready(timeout=10)
        async with backend.http("staff") as api:
            r = await api.post(
                f"/api/v1/remote/chargers/{net.charger_id('SLOW-1')}/trigger",
                json={"message": "Heartbeat"},
            )
            assert r.status_code == 504
            assert r.json()["error"]["code"] == "charger_timeout"
        # The charger itself is still connected and its own messages are still served.
        assert await fleet.swipe_rfid("SLOW-1", 1, "CARD-OK") == "started"
        await eventually(lambda: fleet.records("SLOW-1")[0].transaction_id is not None)


async def test_rejected_remote_start_is_409_and_the_session_failed(
    start_backend: StartBackend,
) -> None:
    backend = await start_backend(["REJ-1"])
    net = backend.network
    async with Fleet(
        backend.ocpp_url, [net.spec("REJ-1", behaviour="reject-remote-start")], fast_config()
    ) as fleet:
        await fleet.wait_ready(timeout=10)
        async with backend.http("driver") as api:
            r = await api.post("/api/v1/remote/start", json={"ocpp_id": "REJ-1", "connector_no": 1})
        assert r.status_code == 409 and r.json()["error"]["code"] == "charger_rejected"
    async with backend.ctx.sessions() as s:
        row = (await s.scalars(select(ChargingSession))).one()
    assert row.status == SessionStatus.FAILED and row.driver_id == net.driver_id


async def test_drop_mid_transaction_replays_without_double_counting(
    start_backend: StartBackend,
) -> None:
    backend = await start_backend(["DROP-1"])
    net = backend.network
    spec = net.spec("DROP-1", behaviour="drop-mid-transaction")
    async with Fleet(backend.ocpp_url, [spec], fast_config(ev=BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("DROP-1", 1, "CARD-OK")
        record = fleet.records("DROP-1")[0]
        await eventually(lambda: fleet.station("DROP-1").connections >= 2, timeout=15)
        await fleet.wait_ready(timeout=10)
        await eventually(lambda: len(record.samples) >= 8)
        await fleet.swipe_rfid("DROP-1", 1, "CARD-OK")
        await eventually(lambda: record.stop_acknowledged)
    assert record.transaction_id is not None
    # The sample whose answer was lost reached the backend twice; it is stored once.
    assert await samples_of(backend.ctx.sessions, record.transaction_id) == stored_sample_count(
        record
    )
    async with backend.ctx.sessions() as s:
        row = await s.get(ChargingSession, record.transaction_id)
    assert row is not None and row.energy_wh == record.energy_wh


async def test_duplicated_transaction_messages_change_nothing(start_backend: StartBackend) -> None:
    backend = await start_backend(["DUP-1"])
    net = backend.network
    spec = net.spec("DUP-1", behaviour="duplicate-messages")
    async with Fleet(backend.ocpp_url, [spec], fast_config(ev=BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("DUP-1", 1, "CARD-OK")
        record = fleet.records("DUP-1")[0]
        await eventually(lambda: len(record.samples) >= 4)
        await fleet.swipe_rfid("DUP-1", 1, "CARD-OK")
        await eventually(lambda: record.stop_acknowledged)
        answers = fleet.station("DUP-1").duplicate_answers
    action, first, second = answers[0]
    assert action == "StartTransaction"
    assert first.transaction_id == second.transaction_id == record.transaction_id
    assert any(a[0] == "StopTransaction" for a in answers)
    async with backend.ctx.sessions() as s:
        rows = (await s.scalars(select(ChargingSession))).all()
    assert len(rows) == 1 and rows[0].energy_wh == record.energy_wh
    assert await samples_of(backend.ctx.sessions, rows[0].id) == stored_sample_count(record)


async def test_silent_charger_goes_offline_with_a_fault_that_reconnect_clears(
    start_backend: StartBackend,
) -> None:
    backend = await start_backend(["DEAD-1"], ocpp_ping_interval=0.5)
    net = backend.network
    ops = EventRecorder(backend.ctx.events, Audience.operator(net.operator_id))
    async with Fleet(backend.ocpp_url, [net.spec("DEAD-1")], fast_config()) as fleet:
        await fleet.wait_ready(timeout=10)
        fleet.station("DEAD-1").freeze_network()
        # Ping every 0.5 s with a 0.5 s timeout: offline well within 2 × the ping interval
        # (plus test scheduling slack).
        offline = await ops.wait_for("charger.offline", timeout=5)
        assert offline[0]["ocpp_id"] == "DEAD-1"
        opened = await ops.wait_for("fault.opened")
        assert opened[0]["source"] == "watchdog"
        async with backend.ctx.sessions() as s:
            charger = await s.get(Charger, net.charger_id("DEAD-1"))
            assert charger is not None and not charger.is_online
        fleet.station("DEAD-1").thaw_network()
        await ops.wait_for("charger.online", 2, timeout=10)
        await ops.wait_for("fault.cleared")
    async with backend.ctx.sessions() as s:
        faults = (await s.scalars(select(Fault).order_by(Fault.id))).all()
    # The first fault is the freeze's, cleared by the reconnect. (With 0.5 s pings a loaded
    # machine can miss one more pong later; that opens a fault of its own, never a second
    # one for the freeze.)
    assert faults and all(f.source == FaultSource.WATCHDOG for f in faults)
    assert faults[0].cleared_at is not None
    await ops.close()
