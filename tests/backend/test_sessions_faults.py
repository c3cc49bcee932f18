"""Charging sessions (operators: their network; drivers: their own) and faults."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.db.models import SessionStatus
from backend.services.events import Audience
from tests.support.builders import World, add_fault, add_session, build_world, context, login


@pytest.fixture
async def world(app: FastAPI) -> World:
    return await build_world(app)


async def test_operator_lists_and_filters_sessions(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    day = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    old = await add_session(app, world, started_at=day)
    new = await add_session(
        app, world, started_at=day + timedelta(days=2), driver_id=world.driver.id
    )
    live = await add_session(
        app, world, started_at=day + timedelta(days=3), status=SessionStatus.ACTIVE
    )
    headers = await login(client, world.staff_email)
    page = (await client.get("/api/v1/sessions", headers=headers)).json()
    assert [s["id"] for s in page["items"]] == [live, new, old]
    first = page["items"][1]
    assert (first["station_name"], first["ocpp_id"], first["currency"]) == (
        "A Plaza",
        "A-CP-1",
        "CNY",
    )
    assert first["energy_wh"] == 12_000 and first["cost_minor"] == 1_200
    params = {"started_from": "2026-03-02T00:00:00Z", "started_to": "2026-03-04T00:00:00+00:00"}
    ranged = (await client.get("/api/v1/sessions", params=params, headers=headers)).json()
    assert [s["id"] for s in ranged["items"]] == [new]
    active = (
        await client.get("/api/v1/sessions", params={"status": "active"}, headers=headers)
    ).json()
    assert [s["id"] for s in active["items"]] == [live]
    by_charger = await client.get(
        "/api/v1/sessions",
        params={"charger_id": world.charger.id, "station_id": world.station.id, "limit": 2},
        headers=headers,
    )
    assert by_charger.json()["total"] == 3 and len(by_charger.json()["items"]) == 2
    other = await client.get("/api/v1/sessions", params={"station_id": 777}, headers=headers)
    assert other.json()["total"] == 0


async def test_session_detail_has_meter_samples(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    sid = await add_session(app, world, driver_id=world.driver.id, samples=4)
    for headers in (
        await login(client, world.admin_email),
        await login(client, world.driver_email, kind="driver"),
    ):
        r = await client.get(f"/api/v1/sessions/{sid}", headers=headers)
        assert r.status_code == 200
        detail = r.json()
        assert detail["meter_start_wh"] == 1000 and detail["meter_stop_wh"] == 13_000
        assert [s["soc"] for s in detail["samples"]] == [40, 50, 60, 70]
        assert detail["samples"][0]["sampled_at"] < detail["samples"][-1]["sampled_at"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "charging"}, "query.status"),
        ({"started_from": "2026-03-02T00:00:00"}, "query.started_from"),
        ({"started_from": "last week"}, "query.started_from"),
        ({"station_id": "abc"}, "query.station_id"),
        ({"charger_id": 10**20}, "query.charger_id"),
        ({"offset": -1}, "query.offset"),
    ],
)
async def test_session_list_bad_input(
    client: httpx.AsyncClient, world: World, params: dict[str, Any], field: str
) -> None:
    r = await client.get(
        "/api/v1/sessions", params=params, headers=await login(client, world.admin_email)
    )
    assert r.status_code == 422
    assert field in {f["field"] for f in r.json()["error"]["fields"]}


async def test_faults_open_and_all_and_acknowledge(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    open_id = await add_fault(app, world, error_code="GroundFailure")
    cleared_id = await add_fault(app, world, error_code="OverVoltage", cleared=True)
    headers = await login(client, world.staff_email)
    open_page = (await client.get("/api/v1/faults", headers=headers)).json()
    assert [f["id"] for f in open_page["items"]] == [open_id]
    fault = open_page["items"][0]
    assert (fault["ocpp_id"], fault["station_name"], fault["source"]) == (
        "A-CP-1",
        "A Plaza",
        "charger",
    )
    every = (await client.get("/api/v1/faults", params={"state": "all"}, headers=headers)).json()
    assert {f["id"] for f in every["items"]} == {open_id, cleared_id}
    stream = context(app).events.subscribe(Audience.operator(world.operator_id))
    next_event = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)  # let the subscription register before the event is published
    r = await client.post(
        f"/api/v1/faults/{open_id}/acknowledge",
        json={"note": "Electrician booked"},
        headers=headers,
    )
    assert r.status_code == 200
    acked = r.json()
    assert (acked["note"], acked["acknowledged_by"]) == ("Electrician booked", world.staff.id)
    assert acked["acknowledged_at"] is not None
    async with asyncio.timeout(5):
        event = await next_event
    assert event.type == "fault.acknowledged" and event.data["id"] == open_id
    await stream.aclose()  # type: ignore[attr-defined]
    assert (await client.get(f"/api/v1/faults/{open_id}", headers=headers)).json()[
        "note"
    ] == "Electrician booked"
    admin = await login(client, world.admin_email)
    audit = (
        await client.get("/api/v1/audit", params={"action": "fault.acknowledged"}, headers=admin)
    ).json()
    assert audit["items"][0]["detail"] == {"note": "Electrician booked"}
    for body in ({"note": ""}, {}, {"note": "x" * 501}):
        r = await client.post(f"/api/v1/faults/{open_id}/acknowledge", json=body, headers=headers)
        assert r.status_code == 422
        assert r.json()["error"]["fields"][0]["field"] == "body.note"
    assert (
        await client.get("/api/v1/faults", params={"state": "closed"}, headers=headers)
    ).status_code == 422
