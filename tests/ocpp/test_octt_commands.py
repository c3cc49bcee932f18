"""OCTT 1.6 CSMS cases for CSMS-initiated operations through the REST API: unlock, reset,
availability, smart charging, trigger, configuration — and the errors people see when a
charger is offline or not theirs."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from backend.db.models import Charger, ChargingSession, Connector, SessionStatus
from simulators.ocpp import EvSpec, Fleet
from tests.ocpp.conftest import LiveBackend
from tests.ocpp.polling import eventually
from tests.ocpp.support import fast_config

BIG_EV = EvSpec(battery_kwh=300, soc_start=0.1, max_kw=22)


async def connector_status(backend: LiveBackend, ocpp_id: str, no: int) -> str:
    async with backend.ctx.sessions() as s:
        status = await s.scalar(
            select(Connector.ocpp_status)
            .join(Charger, Charger.id == Connector.charger_id)
            .where(Charger.ocpp_id == ocpp_id, Connector.connector_no == no)
        )
        return str(status)


async def wait_connector(backend: LiveBackend, ocpp_id: str, no: int, status: str) -> None:
    for _ in range(300):
        if await connector_status(backend, ocpp_id, no) == status:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{ocpp_id}#{no} never became {status}")


async def test_tc_017_unlock_connector_stops_the_session(backend: LiveBackend) -> None:
    net = backend.network
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(ev=BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-1", 1, "CARD-OK")
        record = fleet.records("CP-1")[0]
        await eventually(lambda: record.transaction_id is not None)
        async with backend.http("staff") as api:
            r = await api.post(
                f"/api/v1/remote/chargers/{net.charger_id('CP-1')}/unlock",
                json={"connector_no": 1},
            )
        assert r.status_code == 200 and r.json() == {"status": "Unlocked"}
        await eventually(lambda: record.stop_acknowledged)
        await wait_connector(backend, "CP-1", 1, "Available")
    assert record.stop_reason == "UnlockCommand"


async def test_tc_013_014_reset_with_a_transaction_reboots_the_charger(
    backend: LiveBackend,
) -> None:
    net = backend.network
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(ev=BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-1", 2, "CARD-OK")
        record = fleet.records("CP-1")[0]
        await eventually(lambda: record.transaction_id is not None)
        async with backend.ctx.sessions() as s:
            first_boot = (await s.get(Charger, net.charger_id("CP-1"))).last_boot_at  # type: ignore[union-attr]
        async with backend.http("admin") as api:
            r = await api.post(
                f"/api/v1/remote/chargers/{net.charger_id('CP-1')}/reset", json={"type": "Soft"}
            )
            assert r.status_code == 200 and r.json()["status"] == "Accepted"
            await eventually(lambda: fleet.station("CP-1").connections >= 2)
            await fleet.wait_ready(timeout=10)
            r = await api.post(
                f"/api/v1/remote/chargers/{net.charger_id('CP-1')}/reset", json={"type": "Hard"}
            )
            assert r.status_code == 200
            await eventually(lambda: fleet.station("CP-1").connections >= 3)
    assert record.stop_reason == "SoftReset" and record.stop_acknowledged
    async with backend.ctx.sessions() as s:
        charger = await s.get(Charger, net.charger_id("CP-1"))
        session = await s.get(ChargingSession, record.transaction_id)
    assert charger is not None and first_boot is not None
    assert charger.last_boot_at is not None and charger.last_boot_at > first_boot
    assert session is not None and session.status == SessionStatus.COMPLETED


async def test_change_availability_makes_a_connector_unavailable_and_back(
    backend: LiveBackend,
) -> None:
    net = backend.network
    cid = net.charger_id("CP-1")
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config()) as fleet:
        await fleet.wait_ready(timeout=10)
        async with backend.http("staff") as api:
            r = await api.post(
                f"/api/v1/remote/chargers/{cid}/availability",
                json={"connector_no": 2, "operative": False},
            )
            assert r.status_code == 200 and r.json()["status"] == "Accepted"
            await wait_connector(backend, "CP-1", 2, "Unavailable")
            async with backend.http("driver") as driver:
                r = await driver.post(
                    "/api/v1/remote/start", json={"charger_id": cid, "connector_no": 2}
                )
            assert r.status_code == 409
            assert r.json()["error"]["code"] == "charger_rejected"
            r = await api.post(
                f"/api/v1/remote/chargers/{cid}/availability",
                json={"connector_no": 2, "operative": True},
            )
            assert r.status_code == 200
            await wait_connector(backend, "CP-1", 2, "Available")
    async with backend.ctx.sessions() as s:
        failed = (await s.scalars(select(ChargingSession))).one()
    assert failed.status == SessionStatus.FAILED


async def test_tc_056_charging_profile_caps_the_power_and_clearing_lifts_it(
    backend: LiveBackend,
) -> None:
    net = backend.network
    cid = net.charger_id("CP-1")
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(ev=BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-1", 1, "CARD-OK")
        record = fleet.records("CP-1")[0]
        await eventually(lambda: record.transaction_id is not None)
        async with backend.http("staff") as api:
            r = await api.put(
                f"/api/v1/remote/chargers/{cid}/charging-profile",
                json={"connector_no": 0, "limit": 6, "unit": "A", "purpose": "TxDefaultProfile"},
            )
            assert r.status_code == 200 and r.json()["status"] == "Accepted"
            n = len(record.samples)
            await eventually(lambda: len(record.samples) >= n + 2)
            await eventually(lambda: record.meter_values_acknowledged >= len(record.samples))
            async with backend.ctx.sessions() as s:
                row = await s.get(ChargingSession, record.transaction_id)
            assert row is not None and row.last_power_w == 6 * 230 * 3
            r = await api.delete(f"/api/v1/remote/chargers/{cid}/charging-profile")
            assert r.status_code == 200 and r.json()["status"] == "Accepted"
            r = await api.delete(f"/api/v1/remote/chargers/{cid}/charging-profile")
            assert r.json()["status"] == "Unknown"  # nothing left to clear
            n = len(record.samples)
            await eventually(lambda: len(record.samples) >= n + 2)
    assert record.samples[-1].power_w == 22000.0


async def test_tc_019_021_054_configuration_and_trigger_message(backend: LiveBackend) -> None:
    net = backend.network
    cid = net.charger_id("CP-1")
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config()) as fleet:
        await fleet.wait_ready(timeout=10)
        async with backend.http("admin") as admin, backend.http("staff") as staff:
            r = await staff.get(
                f"/api/v1/remote/chargers/{cid}/configuration",
                params={"key": ["HeartbeatInterval", "NoSuchKey"]},
            )
            assert r.status_code == 200
            body = r.json()
            assert body["keys"] == [{"key": "HeartbeatInterval", "value": "60", "readonly": False}]
            assert body["unknown_keys"] == ["NoSuchKey"]
            change = {"key": "MeterValueSampleInterval", "value": "30"}
            r = await staff.put(f"/api/v1/remote/chargers/{cid}/configuration", json=change)
            assert r.status_code == 403
            r = await admin.put(f"/api/v1/remote/chargers/{cid}/configuration", json=change)
            assert r.status_code == 200 and r.json()["status"] == "Accepted"
            assert fleet.station("CP-1").config_value("MeterValueSampleInterval") == "30"
            r = await admin.put(
                f"/api/v1/remote/chargers/{cid}/configuration",
                json={"key": "NumberOfConnectors", "value": "9"},
            )
            assert r.status_code == 409  # read-only key: the charger says Rejected
            boots = fleet.station("CP-1").connections
            r = await staff.post(
                f"/api/v1/remote/chargers/{cid}/trigger",
                json={"message": "StatusNotification", "connector_no": 1},
            )
            assert r.status_code == 200 and r.json()["status"] == "Accepted"
            assert fleet.station("CP-1").connections == boots


async def test_offline_and_foreign_chargers_give_clear_errors(backend: LiveBackend) -> None:
    net = backend.network
    async with backend.http("driver") as driver:
        r = await driver.post("/api/v1/remote/start", json={"ocpp_id": "CP-2", "connector_no": 1})
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "charger_offline"
        r = await driver.post("/api/v1/remote/start", json={"ocpp_id": "CP-1", "connector_no": 7})
        assert r.status_code == 404
        r = await driver.post("/api/v1/remote/chargers/1/reset", json={"type": "Soft"})
        assert r.status_code == 403
    async with backend.http("foreign_staff") as foreign:
        r = await foreign.post(
            f"/api/v1/remote/chargers/{net.charger_id('CP-1')}/reset", json={"type": "Soft"}
        )
        assert r.status_code == 404
    async with backend.http("staff") as staff:
        r = await staff.post(
            f"/api/v1/remote/chargers/{net.charger_id('CP-2')}/reset", json={"type": "Hard"}
        )
        assert r.status_code == 503


async def test_remote_start_with_an_idempotency_key_starts_once(backend: LiveBackend) -> None:
    net = backend.network
    async with Fleet(backend.ocpp_url, [net.spec("CP-1")], fast_config(ev=BIG_EV)) as fleet:
        await fleet.wait_ready(timeout=10)
        async with backend.http("driver") as api:
            body = {"ocpp_id": "CP-1", "connector_no": 1}
            key = {"Idempotency-Key": "start-123"}
            first = await api.post("/api/v1/remote/start", json=body, headers=key)
            again = await api.post("/api/v1/remote/start", json=body, headers=key)
            other = await api.post(
                "/api/v1/remote/start", json={**body, "connector_no": 2}, headers=key
            )
        assert first.status_code == again.status_code == 200
        assert first.json()["session"]["id"] == again.json()["session"]["id"]
        assert other.status_code == 409  # same key, different request
        await eventually(lambda: fleet.records("CP-1"))
    assert len(fleet.records("CP-1")) == 1
