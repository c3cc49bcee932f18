"""Operator reports: figures right on hand-made data (Shanghai day boundaries), tenant
isolation, bad input, CSV export and the today dashboard."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, update

from backend.context import AppContext
from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    Driver,
    Fault,
    Operator,
    PaymentCapture,
    PaymentIntent,
    StaffUser,
    Station,
)
from backend.payments.operations import record_capture
from backend.payments.refunds import refund_payment
from backend.payments.revenue import captured_revenue
from backend.security import Principal, issue_access_token

SH = ZoneInfo("Asia/Shanghai")
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def sh(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Shanghai wall-clock time in 2026, as an aware datetime."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


class Net:
    """Ids of the hand-made network."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


def ctx_of(app: FastAPI) -> AppContext:
    ctx: AppContext = app.state.ctx
    return ctx


async def _insert(app: FastAPI, model: Any, **values: Any) -> int:
    async with ctx_of(app).sessions() as session:
        result = await session.execute(insert(model).returning(model.id), [values])
        await session.commit()
        return int(result.scalar_one())


async def add_session(
    app: FastAPI,
    net: Net,
    prefix: str,
    charger: str,
    connector: int,
    start: datetime,
    stop: datetime | None,
    kwh: float,
    cost: int,
    status: str = "completed",
    *,
    paid: bool | None = None,
) -> int:
    """A session row; a completed one with a cost is also paid (payment + capture of its
    cost) unless ``paid`` says otherwise: reports count money captured, not prices."""
    session_id = await _insert(
        app,
        ChargingSession,
        operator_id=net[f"{prefix}op"],
        station_id=net[f"{charger}_station"],
        charger_id=net[charger],
        connector_no=connector,
        id_tag="TAG1",
        status=status,
        started_at=start,
        stopped_at=stop,
        energy_wh=round(kwh * 1000),
        cost_minor=cost,
        currency="CNY",
    )
    if paid if paid is not None else (status == "completed" and cost > 0):
        await add_capture(app, net, prefix, charger, session_id, cost)
    return session_id


async def add_capture(
    app: FastAPI,
    net: Net,
    prefix: str,
    charger: str,
    session_id: int,
    amount: int,
    *,
    refunded: int = 0,
    method: str = "card",
) -> int:
    """The payment of a session and its capture of ``amount`` (as settlement writes them)."""
    payment_id = await _insert(
        app,
        PaymentIntent,
        purpose="session",
        method=method,
        status="captured",
        currency="CNY",
        operator_id=net[f"{prefix}op"],
        station_id=net[f"{charger}_station"],
        charger_id=net[charger],
        connector_no=1,
        session_id=session_id,
        provider="sandbox",
        authorized_minor=max(amount, 20_000),
        final_cost_minor=amount,
        captured_minor=amount,
        refunded_minor=refunded,
    )
    await _insert(
        app,
        PaymentCapture,
        payment_id=payment_id,
        session_id=session_id,
        operator_id=net[f"{prefix}op"],
        station_id=net[f"{charger}_station"],
        charger_id=net[charger],
        method=method,
        currency="CNY",
        amount_minor=amount,
        refunded_minor=refunded,
    )
    return payment_id


async def build_network(app: FastAPI) -> Net:
    """Operator A: station Alpha (charger A1, 2 plugs), station Beta (charger B1, 1 plug);
    operator B: one station with a busy charger X1; sessions and faults around day edges."""
    net = Net()
    ids = net.ids
    for prefix, name in (("a", "Alpha Power"), ("b", "Bravo Energy")):
        ids[f"{prefix}op"] = await _insert(
            app,
            Operator,
            name=name,
            slug=name.lower().replace(" ", "-"),
            currency="CNY",
            timezone="Asia/Shanghai",
        )
        ids[f"{prefix}staff"] = await _insert(
            app,
            StaffUser,
            operator_id=ids[f"{prefix}op"],
            email=f"staff@{prefix}.test",
            full_name="Staff",
            password_hash="x",
            role="staff",
        )
    ids["driver"] = await _insert(
        app, Driver, email="d@d.test", full_name="Driver", password_hash="x"
    )
    plan = (
        ("alpha", "aop", "Alpha Station", "A1", 2),
        ("beta", "aop", "Beta Station", "B1", 1),
        ("xray", "bop", "Xray Station", "X1", 2),
    )
    for key, op, station_name, charger, plugs in plan:
        ids[key] = await _insert(
            app,
            Station,
            operator_id=ids[op],
            name=station_name,
            address="1 Road",
            latitude=31.2,
            longitude=121.4,
        )
        ids[charger] = await _insert(
            app,
            Charger,
            operator_id=ids[op],
            station_id=ids[key],
            ocpp_id=f"CP-{charger}",
            ocpp_password_hash="x",
            created_at=LONG_AGO,
        )
        ids[f"{charger}_station"] = ids[key]
        for no in range(1, plugs + 1):
            await _insert(
                app,
                Connector,
                charger_id=ids[charger],
                connector_no=no,
                connector_type="GBT_DC",
                max_kw=60.0,
            )
    # A1: 23:30-00:30 across the Nov 2/3 local midnight.
    await add_session(app, net, "a", "A1", 1, sh(2, 23, 30), sh(3, 0, 30), 10, 1500)
    # A1: 07:59 local on Nov 3 is still Nov 2 in UTC.
    await add_session(app, net, "a", "A1", 2, sh(3, 7, 59), sh(3, 9, 59), 20, 3000)
    await add_session(app, net, "a", "B1", 1, sh(3, 12), sh(3, 13), 5, 800)
    # Exactly at local midnight: belongs to Nov 4.
    await add_session(app, net, "a", "B1", 1, sh(4, 0), sh(4, 1), 7.5, 1000)
    # Never started: not a session in the figures.
    await add_session(app, net, "a", "B1", 1, sh(3, 18), None, 0, 0, status="failed")
    # The other tenant, same days, big numbers.
    await add_session(app, net, "b", "X1", 1, sh(3, 10), sh(3, 20), 400, 99999)
    # B1 faulted 10:00-16:00 Nov 3 (whole charger); A1 offline 22:00 Nov 4 - 02:00 Nov 5.
    await _insert(
        app,
        Fault,
        operator_id=ids["aop"],
        charger_id=ids["B1"],
        connector_no=0,
        source="charger",
        error_code="GroundFailure",
        opened_at=sh(3, 10),
        cleared_at=sh(3, 16),
    )
    await _insert(
        app,
        Fault,
        operator_id=ids["aop"],
        charger_id=ids["A1"],
        connector_no=0,
        source="watchdog",
        error_code="Offline",
        opened_at=sh(4, 22),
        cleared_at=sh(5, 2),
    )
    # Nov 6 on A1 (2 plugs): plug 1 faulted 10-12, the whole charger offline 11-13.
    await _insert(
        app, Fault, operator_id=ids["aop"], charger_id=ids["A1"], connector_no=1,
        source="charger", error_code="ConnectorLockFailure", opened_at=sh(6, 10),
        cleared_at=sh(6, 12),
    )  # fmt: skip
    await _insert(
        app, Fault, operator_id=ids["aop"], charger_id=ids["A1"], connector_no=0,
        source="watchdog", error_code="Offline", opened_at=sh(6, 11), cleared_at=sh(6, 13),
    )  # fmt: skip
    await _insert(
        app,
        Fault,
        operator_id=ids["bop"],
        charger_id=ids["X1"],
        connector_no=1,
        source="charger",
        error_code="PowerMeterFailure",
        opened_at=sh(3, 11),
        cleared_at=None,
    )
    return net


def auth(app: FastAPI, staff_id: int, operator_id: int) -> dict[str, str]:
    ctx = ctx_of(app)
    token = issue_access_token(
        ctx.settings, Principal("staff", staff_id, operator_id, None), now=ctx.clock()
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def net(app: FastAPI) -> Net:
    return await build_network(app)


def _params(**extra: str | int) -> dict[str, str | int]:
    return {"from": "2026-11-02", "to": "2026-11-04", **extra}


async def test_daily_network_report_respects_shanghai_days(
    app: FastAPI, client: httpx.AsyncClient, net: Net
) -> None:
    response = await client.get(
        "/api/v1/reports/summary", params=_params(), headers=auth(app, net["astaff"], net["aop"])
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["currency"] == "CNY" and body["timezone"] == "Asia/Shanghai"
    rows = {row["period"]: row for row in body["rows"]}
    assert list(rows) == ["2026-11-02", "2026-11-03", "2026-11-04"]
    day2, day3, day4 = rows["2026-11-02"], rows["2026-11-03"], rows["2026-11-04"]
    assert (day2["sessions"], day2["energy_kwh"], day2["revenue_minor"]) == (1, 10.0, 1500)
    assert (day3["sessions"], day3["energy_kwh"], day3["revenue_minor"]) == (2, 25.0, 3800)
    assert (day4["sessions"], day4["energy_kwh"], day4["revenue_minor"]) == (1, 7.5, 1000)
    # 3 connectors x 24 h each day. Nov 2: 30 min busy; Nov 3: 30 min spill + 2 h + 1 h.
    assert day2["utilization_pct"] == pytest.approx(100 * 1800 / 259200, abs=0.01)
    assert day3["utilization_pct"] == pytest.approx(100 * 12600 / 259200, abs=0.01)
    assert day4["utilization_pct"] == pytest.approx(100 * 3600 / 259200, abs=0.01)
    # B1 (1 plug) faulted 6 h on Nov 3; A1 (2 plugs) offline 2 h before midnight on Nov 4.
    assert day2["availability_pct"] == 100.0
    assert day3["availability_pct"] == pytest.approx(100 - 100 * 21600 / 259200, abs=0.01)
    assert day4["availability_pct"] == pytest.approx(100 - 100 * 14400 / 259200, abs=0.01)
    assert (day3["outage_minutes"], day4["outage_minutes"]) == (360, 240)
    assert (day2["faults"], day3["faults"], day4["faults"]) == (0, 1, 1)
    totals = body["totals"]
    assert (totals["sessions"], totals["energy_kwh"], totals["revenue_minor"]) == (4, 42.5, 6300)
    assert totals["faults"] == 2
    assert body["fault_codes"] == {"GroundFailure": 1, "Offline": 1}


async def test_weekly_report_by_station(app: FastAPI, client: httpx.AsyncClient, net: Net) -> None:
    response = await client.get(
        "/api/v1/reports/summary",
        params={"from": "2026-10-28", "to": "2026-11-10", "group": "week", "by": "station"},
        headers=auth(app, net["astaff"], net["aop"]),
    )
    assert response.status_code == 200, response.text
    rows = [(r["period"], r["station_name"], r["sessions"]) for r in response.json()["rows"]]
    # Weeks are cut to the range: W44 starts on Wednesday Oct 28; Nov 2 is a Monday (W45).
    assert rows == [
        ("2026-W44", "Alpha Station", 0),
        ("2026-W44", "Beta Station", 0),
        ("2026-W45", "Alpha Station", 2),
        ("2026-W45", "Beta Station", 2),
        ("2026-W46", "Alpha Station", 0),
        ("2026-W46", "Beta Station", 0),
    ]
    first = response.json()["rows"][0]
    assert (first["period_start"], first["period_end"]) == ("2026-10-28", "2026-11-01")


async def test_monthly_report_by_charger_for_one_station(
    app: FastAPI, client: httpx.AsyncClient, net: Net
) -> None:
    response = await client.get(
        "/api/v1/reports/summary",
        params={
            "from": "2026-10-01",
            "to": "2026-11-30",
            "group": "month",
            "by": "charger",
            "station_id": net["beta"],
        },
        headers=auth(app, net["astaff"], net["aop"]),
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert [(r["period"], r["charger_ocpp_id"], r["sessions"]) for r in rows] == [
        ("2026-10", "CP-B1", 0),
        ("2026-11", "CP-B1", 2),
    ]
    assert rows[1]["energy_kwh"] == 12.5 and rows[1]["station_name"] == "Beta Station"


async def test_report_picks_up_sessions_completed_later(
    app: FastAPI, client: httpx.AsyncClient, net: Net
) -> None:
    headers = auth(app, net["astaff"], net["aop"])
    params = _params(to="2026-11-02")
    first = await client.get("/api/v1/reports/summary", params=params, headers=headers)
    assert first.json()["totals"]["sessions"] == 1
    running = await add_session(app, net, "a", "B1", 1, sh(2, 20), None, 3, 0, status="active")
    second = (await client.get("/api/v1/reports/summary", params=params, headers=headers)).json()
    assert second["totals"]["sessions"] == 2  # a running session counts live
    async with ctx_of(app).sessions() as session:
        await session.execute(
            update(ChargingSession)
            .where(ChargingSession.id == running)
            .values(status="completed", stopped_at=sh(2, 21), energy_wh=8000, cost_minor=1200)
        )
        await session.commit()
    await add_capture(app, net, "a", "B1", running, 1200)
    third = (await client.get("/api/v1/reports/summary", params=params, headers=headers)).json()
    assert third["totals"]["energy_kwh"] == 18.0 and third["totals"]["revenue_minor"] == 2700
    # 30 min + 1 h busy out of 3 connectors x 24 h.
    assert third["totals"]["utilization_pct"] == pytest.approx(100 * 5400 / 259200, abs=0.01)


async def test_revenue_is_money_captured_even_when_it_lands_after_the_session(
    app: FastAPI, client: httpx.AsyncClient, net: Net
) -> None:
    """A card capture (or a refund) is recorded after its session row was last written:
    the report still moves to the money collected, and equals the sum of captures."""
    ctx = ctx_of(app)
    headers = auth(app, net["astaff"], net["aop"])
    params = _params(to="2026-11-02")
    ended = await add_session(app, net, "a", "B1", 1, sh(2, 20), sh(2, 21), 8, 1200, paid=False)
    async with ctx.sessions() as session:
        # Every session last written long ago: the first report's watermark passes them all.
        await session.execute(
            update(ChargingSession)
            .where(ChargingSession.operator_id == net["aop"])
            .values(updated_at=sh(5, 0))
        )
        await session.commit()
    first = (await client.get("/api/v1/reports/summary", params=params, headers=headers)).json()
    # The price of an unpaid session is not revenue.
    assert (first["totals"]["sessions"], first["totals"]["revenue_minor"]) == (2, 1500)
    payment_id = await _insert(
        app, PaymentIntent, purpose="session", method="wallet", status="capture_pending",
        currency="CNY", driver_id=net["driver"], operator_id=net["aop"],
        station_id=net["beta"], charger_id=net["B1"], connector_no=1, session_id=ended,
        provider="wallet", authorized_minor=5000, final_cost_minor=1200,
    )  # fmt: skip
    async with ctx.sessions() as session:
        intent = await session.get(PaymentIntent, payment_id)
        assert intent is not None
        await record_capture(session, intent, 1200, now=ctx.clock())
        await session.commit()
    second = (await client.get("/api/v1/reports/summary", params=params, headers=headers)).json()
    assert second["totals"]["revenue_minor"] == 2700
    await refund_payment(
        ctx, operator_id=net["aop"], payment_id=payment_id, amount_minor=300, reason="slow"
    )
    third = (await client.get("/api/v1/reports/summary", params=params, headers=headers)).json()
    assert third["totals"]["revenue_minor"] == 2400
    # Every capture of the operator (all its sessions started Nov 2-4) minus refunds.
    whole = (await client.get("/api/v1/reports/summary", params=_params(), headers=headers)).json()
    async with ctx.sessions() as session:
        collected = await captured_revenue(
            session, operator_id=net["aop"], since=LONG_AGO, until=ctx.clock() + timedelta(hours=1)
        )
    assert whole["totals"]["revenue_minor"] == collected["CNY"] == 6300 + 1200 - 300


async def test_overlapping_faults_count_each_connector_once(
    app: FastAPI, client: httpx.AsyncClient, net: Net
) -> None:
    response = await client.get(
        "/api/v1/reports/summary",
        params={"from": "2026-11-06", "to": "2026-11-06", "by": "charger"},
        headers=auth(app, net["astaff"], net["aop"]),
    )
    rows = {r["charger_ocpp_id"]: r for r in response.json()["rows"]}
    # Plug 1 down 10:00-13:00, plug 2 down 11:00-13:00: 5 connector-hours of 48.
    assert (rows["CP-A1"]["outage_minutes"], rows["CP-A1"]["faults"]) == (300, 2)
    assert rows["CP-A1"]["availability_pct"] == pytest.approx(100 - 100 * 5 / 48, abs=0.01)
    assert (rows["CP-B1"]["availability_pct"], rows["CP-B1"]["faults"]) == (100.0, 0)


async def test_simultaneous_first_reports_agree(
    app: FastAPI, client: httpx.AsyncClient, net: Net
) -> None:
    # Both requests find no rollup yet and build it at the same time.
    headers = auth(app, net["astaff"], net["aop"])
    responses = await asyncio.gather(
        *(
            client.get("/api/v1/reports/summary", params=_params(), headers=headers)
            for _ in range(3)
        )
    )
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert {r.json()["totals"]["revenue_minor"] for r in responses} == {6300}


async def test_tenants_see_only_their_own_network(
    app: FastAPI, client: httpx.AsyncClient, net: Net
) -> None:
    b_headers = auth(app, net["bstaff"], net["bop"])
    body = (await client.get("/api/v1/reports/summary", params=_params(), headers=b_headers)).json()
    assert body["totals"]["sessions"] == 1 and body["totals"]["revenue_minor"] == 99999
    assert body["fault_codes"] == {"PowerMeterFailure": 1}
    by_station = (
        await client.get("/api/v1/reports/summary", params=_params(by="station"), headers=b_headers)
    ).json()
    assert {r["station_name"] for r in by_station["rows"]} == {"Xray Station"}
    # Another operator's station is "not found", exactly like a missing one.
    other = await client.get(
        "/api/v1/reports/summary", params=_params(station_id=net["alpha"]), headers=b_headers
    )
    missing = await client.get(
        "/api/v1/reports/summary", params=_params(station_id=999999), headers=b_headers
    )
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-11-05", "to": "2026-11-01"}, "query.to"),
        ({"to": "2026-11-01"}, "query.from"),
        ({"from": "2026-13-01", "to": "2026-11-01"}, "query.from"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "query.to"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "query.from"),
        ({"from": "2026-01-01", "to": "9999-12-31"}, "query.to"),
        ({"from": "2026-11-01", "to": "2026-11-02", "group": "year"}, "query.group"),
        ({"from": "2026-11-01", "to": "2026-11-02", "by": "planet"}, "query.by"),
        ({"from": "2026-11-01", "to": "2026-11-02", "station_id": "0"}, "query.station_id"),
    ],
)
async def test_bad_input_names_the_field(
    app: FastAPI, client: httpx.AsyncClient, net: Net, params: dict[str, str], field: str
) -> None:
    for path in ("/api/v1/reports/summary", "/api/v1/reports/summary.csv"):
        response = await client.get(
            path, params=params, headers=auth(app, net["astaff"], net["aop"])
        )
        assert response.status_code == 422, response.text
        assert field in [f["field"] for f in response.json()["error"]["fields"]]


async def test_reports_need_staff(app: FastAPI, client: httpx.AsyncClient, net: Net) -> None:
    assert (await client.get("/api/v1/reports/today")).status_code == 401
    ctx = ctx_of(app)
    token = issue_access_token(ctx.settings, Principal("driver", net["driver"]), now=ctx.clock())
    response = await client.get(
        "/api/v1/reports/summary", params=_params(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


async def test_csv_export_parses(app: FastAPI, client: httpx.AsyncClient, net: Net) -> None:
    response = await client.get(
        "/api/v1/reports/summary.csv",
        params=_params(by="station"),
        headers=auth(app, net["astaff"], net["aop"]),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        'filename="report-2026-11-02_2026-11-04-day-station.csv"'
        in (response.headers["content-disposition"])
    )
    lines = list(csv.DictReader(io.StringIO(response.text)))
    assert len(lines) == 3 * 2 + 1
    beta3 = next(
        r for r in lines if r["period"] == "2026-11-03" and r["station_name"] == "Beta Station"
    )
    assert (beta3["sessions"], beta3["energy_kwh"], beta3["revenue"]) == ("1", "5.000", "8.00")
    assert beta3["availability_pct"] == "75.0"  # 6 of 24 h faulted on its one connector
    total = lines[-1]
    assert (total["period"], total["sessions"], total["revenue"], total["currency"]) == (
        "total",
        "4",
        "63.00",
        "CNY",
    )


async def test_today_dashboard(app: FastAPI, client: httpx.AsyncClient, net: Net) -> None:
    now = ctx_of(app).clock()
    midnight = datetime.combine(now.astimezone(SH).date(), datetime.min.time(), tzinfo=SH)
    start = now - min(timedelta(minutes=30), (now - midnight) / 2)
    await add_session(app, net, "a", "A1", 1, start, None, 4, 500, status="active")
    await add_session(app, net, "a", "B1", 1, start, start + timedelta(seconds=1), 6, 700)
    await add_session(app, net, "b", "X1", 1, start, None, 50, 5000, status="active")
    async with ctx_of(app).sessions() as session:
        await session.execute(update(Charger).where(Charger.id == net["A1"]).values(is_online=True))
        await session.execute(
            update(Connector)
            .where(Connector.charger_id == net["A1"], Connector.connector_no == 1)
            .values(ocpp_status="Charging")
        )
        await session.commit()
    response = await client.get(
        "/api/v1/reports/today", headers=auth(app, net["astaff"], net["aop"])
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date"] == now.astimezone(SH).date().isoformat()
    assert (body["sessions"], body["active_sessions"]) == (2, 1)
    # Revenue is money collected: the running session has not been captured yet.
    assert (body["energy_kwh"], body["revenue_minor"]) == (10.0, 700)
    assert (body["chargers_total"], body["chargers_online"], body["chargers_offline"]) == (2, 1, 1)
    assert (body["chargers_charging"], body["chargers_faulted"], body["open_faults"]) == (1, 0, 0)
