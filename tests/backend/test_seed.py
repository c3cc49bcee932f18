"""``seed_demo``: idempotent, the printed credentials sign in, reports have substance, and the
simulator fleet's charger file matches the stored password hashes."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from backend.context import AppContext
from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    Driver,
    Fault,
    MeterSample,
    Operator,
    PaymentCapture,
    PaymentIntent,
    PaymentMethod,
    RfidCard,
    StaffUser,
    Station,
    Tariff,
    Wallet,
    WalletEntry,
)
from backend.security import verify_charger_password
from backend.services.seed import CHARGERS_FILE, DemoCredentials, seed_demo

COUNTED = (Operator, StaffUser, Driver, RfidCard, Tariff, Station, Charger, Connector,
           ChargingSession, MeterSample, Fault, PaymentIntent, PaymentCapture, Wallet,
           WalletEntry)  # fmt: skip


async def _counts(ctx: AppContext) -> dict[str, int]:
    async with ctx.sessions() as session:
        return {
            m.__tablename__: int(await session.scalar(select(func.count()).select_from(m)) or 0)
            for m in COUNTED
        }


async def _login(client: httpx.AsyncClient, email: str, password: str, kind: str) -> str:
    response = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password, "kind": kind}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_seeding_twice_changes_nothing(app: FastAPI) -> None:
    ctx: AppContext = app.state.ctx
    data_dir = ctx.settings.data_dir
    first = await seed_demo(ctx.sessions, data_dir=data_dir)
    after_first = await _counts(ctx)
    second = await seed_demo(ctx.sessions, data_dir=data_dir)
    assert (first.created, second.created) == (True, False)
    assert await _counts(ctx) == after_first
    assert first.stations == 6 and first.chargers == 40
    assert after_first["charging_sessions"] > 5000 and after_first["faults"] > 10
    assert after_first["meter_samples"] > 0
    assert "admin@demo.chargepile" in second.describe()

    manifest = json.loads((data_dir / CHARGERS_FILE).read_text(encoding="utf-8"))
    demo = [c for c in manifest if c["operator"] == "demo-charging-co"]
    assert len(demo) == 40
    types = {plug["type"] for c in demo for plug in c["connectors"]}
    assert {"GBT_DC", "GBT_AC", "CCS2"} <= types
    async with ctx.sessions() as session:
        rows = await session.execute(select(Charger.ocpp_id, Charger.ocpp_password_hash))
        hashes = {ocpp_id: stored for ocpp_id, stored in rows}
    assert all(verify_charger_password(c["password"], hashes[c["ocpp_id"]]) for c in manifest)
    # Historical sessions carry their price: revenue follows the time-of-use tariff.
    async with ctx.sessions() as session:
        costs = (
            await session.execute(
                select(ChargingSession.energy_wh, ChargingSession.cost_minor).limit(200)
            )
        ).all()
    assert all(cost > 0 for energy, cost in costs if energy > 1000)


async def test_every_priced_session_was_paid_by_wallet_or_card(app: FastAPI) -> None:
    ctx: AppContext = app.state.ctx
    await seed_demo(ctx.sessions, data_dir=ctx.settings.data_dir)
    s, c = ChargingSession, PaymentCapture
    async with ctx.sessions() as session:
        unpaid = await session.scalar(
            select(func.count())
            .select_from(s)
            .outerjoin(c, c.session_id == s.id)
            .where(s.status == "completed", s.cost_minor > 0, c.id.is_(None))
        )
        wrong = await session.scalar(
            select(func.count())
            .select_from(s)
            .join(c, c.session_id == s.id)
            .where(c.amount_minor != s.cost_minor)
        )
        methods = dict(
            (await session.execute(select(c.method, func.count()).group_by(c.method))).all()
        )
        # Wallets balance: every entry a row, no balance ever below zero at the end.
        balances = (
            await session.scalars(
                select(func.sum(WalletEntry.amount_minor)).group_by(WalletEntry.wallet_id)
            )
        ).all()
        holds = await session.scalar(
            select(func.sum(WalletEntry.amount_minor)).where(
                WalletEntry.kind.in_(("hold", "hold_release"))
            )
        )
    assert (unpaid, wrong) == (0, 0)
    assert methods[PaymentMethod.CARD] > 1000 and methods[PaymentMethod.WALLET] > 20
    assert balances and all(b >= 0 for b in balances)
    assert holds == 0  # no hold of a finished session is left in place


async def test_demo_credentials_sign_in_and_reports_have_substance(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ctx: AppContext = app.state.ctx
    creds: DemoCredentials = await seed_demo(ctx.sessions, data_dir=ctx.settings.data_dir)
    accounts = {a.email: a for a in creds.accounts}
    admin = await _login(
        client, "admin@demo.chargepile", accounts["admin@demo.chargepile"].password, "staff"
    )
    await _login(
        client, "staff@demo.chargepile", accounts["staff@demo.chargepile"].password, "staff"
    )
    driver = await _login(
        client, "driver@demo.chargepile", accounts["driver@demo.chargepile"].password, "driver"
    )
    other = await _login(
        client,
        "admin@riverside.chargepile",
        accounts["admin@riverside.chargepile"].password,
        "staff",
    )

    today = ctx.clock().astimezone(ZoneInfo("Asia/Shanghai")).date()
    params = {
        "from": str(today - timedelta(days=89)),
        "to": str(today),
        "group": "week",
        "by": "station",
    }
    report = await client.get(
        "/api/v1/reports/summary", params=params, headers={"Authorization": f"Bearer {admin}"}
    )
    assert report.status_code == 200, report.text
    body = report.json()
    totals = body["totals"]
    assert totals["sessions"] > 5000 and totals["energy_kwh"] > 50000
    assert totals["revenue_minor"] > 0 and body["currency"] == "CNY"
    # Revenue is money collected: the captures of the sessions in the report (all history).
    async with ctx.sessions() as session:
        collected = await session.scalar(
            select(func.sum(PaymentCapture.amount_minor - PaymentCapture.refunded_minor)).where(
                PaymentCapture.operator_id == creds.operator_id
            )
        )
    assert totals["revenue_minor"] == collected
    assert 0 < totals["utilization_pct"] < 60 and 90 < totals["availability_pct"] < 100
    assert totals["faults"] > 0 and body["fault_codes"]
    assert len({r["station_name"] for r in body["rows"]}) == 6

    theirs = await client.get(
        "/api/v1/reports/summary", params=params, headers={"Authorization": f"Bearer {other}"}
    )
    assert {r["station_name"] for r in theirs.json()["rows"]} == {"Jinji Lake Riverside P1"}

    dashboard = await client.get(
        "/api/v1/reports/today", headers={"Authorization": f"Bearer {admin}"}
    )
    assert dashboard.json()["chargers_total"] == 40

    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {driver}"})
    assert me.status_code == 200 and me.json()["kind"] == "driver"
