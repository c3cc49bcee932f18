"""Drivers report a problem with a charger: it opens a driver fault on that charger's
operator, shows in the staff fault list and live on the operator's event stream, and is
throttled per driver and charger."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from backend.services.events import Audience
from tests.support.builders import World, build_world, context, login


@pytest.fixture
async def worlds(app: FastAPI) -> tuple[World, World]:
    return await build_world(app, prefix="a"), await build_world(app, prefix="b", lat=31.3)


async def test_report_reaches_the_operators_fault_feed(
    app: FastAPI, client: httpx.AsyncClient, worlds: tuple[World, World]
) -> None:
    a, b = worlds
    driver = await login(client, a.driver_email, kind="driver")
    stream = context(app).events.subscribe(Audience.operator(a.operator_id))
    next_event = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)  # let the subscription register before the event is published
    r = await client.post(
        "/api/v1/chargers/A-CP-1/problems",
        json={"connector_no": 2, "category": "damaged", "note": "Cable holster is cracked"},
        headers=driver,
    )
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["ocpp_id"], report["station_name"], report["connector_no"]) == (
        "A-CP-1",
        "A Plaza",
        2,
    )
    assert (report["category"], report["note"]) == ("damaged", "Cable holster is cracked")
    async with asyncio.timeout(5):
        event = await next_event
    await stream.aclose()  # type: ignore[attr-defined]
    assert event.type == "fault.opened"
    assert event.data == {
        "charger_id": a.charger.id,
        "ocpp_id": "A-CP-1",
        "station_id": a.station.id,
        "station_name": "A Plaza",
        "fault_id": report["fault_id"],
        "connector_no": 2,
        "error_code": "damaged",
        "source": "driver",
        "info": "Cable holster is cracked",
    }

    staff = await login(client, a.staff_email)
    faults = (await client.get("/api/v1/faults", headers=staff)).json()["items"]
    assert [
        (f["id"], f["source"], f["error_code"], f["info"], f["connector_no"]) for f in faults
    ] == [(report["fault_id"], "driver", "damaged", "Cable holster is cracked", 2)]
    assert faults[0]["reported_by_driver_id"] == a.driver.id
    other_staff = await login(client, b.staff_email)
    assert (await client.get("/api/v1/faults", headers=other_staff)).json()["items"] == []
    r = await client.get(f"/api/v1/faults/{report['fault_id']}", headers=other_staff)
    assert r.status_code == 404

    whole = await client.post(
        "/api/v1/chargers/B-CP-1/problems",
        json={"category": "blocked_bay", "note": "A petrol car is parked in the bay"},
        headers=driver,
    )
    assert whole.status_code == 201 and whole.json()["connector_no"] is None
    [b_fault] = (await client.get("/api/v1/faults", headers=other_staff)).json()["items"]
    assert (b_fault["connector_no"], b_fault["error_code"]) == (0, "blocked_bay")


async def test_unknown_and_retired_chargers_are_404(
    app: FastAPI, client: httpx.AsyncClient, worlds: tuple[World, World]
) -> None:
    a, _ = worlds
    driver = await login(client, a.driver_email, kind="driver")
    body = {"category": "other", "note": "Screen is blank"}
    r = await client.post("/api/v1/chargers/NOPE-1/problems", json=body, headers=driver)
    assert r.status_code == 404
    admin = await login(client, a.admin_email)
    retired = await client.post(f"/api/v1/chargers/{a.charger.id}/retire", headers=admin)
    assert retired.status_code == 200, retired.text
    r = await client.post("/api/v1/chargers/A-CP-1/problems", json=body, headers=driver)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "other", "note": ""}, "body.note"),
        ({"category": "other", "note": "x" * 501}, "body.note"),
        ({"category": "other"}, "body.note"),
        ({"category": "exploded", "note": "Boom"}, "body.category"),
        ({"note": "Boom"}, "body.category"),
        ({"category": "other", "note": "Hi", "connector_no": 0}, "body.connector_no"),
        ({"category": "other", "note": "Hi", "connector_no": 7}, "body.connector_no"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, worlds: tuple[World, World], body: dict[str, object], field: str
) -> None:
    a, _ = worlds
    driver = await login(client, a.driver_email, kind="driver")
    r = await client.post("/api/v1/chargers/A-CP-1/problems", json=body, headers=driver)
    assert r.status_code == 422, r.text
    assert field in {f["field"] for f in r.json()["error"]["fields"]}


async def test_staff_and_anonymous_cannot_report(
    client: httpx.AsyncClient, worlds: tuple[World, World]
) -> None:
    a, _ = worlds
    body = {"category": "other", "note": "Screen is blank"}
    r = await client.post("/api/v1/chargers/A-CP-1/problems", json=body)
    assert r.status_code == 401
    staff = await login(client, a.staff_email)
    r = await client.post("/api/v1/chargers/A-CP-1/problems", json=body, headers=staff)
    assert r.status_code == 403


async def test_sixth_report_on_one_charger_within_an_hour_is_429(
    client: httpx.AsyncClient, worlds: tuple[World, World]
) -> None:
    a, b = worlds
    driver = await login(client, a.driver_email, kind="driver")
    body = {"category": "not_charging", "note": "Stops after a minute"}
    for _ in range(5):
        r = await client.post("/api/v1/chargers/A-CP-1/problems", json=body, headers=driver)
        assert r.status_code == 201
    r = await client.post("/api/v1/chargers/A-CP-1/problems", json=body, headers=driver)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    # Another charger, and another driver on this one, are not affected.
    r = await client.post("/api/v1/chargers/B-CP-1/problems", json=body, headers=driver)
    assert r.status_code == 201
    other = await login(client, b.driver_email, kind="driver")
    r = await client.post("/api/v1/chargers/A-CP-1/problems", json=body, headers=other)
    assert r.status_code == 201
    staff = await login(client, a.staff_email)
    faults = (await client.get("/api/v1/faults", headers=staff)).json()
    assert faults["total"] == 6
