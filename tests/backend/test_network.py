"""Stations, chargers, connectors and tariffs: operator CRUD, the drivers' search and station
page, and the validation of what operators type in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from backend.db.models import AuditLog, Charger, Connector
from backend.security import verify_charger_password
from backend.services.stations import search_stations
from tests.support.builders import World, build_world, context, login


@pytest.fixture
async def world(app: FastAPI) -> World:
    return await build_world(app)


@pytest.fixture
async def admin(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    return await login(client, world.admin_email)


def _fields(response: httpx.Response) -> set[str]:
    return {f["field"] for f in response.json()["error"]["fields"]}


async def _set_status(app: FastAPI, charger_id: int, status: str, *, online: bool = True) -> None:
    """What the OCPP side does on StatusNotification (outside this API)."""
    async with context(app).sessions() as session:
        charger = await session.get(Charger, charger_id)
        assert charger is not None
        charger.is_online = online
        for connector in await session.scalars(
            select(Connector).where(Connector.charger_id == charger_id)
        ):
            connector.ocpp_status = status
        await session.commit()


# --- stations ------------------------------------------------------------------------------


async def test_station_lifecycle(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    body = {
        "name": "Riverside",
        "address": "1 River Rd",
        "city": "Shanghai",
        "latitude": 31.21,
        "longitude": 121.49,
        "opening_hours": "06:00-23:00",
        "photos": ["https://example.test/p.jpg"],
    }
    r = await client.post("/api/v1/stations", json=body, headers=admin)
    assert r.status_code == 201
    station = r.json()
    assert station["status"] == "active" and station["tariff_id"] is None
    r = await client.patch(
        f"/api/v1/stations/{station['id']}",
        json={"name": "Riverside East", "tariff_id": world.tariff.id},
        headers=admin,
    )
    assert r.json()["name"] == "Riverside East"
    assert r.json()["tariff_id"] == world.tariff.id
    listed = await client.get("/api/v1/stations", params={"q": "riverside"}, headers=admin)
    assert [s["id"] for s in listed.json()["items"]] == [station["id"]]
    r = await client.post(f"/api/v1/stations/{station['id']}/retire", headers=admin)
    assert r.json()["status"] == "retired"
    listed = await client.get("/api/v1/stations", headers=admin)
    assert station["id"] not in [s["id"] for s in listed.json()["items"]]
    listed = await client.get("/api/v1/stations", params={"include_retired": True}, headers=admin)
    assert station["id"] in [s["id"] for s in listed.json()["items"]]
    # Retired stations leave the public map.
    assert (await client.get(f"/api/v1/stations/{station['id']}")).status_code == 404
    actions = [
        e["action"] for e in (await client.get("/api/v1/audit", headers=admin)).json()["items"]
    ]
    assert actions[:3] == ["station.retired", "station.updated", "station.created"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"latitude": 91}, "body.latitude"),
        ({"longitude": "east"}, "body.longitude"),
        ({"name": ""}, "body.name"),
        ({"name": "a\x00b"}, "body.name"),
        ({"tariff_id": 0}, "body.tariff_id"),
        ({"tariff_id": 99999}, "body.tariff_id"),
        ({"photos": "not-a-list"}, "body.photos"),
    ],
)
async def test_station_bad_input_names_the_field(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], field: str
) -> None:
    full = {"name": "X", "address": "Y", "latitude": 31.0, "longitude": 121.0} | body
    r = await client.post("/api/v1/stations", json=full, headers=admin)
    assert r.status_code == 422, r.text
    assert field in _fields(r)
    assert (await client.get("/api/v1/stations", headers=admin)).json()["total"] == 1


async def test_failed_update_leaves_nothing_half_written(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    audit_before = (await client.get("/api/v1/audit", headers=admin)).json()["total"]
    # The name is valid, the tariff is not: the whole request fails, the name is not saved.
    r = await client.patch(
        f"/api/v1/stations/{world.station.id}",
        json={"name": "Renamed", "tariff_id": 424242},
        headers=admin,
    )
    assert r.status_code == 422
    station = (await client.get(f"/api/v1/stations/{world.station.id}", headers=admin)).json()
    assert station["name"] == "A Plaza"
    assert (await client.get("/api/v1/audit", headers=admin)).json()["total"] == audit_before


async def test_duplicate_charger_writes_no_connectors_or_audit(
    app: FastAPI, client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    async def counts() -> tuple[int | None, int | None, int | None]:
        async with context(app).sessions() as session:
            return (
                await session.scalar(select(func.count()).select_from(Charger)),
                await session.scalar(select(func.count()).select_from(Connector)),
                await session.scalar(select(func.count()).select_from(AuditLog)),
            )

    before = await counts()
    r = await client.post(
        "/api/v1/chargers",
        json={
            "station_id": world.station.id,
            "ocpp_id": world.charger.ocpp_id,
            "connectors": [{"connector_no": 1, "connector_type": "CCS2", "max_kw": 50}],
        },
        headers=admin,
    )
    assert r.status_code == 409
    assert _fields(r) == {"body.ocpp_id"}
    assert await counts() == before


# --- search and station page ------------------------------------------------------------------


async def test_search_by_distance_and_filters(
    app: FastAPI, client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    near = world.station  # 31.2304, 121.4737
    far = (
        await client.post(
            "/api/v1/stations",
            json={"name": "Far", "address": "x", "latitude": 31.30, "longitude": 121.60},
            headers=admin,
        )
    ).json()
    r = await client.post(
        "/api/v1/chargers",
        json={
            "station_id": far["id"],
            "ocpp_id": "FAR-1",
            "connectors": [{"connector_no": 1, "connector_type": "CCS2", "max_kw": 150}],
        },
        headers=admin,
    )
    far_charger = r.json()["id"]
    params: dict[str, Any] = {"lat": 31.2304, "lon": 121.4737, "radius_km": 30}
    r = await client.get("/api/v1/stations/search", params=params)  # anonymous is fine
    assert r.status_code == 200
    page = r.json()
    assert [s["id"] for s in page["items"]] == [near.id, far["id"]]
    assert page["items"][0]["distance_km"] == 0
    assert 14 < page["items"][1]["distance_km"] < 16
    assert page["items"][0]["connector_types"] == ["GBT_AC", "GBT_DC"]
    assert page["items"][0]["max_kw"] == 60 and page["items"][0]["connectors_total"] == 2
    # Radius, connector type, power, paging.
    small = await client.get("/api/v1/stations/search", params=params | {"radius_km": 5})
    assert [s["id"] for s in small.json()["items"]] == [near.id]
    ccs = await client.get("/api/v1/stations/search", params=params | {"connector_type": "CCS2"})
    assert [s["id"] for s in ccs.json()["items"]] == [far["id"]]
    fast = await client.get("/api/v1/stations/search", params=params | {"min_kw": 100})
    assert [s["id"] for s in fast.json()["items"]] == [far["id"]]
    paged = (
        await client.get("/api/v1/stations/search", params=params | {"limit": 1, "offset": 1})
    ).json()
    assert paged["total"] == 2 and [s["id"] for s in paged["items"]] == [far["id"]]
    # Available now: only chargers online with a free connector.
    none = await client.get("/api/v1/stations/search", params=params | {"available": True})
    assert none.json()["total"] == 0
    await _set_status(app, far_charger, "Available")
    await _set_status(app, world.charger.id, "Charging")
    free = await client.get("/api/v1/stations/search", params=params | {"available": True})
    assert [s["id"] for s in free.json()["items"]] == [far["id"]]
    assert free.json()["items"][0]["connectors_available"] == 1


async def test_search_service_handles_the_antimeridian(app: FastAPI, world: World) -> None:
    async with context(app).sessions() as session:
        page = await search_stations(session, lat=0.0, lon=179.99, radius_km=50)
        assert page.total == 0
        page = await search_stations(session, lat=31.2304, lon=121.4737, radius_km=1)
        assert [s.id for s in page.items] == [world.station.id]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 121}, "query.lat"),
        ({"lat": 91, "lon": 121}, "query.lat"),
        ({"lat": "nan", "lon": 121}, "query.lat"),
        ({"lat": 31, "lon": 121, "radius_km": 0}, "query.radius_km"),
        ({"lat": 31, "lon": 121, "connector_type": "HDMI"}, "query.connector_type"),
        ({"lat": 31, "lon": 121, "limit": 0}, "query.limit"),
    ],
)
async def test_search_bad_input(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    r = await client.get("/api/v1/stations/search", params=params)
    assert r.status_code == 422
    assert field in _fields(r)


async def test_station_page_shows_live_status_and_price_now(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    await _set_status(app, world.charger.id, "Available")
    # 02:00 UTC is 10:00 in Shanghai: the peak band.
    context(app).clock = lambda: datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
    r = await client.get(f"/api/v1/stations/{world.station.id}")
    assert r.status_code == 200
    detail = r.json()
    assert detail["operator_name"] == "Operator a"
    [charger] = detail["chargers"]
    assert charger["ocpp_id"] == "A-CP-1" and charger["is_online"] is True
    assert [
        (c["connector_no"], c["ocpp_status"], c["available"]) for c in charger["connectors"]
    ] == [
        (1, "Available", True),
        (2, "Available", True),
    ]
    assert [b["label"] for b in detail["tariff"]["bands"]] == ["peak", "off-peak"]
    assert detail["price_now"]["band_label"] == "peak"
    assert detail["price_now"]["energy_price"] == "1.5000"
    # 15:00 UTC = 23:00 local: off-peak wraps past midnight.
    context(app).clock = lambda: datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
    price = (await client.get(f"/api/v1/stations/{world.station.id}")).json()["price_now"]
    assert (price["band_label"], price["energy_price"]) == ("off-peak", "0.4000")
    # 07:00 UTC = 15:00 local: no band, base price.
    context(app).clock = lambda: datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
    price = (await client.get(f"/api/v1/stations/{world.station.id}")).json()["price_now"]
    assert (price["band_label"], price["energy_price"]) == (None, "1.0000")
    assert (await client.get("/api/v1/stations/999999")).status_code == 404


# --- chargers and connectors ------------------------------------------------------------------


async def test_charger_lifecycle_and_password_shown_once(
    app: FastAPI, client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    r = await client.post(
        "/api/v1/chargers",
        json={
            "station_id": world.station.id,
            "ocpp_id": "CP-NEW-1",
            "vendor": "Wallbox",
            "model": "Pulsar",
            "connectors": [
                {"connector_no": 1, "connector_type": "TYPE2", "max_kw": 22},
                {"connector_no": 2, "connector_type": "CCS2", "max_kw": 120},
            ],
        },
        headers=admin,
    )
    assert r.status_code == 201
    created = r.json()
    password = created["ocpp_password"]
    assert len(password) >= 16
    assert [c["connector_no"] for c in created["connectors"]] == [1, 2]
    charger_id = created["id"]
    fetched = (await client.get(f"/api/v1/chargers/{charger_id}", headers=admin)).json()
    assert "ocpp_password" not in fetched
    async with context(app).sessions() as session:
        row = await session.get(Charger, charger_id)
        assert row is not None and verify_charger_password(password, row.ocpp_password_hash)
    # Reset: the old password stops working.
    reset = (await client.post(f"/api/v1/chargers/{charger_id}/password", headers=admin)).json()
    assert reset["ocpp_id"] == "CP-NEW-1" and reset["ocpp_password"] != password
    async with context(app).sessions() as session:
        row = await session.get(Charger, charger_id)
        assert row is not None and not verify_charger_password(password, row.ocpp_password_hash)
    r = await client.patch(
        f"/api/v1/chargers/{charger_id}",
        json={"model": "Pulsar Max", "boot_policy": "Pending"},
        headers=admin,
    )
    assert (r.json()["model"], r.json()["boot_policy"]) == ("Pulsar Max", "Pending")
    r = await client.post(
        f"/api/v1/chargers/{charger_id}/connectors",
        json={"connector_no": 3, "connector_type": "CHADEMO", "max_kw": 50},
        headers=admin,
    )
    assert r.status_code == 201 and len(r.json()["connectors"]) == 3
    r = await client.post(
        f"/api/v1/chargers/{charger_id}/connectors",
        json={"connector_no": 3, "connector_type": "CHADEMO", "max_kw": 50},
        headers=admin,
    )
    assert r.status_code == 409
    r = await client.patch(
        f"/api/v1/chargers/{charger_id}/connectors/2", json={"max_kw": 180}, headers=admin
    )
    assert r.json()["connectors"][1]["max_kw"] == 180
    r = await client.post(f"/api/v1/chargers/{charger_id}/connectors/3/retire", headers=admin)
    assert r.json()["connectors"][2]["status"] == "retired"
    assert (
        await client.patch(
            f"/api/v1/chargers/{charger_id}/connectors/9", json={"max_kw": 1}, headers=admin
        )
    ).status_code == 404
    listed = (
        await client.get("/api/v1/chargers", params={"station_id": world.station.id}, headers=admin)
    ).json()
    assert {c["ocpp_id"] for c in listed["items"]} == {"A-CP-1", "CP-NEW-1"}
    r = await client.post(f"/api/v1/chargers/{charger_id}/retire", headers=admin)
    assert r.json()["status"] == "retired"
    assert (
        await client.patch(f"/api/v1/chargers/{charger_id}", json={"vendor": "x"}, headers=admin)
    ).status_code == 409
    listed = (await client.get("/api/v1/chargers", headers=admin)).json()
    assert [c["ocpp_id"] for c in listed["items"]] == ["A-CP-1"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ocpp_id": "has space"}, "body.ocpp_id"),
        ({"ocpp_id": "x" * 49}, "body.ocpp_id"),
        ({"connectors": []}, "body.connectors"),
        (
            {"connectors": [{"connector_no": 1, "connector_type": "CCS2", "max_kw": 50}] * 2},
            "body.connectors",
        ),
        (
            {"connectors": [{"connector_no": 0, "connector_type": "CCS2", "max_kw": 50}]},
            "body.connectors.0.connector_no",
        ),
        (
            {"connectors": [{"connector_no": 1, "connector_type": "USB", "max_kw": 50}]},
            "body.connectors.0.connector_type",
        ),
        (
            {"connectors": [{"connector_no": 1, "connector_type": "CCS2", "max_kw": -5}]},
            "body.connectors.0.max_kw",
        ),
        ({"station_id": 99999}, "body.station_id"),
        ({"station_id": 10**30}, "body.station_id"),
    ],
)
async def test_charger_bad_input(
    client: httpx.AsyncClient,
    world: World,
    admin: dict[str, str],
    change: dict[str, Any],
    field: str,
) -> None:
    body = {
        "station_id": world.station.id,
        "ocpp_id": "CP-OK",
        "connectors": [{"connector_no": 1, "connector_type": "CCS2", "max_kw": 50}],
    } | change
    r = await client.post("/api/v1/chargers", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert field in _fields(r)


# --- tariffs ------------------------------------------------------------------------------------


async def test_tariff_lifecycle(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    body = {
        "name": "Night saver",
        "currency": "CNY",
        "energy_price": "1.2",
        "time_price": "0.05",
        "idle_fee_per_minute": "1",
        "idle_grace_minutes": 15,
        "bands": [{"start": "23:00", "end": "07:00", "label": "night", "energy_price": "0.35"}],
    }
    r = await client.post("/api/v1/tariffs", json=body, headers=admin)
    assert r.status_code == 201
    tariff = r.json()
    assert tariff["energy_price"] == "1.2000" and tariff["bands"][0]["energy_price"] == "0.3500"
    r = await client.patch(
        f"/api/v1/tariffs/{tariff['id']}", json={"energy_price": "1.25", "bands": []}, headers=admin
    )
    assert (r.json()["energy_price"], r.json()["bands"]) == ("1.2500", [])
    r = await client.post(f"/api/v1/tariffs/{tariff['id']}/retire", headers=admin)
    assert r.json()["status"] == "retired"
    listed = (await client.get("/api/v1/tariffs", headers=admin)).json()
    assert [t["id"] for t in listed["items"]] == [world.tariff.id]
    # The tariff a station uses cannot be retired.
    r = await client.post(f"/api/v1/tariffs/{world.tariff.id}/retire", headers=admin)
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "cny"}, "body.currency"),
        ({"currency": "YUAN"}, "body.currency"),
        ({"energy_price": "-0.01"}, "body.energy_price"),
        ({"energy_price": "abc"}, "body.energy_price"),
        ({"energy_price": "1.00001"}, "body.energy_price"),
        ({"idle_grace_minutes": -1}, "body.idle_grace_minutes"),
        (
            {"bands": [{"start": "24:00", "end": "06:00", "energy_price": "1"}]},
            "body.bands.0.start",
        ),
        ({"bands": [{"start": "8:00", "end": "09:00", "energy_price": "1"}]}, "body.bands.0.start"),
        ({"bands": [{"start": "08:00", "end": "08:00", "energy_price": "1"}]}, "body.bands.0.end"),
        (
            {"bands": [{"start": "08:00", "end": "09:00", "energy_price": "-1"}]},
            "body.bands.0.energy_price",
        ),
        (
            {
                "bands": [
                    {"start": "22:00", "end": "06:00", "energy_price": "0.4"},
                    {"start": "05:30", "end": "09:00", "energy_price": "1.5"},
                ]
            },
            "body.bands",
        ),
    ],
)
async def test_tariff_bad_input(
    client: httpx.AsyncClient, admin: dict[str, str], change: dict[str, Any], field: str
) -> None:
    body = {"name": "T", "currency": "CNY", "energy_price": "1"} | change
    r = await client.post("/api/v1/tariffs", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert field in _fields(r), r.text
    r = await client.patch("/api/v1/tariffs/1", json=change, headers=admin)
    assert r.status_code == 422


async def test_adjacent_bands_are_fine(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    bands = [
        {"start": "00:00", "end": "08:00", "energy_price": "0.4"},
        {"start": "08:00", "end": "12:00", "energy_price": "1.5"},
        {"start": "12:00", "end": "00:00", "energy_price": "1.0"},
    ]
    r = await client.post(
        "/api/v1/tariffs",
        json={"name": "Full day", "currency": "EUR", "energy_price": "1", "bands": bands},
        headers=admin,
    )
    assert r.status_code == 201, r.text
