"""Refused, with nothing changed: absurd amounts, other people's sessions, bad starts."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.db.models import PaymentIntent, WalletEntry
from tests.payments.support import PayApp, charger_online, driver_headers, staff_headers, stop
from tests.payments.test_flows import start
from tests.support.builders import World, build_world, create_driver


async def _rows(pa: PayApp, model: type) -> int:
    async with pa.ctx.sessions() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_negative_zero_and_absurd_top_ups_are_refused(pa: PayApp, world: World) -> None:
    headers = driver_headers(pa.ctx.settings, world.driver.id)
    for amount in (-500, 0, 10**15, 500_001, 50):
        r = await pa.client.post(
            "/api/v1/wallet/topups",
            json={"amount_minor": amount, "currency": "CNY", "payment_method_token": "pm_card_ok"},
            headers=headers,
        )
        assert r.status_code == 422, (amount, r.text)
        assert any("amount_minor" in f["field"] for f in r.json()["error"]["fields"])
    for body in (
        {"amount_minor": 1000, "currency": "cny", "payment_method_token": "pm_card_ok"},
        {"amount_minor": 1000, "currency": "CNY", "payment_method_token": "pm card; drop"},
        {"amount_minor": "12.5", "currency": "CNY", "payment_method_token": "pm_card_ok"},
    ):
        r = await pa.client.post("/api/v1/wallet/topups", json=body, headers=headers)
        assert r.status_code == 422, r.text
    assert await _rows(pa, PaymentIntent) == 0
    assert await _rows(pa, WalletEntry) == 0
    assert pa.sandbox.calls == []


async def test_money_endpoints_need_the_right_person(pa: PayApp, world: World) -> None:
    body = {"amount_minor": 1000, "currency": "CNY", "payment_method_token": "pm_card_ok"}
    assert (await pa.client.post("/api/v1/wallet/topups", json=body)).status_code == 401
    r = await pa.client.post(
        "/api/v1/wallet/topups", json=body, headers=staff_headers(pa.ctx.settings, world.staff)
    )
    assert r.status_code == 403
    r = await pa.client.post(
        "/api/v1/charge/start",
        json={"ocpp_id": world.charger.ocpp_id, "connector_no": 1, "pay_with": "wallet"},
    )
    assert r.status_code == 401


async def test_foreign_sessions_are_not_found(pa: PayApp, world: World) -> None:
    _status, started = await start(pa, world, "card")
    session_id = started["session_id"]
    await stop(pa.ctx, session_id, 1_000)
    async with pa.ctx.sessions() as db:
        other_driver = await create_driver(db, email="someone-else@a.test")
    other_world = await build_world(pa.app, prefix="b")
    outsiders = [
        driver_headers(pa.ctx.settings, other_driver.id),
        staff_headers(pa.ctx.settings, other_world.admin),
    ]
    for headers in outsiders:
        for path in ("payment", "receipt", "receipt.pdf"):
            r = await pa.client.get(f"/api/v1/sessions/{session_id}/{path}", headers=headers)
            assert r.status_code == 404, (path, r.text)
    r = await pa.client.get(
        "/api/v1/sessions/999999/receipt", headers=driver_headers(pa.ctx.settings, world.driver.id)
    )
    assert r.status_code == 404
    r = await pa.client.get(
        f"/api/v1/sessions/{session_id}/payment",
        headers=driver_headers(pa.ctx.settings, world.driver.id),
    )
    assert r.status_code == 200


async def test_bad_starts_are_refused_before_any_money_moves(pa: PayApp, world: World) -> None:
    headers = driver_headers(pa.ctx.settings, world.driver.id)
    cases = [
        ({"ocpp_id": "NO-SUCH", "connector_no": 1, "pay_with": "wallet"}, 404),
        ({"ocpp_id": world.charger.ocpp_id, "connector_no": 9, "pay_with": "wallet"}, 404),
        ({"ocpp_id": world.charger.ocpp_id, "connector_no": 0, "pay_with": "wallet"}, 422),
        ({"ocpp_id": world.charger.ocpp_id, "connector_no": 1, "pay_with": "card"}, 422),
        ({"ocpp_id": world.charger.ocpp_id, "connector_no": 1, "pay_with": "cash"}, 422),
    ]
    for body, expected in cases:
        r = await pa.client.post("/api/v1/charge/start", json=body, headers=headers)
        assert r.status_code == expected, (body, r.text)
    r = await pa.client.post(
        "/api/v1/guest/charge/start",
        json={"ocpp_id": world.charger.ocpp_id, "connector_no": 1},
    )
    assert r.status_code == 422
    assert await _rows(pa, PaymentIntent) == 0
    assert pa.sandbox.calls == [] and pa.charging.starts == []


async def test_busy_or_offline_connector_is_refused_without_a_hold(
    pa: PayApp, world: World
) -> None:
    await charger_online(pa.ctx, world.charger.ocpp_id, status="Charging")
    status, body = await start(pa, world, "card")
    assert status == 409 and "Charging" in body["error"]["message"]
    assert pa.sandbox.calls == []


async def test_guest_links_cannot_be_guessed(pa: PayApp, world: World) -> None:
    for token in ("short", "a" * 40, "../../etc/passwd"):
        r = await pa.client.get(f"/api/v1/guest/sessions/{token}")
        assert r.status_code in (404, 422), token


async def test_unknown_webhook_provider_is_not_found(pa: PayApp, world: World) -> None:
    r = await pa.client.post("/api/v1/payments/webhooks/acme", content=b"{}")
    assert r.status_code == 404


async def test_oversized_webhook_is_refused(pa: PayApp, world: World) -> None:
    r = await pa.client.post("/api/v1/payments/webhooks/sandbox", content=b"x" * 70_000)
    assert r.status_code == 400 and r.json()["error"]["code"] == "webhook_rejected"
