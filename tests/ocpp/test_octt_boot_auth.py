"""OCTT 1.6 CSMS cases around connecting: cold boot, authentication, subprotocol, bad frames.

Each test drives the real backend (uvicorn on loopback, SQLite) with simulated chargers or a
raw websocket client.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from backend.db.models import Charger, Connector
from backend.services.events import Audience
from simulators.ocpp import Fleet
from tests.ocpp.conftest import LiveBackend, StartBackend, self_signed_certificate
from tests.ocpp.polling import eventually
from tests.ocpp.support import EventRecorder, fast_config


def basic(identity: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def test_tc_001_cold_boot_marks_charger_online_with_live_connector_status(
    backend: LiveBackend,
) -> None:
    net = backend.network
    ops = EventRecorder(backend.ctx.events, Audience.operator(net.operator_id))
    async with Fleet(backend.ocpp_url, [net.spec("CP-1", connectors=2)], fast_config()) as fleet:
        await fleet.wait_ready(timeout=10)
        await ops.wait_for("connector.status", 2)
        async with backend.ctx.sessions() as s:
            charger = await s.get(Charger, net.charger_id("CP-1"))
            assert charger is not None
            assert charger.is_online and charger.vendor == "Chargepile"
            assert charger.firmware_version == "sim-1.0.0"
            statuses = (
                await s.scalars(
                    select(Connector.ocpp_status).where(Connector.charger_id == charger.id)
                )
            ).all()
        assert list(statuses) == ["Available", "Available"]
        assert ops.of("charger.online")[0]["ocpp_id"] == "CP-1"
    await eventually(lambda: ops.of("charger.offline"))
    await ops.close()


async def test_boot_policy_rejected_keeps_the_charger_out(backend: LiveBackend) -> None:
    net = backend.network
    async with backend.ctx.sessions() as s:
        charger = await s.get(Charger, net.charger_id("CP-2"))
        assert charger is not None
        charger.boot_policy = "Rejected"
        await s.commit()
    async with Fleet(backend.ocpp_url, [net.spec("CP-2")], fast_config()) as fleet:
        station = fleet.station("CP-2")
        await eventually(lambda: station.boot_status is not None)
        assert station.boot_status == "Rejected" and not station.online


async def test_unknown_charger_is_refused_at_the_handshake(backend: LiveBackend) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(
            backend.ocpp_url + "/NOPE-1",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers=basic("NOPE-1", "whatever-password"),
        )
    assert refused.value.response.status_code == 404


async def test_wrong_password_is_refused_at_the_handshake(backend: LiveBackend) -> None:
    for headers in (
        basic("CP-1", "not-the-password"),
        basic("CP-2", backend.network.chargers["CP-1"][1]),
        {},
    ):
        with pytest.raises(InvalidStatus) as refused:
            await connect(
                backend.ocpp_url + "/CP-1",
                subprotocols=[Subprotocol("ocpp1.6")],
                additional_headers=headers,
            )
        assert refused.value.response.status_code == 401


async def test_missing_subprotocol_is_refused(backend: LiveBackend) -> None:
    _cid, password = backend.network.chargers["CP-1"]
    for offered in ([], [Subprotocol("ocpp2.0.1")]):
        with pytest.raises(InvalidStatus) as refused:
            await connect(
                backend.ocpp_url + "/CP-1",
                subprotocols=offered or None,
                additional_headers=basic("CP-1", password),
            )
        assert refused.value.response.status_code == 400


async def test_invalid_payload_gets_formation_violation_and_unknown_action_not_supported(
    backend: LiveBackend,
) -> None:
    _cid, password = backend.network.chargers["CP-1"]
    async with connect(
        backend.ocpp_url + "/CP-1",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers=basic("CP-1", password),
    ) as ws:
        assert ws.subprotocol == "ocpp1.6"
        # An unknown property in a BootNotification breaks the 1.6 schema.
        await ws.send(
            json.dumps(
                [
                    2,
                    "m1",
                    "BootNotification",
                    {"chargePointVendor": "V", "chargePointModel": "M", "colour": "red"},
                ]
            )
        )
        answer = json.loads(await ws.recv())
        assert answer[:3] == [4, "m1", "FormationViolation"]
        await ws.send(json.dumps([2, "m2", "MakeCoffee", {}]))
        answer = json.loads(await ws.recv())
        assert answer[:3] == [4, "m2", "NotSupported"]
        # DataTransfer: an unknown vendor is answered per 1.6 §4.3, ours is accepted.
        await ws.send(json.dumps([2, "m4", "DataTransfer", {"vendorId": "acme"}]))
        assert json.loads(await ws.recv())[2] == {"status": "UnknownVendorId"}
        await ws.send(
            json.dumps([2, "m5", "DataTransfer", {"vendorId": "com.chargepile", "data": "hi"}])
        )
        assert json.loads(await ws.recv())[2] == {"status": "Accepted", "data": "hi"}
        # The connection is still up and serving.
        await ws.send(json.dumps([2, "m3", "Heartbeat", {}]))
        answer = json.loads(await ws.recv())
        assert answer[0] == 3 and answer[1] == "m3" and "currentTime" in answer[2]


async def test_security_profile_2_tls_with_basic_auth(
    start_backend: StartBackend, tmp_path: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    backend = await start_backend(["TLS-1"], tls=(cert, key))
    assert backend.ocpp_url.startswith("wss://")
    net = backend.network
    config = fast_config(ca_file=str(cert))
    async with Fleet(backend.ocpp_url, [net.spec("TLS-1")], config) as fleet:
        await fleet.wait_ready(timeout=10)
        assert fleet.station("TLS-1").boot_status == "Accepted"
    # Without trusting the certificate the charger cannot connect at all.
    async with Fleet(backend.ocpp_url, [net.spec("TLS-1")], fast_config()) as untrusting:
        station = untrusting.station("TLS-1")
        await eventually(lambda: station.last_error is not None)
        assert "CERTIFICATE_VERIFY_FAILED" in (station.last_error or "")
        assert not station.online
