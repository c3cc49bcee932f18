"""The simulator fleet on its own, against a bare ``ocpp``-library central system.

These check what the backend's scenario tests rely on: the simulated chargers speak correct
OCPP 1.6J, run plausible sessions, queue and replay transaction messages across outages, and
obey remote commands and charging profiles.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ocpp.v16 import call

from simulators.ocpp import (
    ChargersFileError,
    ChargerSpec,
    ControlServer,
    EvSpec,
    Fleet,
    InvalidState,
    SimConfig,
    generate_chargers,
    load_chargers,
)
from tests.ocpp.bare_csms import BareState, bare_central_system
from tests.ocpp.polling import eventually


def fast_config(**overrides: Any) -> SimConfig:
    values: dict[str, Any] = {
        "meter_interval_s": 0.1,
        "time_scale": 600.0,
        "response_timeout_s": 5.0,
        "transaction_message_retry_interval_s": 0.1,
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.2,
        "reconnect_jitter_s": 0.05,
        "full_stop_delay_s": 0.2,
        "auto_unplug_after_s": 0.2,
        "ev_randomise": False,
        "seed": 7,
    }
    values.update(overrides)
    return SimConfig(**values)


@pytest.fixture
async def csms() -> AsyncIterator[tuple[BareState, str]]:
    state = BareState()
    async with bare_central_system(state) as url:
        yield state, url


def energy(payload: dict[str, Any]) -> int:
    for sv in payload["meter_value"][0]["sampled_value"]:
        if sv["measurand"] == "Energy.Active.Import.Register":
            return int(sv["value"])
    raise AssertionError("no energy register in MeterValues")


def measurand(payload: dict[str, Any], name: str) -> float:
    for sv in payload["meter_value"][0]["sampled_value"]:
        if sv.get("measurand") == name:
            return float(sv["value"])
    raise AssertionError(f"no {name} in MeterValues")


async def test_fleet_boots_and_reports_every_connector(csms: tuple[BareState, str]) -> None:
    state, url = csms
    async with Fleet(url, generate_chargers(3, 2), fast_config()) as fleet:
        await fleet.wait_ready(timeout=10)
        await state.wait_for(lambda: len(state.of("StatusNotification")) >= 6)
    boots = state.of("BootNotification")
    assert sorted(m["charge_point_serial_number"] for m in boots) == [
        "SIM-0001",
        "SIM-0002",
        "SIM-0003",
    ]
    statuses = {
        (m.identity, m.payload["connector_id"])
        for m in state.messages
        if m.action == "StatusNotification"
    }
    assert len(statuses) == 6
    assert all(p["status"] == "Available" for p in state.of("StatusNotification"))


async def test_rfid_session_tapers_and_stops_when_the_car_is_full(
    csms: tuple[BareState, str],
) -> None:
    state, url = csms
    config = fast_config(
        time_scale=600.0, ev=EvSpec(battery_kwh=10, soc_start=0.75, soc_target=1.0, max_kw=11)
    )
    async with Fleet(url, [ChargerSpec(identity="CP-1", connectors=1)], config) as fleet:
        await fleet.wait_ready(timeout=10)
        assert await fleet.swipe_rfid("CP-1", 1, "CARD-1") == "started"
        await state.wait_for(lambda: state.of("StopTransaction"), timeout=20)
        await state.wait_for(
            lambda: state.of("StatusNotification")[-1]["status"] == "Available", timeout=5
        )
        record = fleet.records("CP-1")[0]

    start, stop = state.of("StartTransaction")[0], state.of("StopTransaction")[0]
    assert start["id_tag"] == "CARD-1"
    assert stop["reason"] == "Local" and stop["transaction_id"] == record.transaction_id
    assert stop["meter_stop"] == record.meter_stop_wh
    assert record.energy_wh is not None and 2450 <= record.energy_wh <= 2550  # 25 % of 10 kWh
    meters = state.of("MeterValues")
    assert len(meters) == len(record.samples)
    registers = [energy(m) for m in meters]
    assert registers == sorted(registers)
    # The car takes full power below 80 % and tapers linearly to a 5 % trickle at 100 %.
    curve = [(measurand(m, "SoC"), measurand(m, "Power.Active.Import")) for m in meters]
    for soc, power in curve:
        if soc < 99.9:  # (SoC is reported to 0.1 %: at "100.0" the last trickle may still flow)
            expected = 11000 * min(1.0, max((100 - soc) / 20, 0.05))
            assert power == pytest.approx(expected, rel=0.02, abs=60)
    assert any(80 < soc < 100 and 0 < power < 11000 for soc, power in curve)
    assert curve[-1][0] == pytest.approx(100.0)
    seen = [p["status"] for p in state.of("StatusNotification")]
    for status in ("Preparing", "Charging", "SuspendedEV", "Finishing"):
        assert status in seen
    assert seen[-1] == "Available"


async def test_offline_transaction_messages_are_replayed_in_order(
    csms: tuple[BareState, str],
) -> None:
    state, url = csms
    config = fast_config(ev=EvSpec(battery_kwh=200, soc_start=0.1, max_kw=11))
    async with Fleet(url, [ChargerSpec(identity="CP-1", connectors=1)], config) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-1", 1, "CARD-1")
        await state.wait_for(lambda: len(state.of("MeterValues")) >= 2)
        await fleet.go_offline("CP-1")
        await state.wait_for(lambda: "CP-1" not in state.connected)
        sent_before = len(state.of("MeterValues"))
        record = fleet.records("CP-1")[0]
        await eventually(lambda: len(record.samples) >= sent_before + 5)
        assert await fleet.swipe_rfid("CP-1", 1, "CARD-1") == "stopped"
        assert fleet.station("CP-1").outbox.pending_transaction_messages >= 6
        await fleet.go_online("CP-1")
        await state.wait_for(lambda: state.of("StopTransaction"), timeout=10)

    meters = state.of("MeterValues")
    # A sample in flight when the link went down may arrive twice (its answer was lost, so
    # the charger re-sends it); apart from that every sample arrives once, in order.
    distinct = list(dict.fromkeys(energy(m) for m in meters))
    assert distinct == [s.energy_wh for s in record.samples]
    assert len(meters) - len(distinct) <= 1
    assert all(m["transaction_id"] == record.transaction_id for m in meters)
    assert state.of("StopTransaction")[0]["meter_stop"] == record.meter_stop_wh
    # StopTransaction went last, after every queued sample.
    actions = [m.action for m in state.messages if m.action in ("MeterValues", "StopTransaction")]
    assert actions[-1] == "StopTransaction"


async def test_remote_start_and_a_current_limit_profile(csms: tuple[BareState, str]) -> None:
    state, url = csms
    config = fast_config(ev=EvSpec(battery_kwh=200, soc_start=0.1, max_kw=22))
    async with Fleet(url, [ChargerSpec(identity="CP-1", connectors=2)], config) as fleet:
        await fleet.wait_ready(timeout=10)
        await state.wait_for(lambda: "CP-1" in state.connected)
        cp = state.connected["CP-1"]
        answer = await cp.call(call.RemoteStartTransaction(id_tag="APP-1", connector_id=2))
        assert answer.status == "Accepted"
        await state.wait_for(lambda: state.of("StartTransaction"))
        tx = fleet.connector("CP-1", 2).session
        assert tx is not None
        await state.wait_for(lambda: fleet.connector("CP-1", 2).session.transaction_id is not None)  # type: ignore[union-attr]
        profile = {
            "charging_profile_id": 1,
            "stack_level": 0,
            "charging_profile_purpose": "TxProfile",
            "charging_profile_kind": "Relative",
            "charging_schedule": {
                "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": 0, "limit": 6}],
            },
        }
        result = await cp.call(
            call.SetChargingProfile(connector_id=2, cs_charging_profiles=profile)
        )
        assert result.status == "Accepted"
        count = len(state.of("MeterValues"))
        await state.wait_for(lambda: len(state.of("MeterValues")) >= count + 3)
        limited = state.of("MeterValues")[-1]
        assert measurand(limited, "Power.Active.Import") == pytest.approx(6 * 230 * 3)
        assert measurand(limited, "Current.Import") == pytest.approx(6.0)

        cleared = await cp.call(call.ClearChargingProfile(id=1))
        assert cleared.status == "Accepted"
        rejected = await cp.call(call.RemoteStartTransaction(id_tag="APP-2", connector_id=2))
        assert rejected.status == "Rejected"  # connector busy
        stop = await cp.call(call.RemoteStopTransaction(transaction_id=tx.transaction_id))
        assert stop.status == "Accepted"
        await state.wait_for(lambda: state.of("StopTransaction"))
    assert state.of("StopTransaction")[0]["reason"] == "Remote"


async def test_fault_ends_the_session_and_is_reported(csms: tuple[BareState, str]) -> None:
    state, url = csms
    async with Fleet(url, [ChargerSpec(identity="CP-1", connectors=1)], fast_config()) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-1", 1, "CARD-1")
        await state.wait_for(lambda: state.of("StartTransaction"))
        await fleet.inject_fault("CP-1", 1, "OverCurrentFailure")
        await state.wait_for(lambda: state.of("StopTransaction"))
        with pytest.raises(InvalidState):
            await fleet.swipe_rfid("CP-1", 1, "CARD-1")
        await fleet.clear_fault("CP-1", 1)
        await fleet.wait_status("CP-1", 1, "Available", timeout=5)
    faulted = [p for p in state.of("StatusNotification") if p["status"] == "Faulted"]
    assert faulted and faulted[0]["error_code"] == "OverCurrentFailure"
    assert state.of("StopTransaction")[0]["reason"] == "Other"


async def test_wrong_password_is_refused_and_right_one_connects() -> None:
    state = BareState(passwords={"CP-1": "secret-1", "CP-2": "secret-2"})
    specs = [
        ChargerSpec(identity="CP-1", password="secret-1"),
        ChargerSpec(identity="CP-2", password="wrong"),
    ]
    async with bare_central_system(state) as url, Fleet(url, specs, fast_config()) as fleet:
        await fleet.wait_ready(["CP-1"], timeout=10)
        await eventually(lambda: len(fleet.station("CP-2").refusals) >= 2)
        assert set(fleet.station("CP-2").refusals) == {401}
        assert not fleet.station("CP-2").online
    assert {m.identity for m in state.messages} == {"CP-1"}


async def test_duplicating_charger_sends_transaction_messages_twice(
    csms: tuple[BareState, str],
) -> None:
    state, url = csms
    spec = ChargerSpec(identity="CP-D", connectors=1, behaviour="duplicate-messages")
    async with Fleet(url, [spec], fast_config()) as fleet:
        await fleet.wait_ready(timeout=10)
        await fleet.swipe_rfid("CP-D", 1, "CARD-1")
        await state.wait_for(lambda: len(state.of("MeterValues")) >= 4)
    assert len(state.of("StartTransaction")) == 2
    assert fleet.station("CP-D").duplicate_answers[0][0] == "StartTransaction"


async def test_control_api_drives_a_charger(csms: tuple[BareState, str]) -> None:
    state, url = csms
    async with Fleet(url, [ChargerSpec(identity="CP-1", connectors=2)], fast_config()) as fleet:
        server = ControlServer(fleet, port=0)
        await server.start()
        try:
            await fleet.wait_ready(timeout=10)
            base = f"http://127.0.0.1:{server.port}"
            async with httpx.AsyncClient(base_url=base) as http:
                r = await http.post("/chargers/CP-1/connectors/2/plug-in", json={"soc_start": 0.5})
                assert r.status_code == 200
                assert r.json()["connectors"][1]["status"] == "Preparing"
                r = await http.post("/chargers/CP-1/connectors/2/swipe", json={"id_tag": "CARD-9"})
                assert r.json()["outcome"] == "started"
                r = await http.post(
                    "/chargers/CP-1/connectors/2/fault", json={"error_code": "Nope"}
                )
                assert r.status_code == 422
                r = await http.post("/chargers/NOPE/connectors/1/unplug")
                assert r.status_code == 404
                r = await http.post("/chargers/CP-1/connectors/1/unplug")
                assert r.status_code == 409
                await state.wait_for(lambda: state.of("StartTransaction"))
                sessions = (await http.get("/chargers/CP-1/sessions")).json()
                assert sessions[0]["id_tag"] == "CARD-9"
        finally:
            await server.stop()


def test_chargers_file_formats(tmp_path: Path) -> None:
    js = tmp_path / "c.json"
    js.write_text(json.dumps({"chargers": [{"identity": "A-1", "password": "p", "connectors": 1}]}))
    assert load_chargers(js)[0].password == "p"
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("identity,password,connectors,max_kw\nB-1,pw,2,7.4\nB-2,,1,22\n")
    loaded = load_chargers(csv_file)
    assert [(c.identity, c.password, c.connectors) for c in loaded] == [
        ("B-1", "pw", 2),
        ("B-2", None, 1),
    ]
    bad = tmp_path / "bad.json"
    bad.write_text('[{"identity": "has space"}]')
    with pytest.raises(ChargersFileError):
        load_chargers(bad)
    with pytest.raises(ChargersFileError):
        load_chargers(tmp_path / "missing.csv")


def test_demo_seed_manifest_is_a_chargers_file(tmp_path: Path) -> None:
    manifest = [
        {
            "ocpp_id": "DEMO-SH-001",
            "password": "secret",
            "operator": "demo",
            "station": "People's Square",
            "vendor": "StarCharge",
            "model": "AC7-Wallbox-Extra-Long-Name",
            "connectors": [
                {"connector_no": 1, "type": "GBT_AC", "max_kw": 7.0},
                {"connector_no": 2, "type": "GBT_AC", "max_kw": 7.0},
            ],
        }
    ]
    path = tmp_path / "demo-chargers.json"
    path.write_text(json.dumps(manifest))
    (spec,) = load_chargers(path)
    assert (spec.identity, spec.password, spec.connectors, spec.max_kw) == (
        "DEMO-SH-001",
        "secret",
        2,
        7.0,
    )
    assert spec.model == "AC7-Wallbox-Extra-Lo"
