"""Done-when: a simulated session started by a driver ends with a correct capture and receipt,
on both payment methods — real backend over loopback, real OCPP central system, simulated
charger, sandbox provider with its webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from backend.db.models import ChargingSession, PaymentIntent, PaymentStatus, SessionStatus
from backend.payments.config import runtime_of
from backend.payments.sandbox import SandboxProvider
from simulators.ocpp import EvSpec, Fleet
from tests.ocpp.conftest import LiveBackend, serve_backend
from tests.ocpp.support import fast_config
from tests.payments.support import wait_for
from tests.support.backend import fresh_database_url, make_test_settings


@pytest.fixture
async def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LiveBackend]:
    monkeypatch.setenv("CHARGEPILE_PAYMENTS_OUTBOX_POLL_SECONDS", "0.2")
    async with fresh_database_url(tmp_path) as url:
        settings = make_test_settings(
            url, tmp_path, ocpp_heartbeat_interval=60, ocpp_ping_interval=5.0, ocpp_call_timeout=5.0
        )
        async with serve_backend(settings, ["CP-1"]) as backend:
            yield backend


async def _intent(backend: LiveBackend, session_id: int) -> PaymentIntent | None:
    from sqlalchemy import select

    async with backend.ctx.sessions() as db:
        return await db.scalar(select(PaymentIntent).where(PaymentIntent.session_id == session_id))


async def _row(backend: LiveBackend, session_id: int) -> ChargingSession:
    async with backend.ctx.sessions() as db:
        row = await db.get(ChargingSession, session_id)
    assert row is not None
    return row


async def _paid_session(
    backend: LiveBackend, api: httpx.AsyncClient, body: dict[str, object]
) -> int:
    r = await api.post(
        "/api/v1/charge/start", json=body, headers={"Idempotency-Key": f"e2e-{body['pay_with']}"}
    )
    assert r.status_code == 201, r.text
    session_id = int(r.json()["session_id"])
    assert r.json()["payment"]["state"] == "held"

    async def active() -> bool:
        return (await _row(backend, session_id)).status == SessionStatus.ACTIVE and (
            await _row(backend, session_id)
        ).energy_wh > 0

    await wait_for(active)
    r = await api.post("/api/v1/remote/stop", json={"session_id": session_id})
    assert r.status_code == 200, r.text

    async def captured() -> bool:
        intent = await _intent(backend, session_id)
        return intent is not None and intent.status == PaymentStatus.CAPTURED

    await wait_for(captured, timeout=20)
    return session_id


async def test_driver_pays_by_card_and_by_wallet_for_simulated_sessions(live: LiveBackend) -> None:
    net = live.network
    ev = {"ev": EvSpec(battery_kwh=300, soc_start=0.1, max_kw=11)}
    async with (
        Fleet(live.ocpp_url, [net.spec("CP-1")], fast_config(**ev)) as fleet,
        live.http("driver") as api,
    ):
        await fleet.wait_ready(timeout=10)
        await wait_for(lambda: _startable(api))

        card_session = await _paid_session(
            live,
            api,
            {
                "ocpp_id": "CP-1",
                "connector_no": 1,
                "pay_with": "card",
                "payment_method_token": "pm_card_ok",
            },
        )
        r = await api.post(
            "/api/v1/wallet/topups",
            json={"amount_minor": 20_000, "currency": "CNY", "payment_method_token": "pm_card_ok"},
        )
        assert r.status_code == 201, r.text
        # Connector 1 still has the first car plugged in (Finishing): use connector 2.
        await wait_for(lambda: _startable(api, 2))
        wallet_session = await _paid_session(
            live, api, {"ocpp_id": "CP-1", "connector_no": 2, "pay_with": "wallet"}
        )

        sandbox = runtime_of(live.ctx).provider
        assert isinstance(sandbox, SandboxProvider)
        for session_id in (card_session, wallet_session):
            row = await _row(live, session_id)
            intent = await _intent(live, session_id)
            assert intent is not None
            assert row.status == SessionStatus.COMPLETED and row.cost_minor > 0
            # Billed with the snapshot taken when the price was shown: 1.20 CNY per kWh.
            assert intent.captured_minor == row.cost_minor == round(row.energy_wh * 120 / 1000)
            r = await api.get(f"/api/v1/sessions/{session_id}/receipt")
            assert r.status_code == 200, r.text
            assert r.json()["total_minor"] == r.json()["charged_minor"] == row.cost_minor
            r = await api.get(f"/api/v1/sessions/{session_id}/receipt.pdf")
            assert r.status_code == 200 and r.content.startswith(b"%PDF")
        card = await _intent(live, card_session)
        assert card is not None and card.provider_ref is not None
        assert sandbox.payments[card.provider_ref].amount_captured == card.captured_minor
        wallet_cost = (await _row(live, wallet_session)).cost_minor
        r = await api.get("/api/v1/wallet")
        assert r.json() == {
            "currency": "CNY",
            "balance_minor": 20_000 - wallet_cost,
            "held_minor": 0,
        }


async def _startable(api: httpx.AsyncClient, connector_no: int = 1) -> bool:
    r = await api.get(
        "/api/v1/charge/quote", params={"ocpp_id": "CP-1", "connector_no": connector_no}
    )
    return r.status_code == 200 and bool(r.json()["startable"])
