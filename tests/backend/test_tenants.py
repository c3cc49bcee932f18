"""Tenant isolation: an operator's staff never see or touch another operator's data, and a
driver sees only their own sessions and cards. Foreign objects answer 404, exactly like ids
that do not exist, so existence never leaks."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import (
    World,
    add_fault,
    add_session,
    build_world,
    context,
    create_driver,
    login,
)


@pytest.fixture
async def worlds(app: FastAPI) -> tuple[World, World]:
    return await build_world(app, prefix="a"), await build_world(app, prefix="b", lat=31.3)


async def test_other_operators_objects_are_404_for_every_verb(
    app: FastAPI, client: httpx.AsyncClient, worlds: tuple[World, World]
) -> None:
    a, b = worlds
    card = await client.post(
        "/api/v1/cards", json={"uid": "AA11BB22"}, headers=await login(client, a.admin_email)
    )
    card_id = card.json()["id"]
    session_id = await add_session(app, a, driver_id=a.driver.id)
    fault_id = await add_fault(app, a)
    intruder = await login(client, b.admin_email)
    st, ch, tf = a.station.id, a.charger.id, a.tariff.id
    attempts = [
        ("GET", f"/api/v1/stations/{st}", None),
        ("PATCH", f"/api/v1/stations/{st}", {"name": "Mine now"}),
        ("POST", f"/api/v1/stations/{st}/retire", None),
        ("GET", f"/api/v1/chargers/{ch}", None),
        ("PATCH", f"/api/v1/chargers/{ch}", {"vendor": "Evil"}),
        ("POST", f"/api/v1/chargers/{ch}/retire", None),
        ("POST", f"/api/v1/chargers/{ch}/password", None),
        (
            "POST",
            f"/api/v1/chargers/{ch}/connectors",
            {"connector_no": 3, "connector_type": "CCS2", "max_kw": 50},
        ),
        ("PATCH", f"/api/v1/chargers/{ch}/connectors/1", {"max_kw": 1}),
        ("POST", f"/api/v1/chargers/{ch}/connectors/1/retire", None),
        ("GET", f"/api/v1/tariffs/{tf}", None),
        ("PATCH", f"/api/v1/tariffs/{tf}", {"name": "Cheap"}),
        ("POST", f"/api/v1/tariffs/{tf}/retire", None),
        ("GET", f"/api/v1/cards/{card_id}", None),
        ("PATCH", f"/api/v1/cards/{card_id}", {"label": "x"}),
        ("POST", f"/api/v1/cards/{card_id}/block", None),
        ("POST", f"/api/v1/cards/{card_id}/unblock", None),
        ("GET", f"/api/v1/sessions/{session_id}", None),
        ("GET", f"/api/v1/faults/{fault_id}", None),
        ("POST", f"/api/v1/faults/{fault_id}/acknowledge", {"note": "mine"}),
        ("GET", f"/api/v1/staff/{a.admin.id}", None),
        ("PATCH", f"/api/v1/staff/{a.staff.id}", {"is_active": False}),
    ]
    for method, url, body in attempts:
        r = await client.request(method, url, json=body, headers=intruder)
        assert r.status_code == 404, (method, url, r.status_code, r.text)
        assert r.json()["error"]["code"] == "not_found"
        # Same answer as for an id that does not exist at all.
        missing = url.replace(f"/{url.split('/')[4]}", "/999999", 1)
        r2 = await client.request(method, missing, json=body, headers=intruder)
        assert r2.status_code == 404, (method, missing)
    # Nothing was changed.
    owner = await login(client, a.admin_email)
    assert (await client.get(f"/api/v1/stations/{st}", headers=owner)).json()["name"] == "A Plaza"
    charger = (await client.get(f"/api/v1/chargers/{ch}", headers=owner)).json()
    assert charger["vendor"] == "Acme" and charger["status"] == "active"
    assert (await client.get(f"/api/v1/cards/{card_id}", headers=owner)).json()[
        "status"
    ] == "active"
    staff = (await client.get(f"/api/v1/staff/{a.staff.id}", headers=owner)).json()
    assert staff["is_active"] is True


async def test_lists_only_show_own_operator(
    app: FastAPI, client: httpx.AsyncClient, worlds: tuple[World, World]
) -> None:
    a, b = worlds
    await add_session(app, a)
    await add_fault(app, a)
    headers = await login(client, b.admin_email)
    for path, own in [
        ("/api/v1/stations", b.station.id),
        ("/api/v1/chargers", b.charger.id),
        ("/api/v1/tariffs", b.tariff.id),
    ]:
        body = (await client.get(path, headers=headers)).json()
        assert [item["id"] for item in body["items"]] == [own], path
    for path in ("/api/v1/sessions", "/api/v1/faults", "/api/v1/cards"):
        assert (await client.get(path, headers=headers)).json()["total"] == 0, path
    staff = (await client.get("/api/v1/staff", headers=headers)).json()
    assert {s["email"] for s in staff["items"]} == {b.admin_email, b.staff_email}
    audit = (await client.get("/api/v1/audit", headers=headers)).json()
    assert audit["total"] > 0
    assert all(e["actor_staff_id"] == b.admin.id for e in audit["items"])
    # Staff searching the map see only their own network.
    found = await client.get(
        "/api/v1/stations/search",
        params={"lat": 31.25, "lon": 121.47, "radius_km": 50},
        headers=headers,
    )
    assert [s["id"] for s in found.json()["items"]] == [b.station.id]


async def test_staff_cannot_point_at_another_operators_objects(
    client: httpx.AsyncClient, worlds: tuple[World, World]
) -> None:
    a, b = worlds
    headers = await login(client, b.admin_email)
    r = await client.post(
        "/api/v1/chargers",
        json={
            "station_id": a.station.id,
            "ocpp_id": "B-SNEAKY",
            "connectors": [{"connector_no": 1, "connector_type": "CCS2", "max_kw": 50}],
        },
        headers=headers,
    )
    assert r.status_code == 422
    assert r.json()["error"]["fields"][0]["field"] == "body.station_id"
    r = await client.patch(
        f"/api/v1/stations/{b.station.id}", json={"tariff_id": a.tariff.id}, headers=headers
    )
    assert r.status_code == 422
    assert r.json()["error"]["fields"][0]["field"] == "body.tariff_id"


async def test_driver_sees_only_own_sessions_and_cards(
    app: FastAPI, client: httpx.AsyncClient, worlds: tuple[World, World]
) -> None:
    a, _ = worlds
    async with context(app).sessions() as session:
        other = await create_driver(session, email="other@a.test")
    mine = await add_session(app, a, driver_id=a.driver.id)
    theirs = await add_session(app, a, driver_id=other.id)
    admin = await login(client, a.admin_email)
    await client.post(
        "/api/v1/cards", json={"uid": "0001", "driver_email": "other@a.test"}, headers=admin
    )
    headers = await login(client, a.driver_email, kind="driver")
    listed = (await client.get("/api/v1/sessions", headers=headers)).json()
    assert [s["id"] for s in listed["items"]] == [mine]
    assert (await client.get(f"/api/v1/sessions/{mine}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/v1/sessions/{theirs}", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/drivers/me/cards", headers=headers)).json() == []
