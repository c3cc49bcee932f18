"""Accounts and cards: driver sign-up and profile, staff management, RFID cards, audit log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.db.base import utcnow
from backend.services.charging import authorize
from backend.services.ocpp_chargers import ChargerRef
from tests.support.builders import World, build_world, context, login


@pytest.fixture
async def world(app: FastAPI) -> World:
    return await build_world(app)


@pytest.fixture
async def admin(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    return await login(client, world.admin_email)


def _fields(response: httpx.Response) -> set[str]:
    return {f["field"] for f in response.json()["error"]["fields"]}


# --- drivers ---------------------------------------------------------------------------------


async def test_driver_signs_up_and_manages_profile(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/drivers",
        json={
            "email": " Li.Wei@Example.com ",
            "full_name": "Li Wei",
            "password": "longenough1",
            "phone": "+86 138 0000 0000",
            "locale": "zh-CN",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "li.wei@example.com"
    headers = await login(client, "li.wei@example.com", kind="driver", password="longenough1")
    me = (await client.get("/api/v1/drivers/me", headers=headers)).json()
    assert (me["full_name"], me["locale"]) == ("Li Wei", "zh-CN")
    r = await client.patch(
        "/api/v1/drivers/me", json={"full_name": "Wei Li", "phone": None}, headers=headers
    )
    assert (r.json()["full_name"], r.json()["phone"]) == ("Wei Li", None)
    # Password change needs the current password.
    r = await client.patch("/api/v1/drivers/me", json={"password": "brand-new-pw"}, headers=headers)
    assert r.status_code == 422 and _fields(r) == {"body.current_password"}
    r = await client.patch(
        "/api/v1/drivers/me",
        json={"password": "brand-new-pw", "current_password": "longenough1"},
        headers=headers,
    )
    assert r.status_code == 200
    await login(client, "li.wei@example.com", kind="driver", password="brand-new-pw")
    # The same e-mail cannot sign up twice.
    r = await client.post(
        "/api/v1/drivers",
        json={"email": "LI.WEI@example.com", "full_name": "X", "password": "longenough1"},
    )
    assert r.status_code == 409 and _fields(r) == {"body.email"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "body.email"),
        ({"password": "short"}, "body.password"),
        ({"full_name": ""}, "body.full_name"),
        ({"phone": "call me"}, "body.phone"),
        ({"phone": "+" + "1" * 32}, "body.phone"),  # the column holds 32 characters
        ({"locale": "english"}, "body.locale"),
        ({"email": None}, "body.email"),
    ],
)
async def test_sign_up_bad_input(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    body = {"email": "d@example.com", "full_name": "D", "password": "longenough1"} | change
    r = await client.post("/api/v1/drivers", json=body)
    assert r.status_code == 422
    assert field in _fields(r)


async def test_driver_sees_own_cards_across_operators(
    app: FastAPI, client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    other = await build_world(app, prefix="b")
    await client.post(
        "/api/v1/cards",
        json={"uid": "a1a1a1a1", "label": "Blue", "driver_email": world.driver_email},
        headers=admin,
    )
    await client.post(
        "/api/v1/cards",
        json={"uid": "B2B2B2B2", "driver_email": world.driver_email},
        headers=await login(client, other.admin_email),
    )
    headers = await login(client, world.driver_email, kind="driver")
    cards = (await client.get("/api/v1/drivers/me/cards", headers=headers)).json()
    assert [(c["uid"], c["operator_name"]) for c in cards] == [
        ("A1A1A1A1", "Operator a"),
        ("B2B2B2B2", "Operator b"),
    ]


async def _authorize(app: FastAPI, world: World, uid: str) -> str:
    """What the central system answers the world's charger for an Authorize of ``uid``."""
    ref = ChargerRef(
        id=world.charger.id,
        ocpp_id=world.charger.ocpp_id,
        operator_id=world.operator_id,
        station_id=world.station.id,
        station_name=world.station.name,
        timezone="Asia/Shanghai",
    )
    info = await authorize(context(app).sessions, ref, id_tag=uid, now=utcnow())
    return info.status


async def test_driver_links_blocks_unblocks_and_removes_a_card(
    app: FastAPI, client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    issued = await client.post("/api/v1/cards", json={"uid": "04A1B2C3D4E5F6"}, headers=admin)
    card_id = issued.json()["id"]
    driver = await login(client, world.driver_email, kind="driver")
    r = await client.post(
        "/api/v1/drivers/me/cards", json={"uid": "04a1b2c3d4e5f6", "label": "Blue"}, headers=driver
    )
    assert r.status_code == 201, r.text
    assert [(c["id"], c["uid"], c["label"], c["status"], c["operator_name"]) for c in r.json()] == [
        (card_id, "04A1B2C3D4E5F6", "Blue", "active", "Operator a")
    ]
    # The operator sees whose card it is now in the card list.
    listed = (await client.get("/api/v1/cards", params={"q": "04a1"}, headers=admin)).json()
    assert [(c["driver_email"], c["label"]) for c in listed["items"]] == [
        (world.driver_email, "Blue")
    ]
    assert await _authorize(app, world, "04A1B2C3D4E5F6") == "Accepted"

    # Lost: blocked by the driver, refused by the charger's next Authorize.
    r = await client.post(f"/api/v1/drivers/me/cards/{card_id}/block", headers=driver)
    assert r.status_code == 200 and r.json()["status"] == "blocked"
    assert await _authorize(app, world, "04A1B2C3D4E5F6") == "Blocked"
    # Found again: the driver lifts their own block.
    r = await client.post(f"/api/v1/drivers/me/cards/{card_id}/unblock", headers=driver)
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert await _authorize(app, world, "04A1B2C3D4E5F6") == "Accepted"

    # A block by the operator is the operator's to lift.
    await client.post(f"/api/v1/cards/{card_id}/block", headers=admin)
    r = await client.post(f"/api/v1/drivers/me/cards/{card_id}/unblock", headers=driver)
    assert r.status_code == 409 and r.json()["error"]["code"] == "card_blocked_by_operator"
    assert await _authorize(app, world, "04A1B2C3D4E5F6") == "Blocked"

    r = await client.delete(f"/api/v1/drivers/me/cards/{card_id}", headers=driver)
    assert r.status_code == 204
    assert (await client.get("/api/v1/drivers/me/cards", headers=driver)).json() == []
    card = (await client.get(f"/api/v1/cards/{card_id}", headers=admin)).json()
    assert (card["driver_id"], card["status"]) == (None, "blocked")  # stays blocked
    actions = [
        (e["action"], e["actor_staff_id"], e["detail"].get("by"))
        for e in (
            await client.get("/api/v1/audit", params={"target_id": str(card_id)}, headers=admin)
        ).json()["items"]
    ]
    assert actions[:5] == [
        ("card.unlinked_by_driver", None, "driver"),
        ("card.blocked", world.admin.id, None),
        ("card.unblocked_by_driver", None, "driver"),
        ("card.blocked_by_driver", None, "driver"),
        ("card.linked_by_driver", None, "driver"),
    ]


async def test_linking_refuses_unknown_taken_and_malformed_cards_and_others_cards(
    app: FastAPI, client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    other = await build_world(app, prefix="b")
    await client.post(
        "/api/v1/cards",
        json={"uid": "AABBCCDD", "driver_email": other.driver_email},
        headers=admin,
    )
    driver = await login(client, world.driver_email, kind="driver")
    r = await client.post("/api/v1/drivers/me/cards", json={"uid": "AABBCCDD"}, headers=driver)
    assert r.status_code == 409 and r.json()["error"]["code"] == "card_taken"
    assert other.driver_email not in r.text and "driver@b" not in r.text  # who is not said
    r = await client.post("/api/v1/drivers/me/cards", json={"uid": "DEADBEEF"}, headers=driver)
    assert r.status_code == 404
    for bad in ("12", "04:A1:B2", "x" * 21):
        r = await client.post("/api/v1/drivers/me/cards", json={"uid": bad}, headers=driver)
        assert r.status_code == 422 and "body.uid" in _fields(r)
    # The other driver's card cannot be blocked, unblocked or removed by this one.
    theirs = (await client.get("/api/v1/cards", headers=admin)).json()["items"][0]["id"]
    for method, path in (
        ("POST", f"/api/v1/drivers/me/cards/{theirs}/block"),
        ("POST", f"/api/v1/drivers/me/cards/{theirs}/unblock"),
        ("DELETE", f"/api/v1/drivers/me/cards/{theirs}"),
    ):
        r = await client.request(method, path, headers=driver)
        assert r.status_code == 404, (method, path, r.text)
    assert (await client.get(f"/api/v1/cards/{theirs}", headers=admin)).json()["status"] == "active"
    # Staff are not drivers.
    r = await client.post("/api/v1/drivers/me/cards", json={"uid": "DEADBEEF"}, headers=admin)
    assert r.status_code in (401, 403)


# --- cards -----------------------------------------------------------------------------------


async def test_card_lifecycle(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    r = await client.post(
        "/api/v1/cards",
        json={"uid": "04a1b2c3", "label": "Fleet 7", "expires_at": "2030-01-01T00:00:00+08:00"},
        headers=admin,
    )
    assert r.status_code == 201
    card = r.json()
    assert (card["uid"], card["status"], card["driver_id"]) == ("04A1B2C3", "active", None)
    assert card["expires_at"].startswith("2029-12-31T16:00:00")
    cid = card["id"]
    r = await client.patch(
        f"/api/v1/cards/{cid}", json={"driver_email": world.driver_email}, headers=admin
    )
    assert (r.json()["driver_id"], r.json()["driver_email"]) == (
        world.driver.id,
        world.driver_email,
    )
    assert (await client.post(f"/api/v1/cards/{cid}/block", headers=admin)).json()[
        "status"
    ] == "blocked"
    blocked = (
        await client.get("/api/v1/cards", params={"status": "blocked"}, headers=admin)
    ).json()
    assert [c["id"] for c in blocked["items"]] == [cid]
    assert (await client.post(f"/api/v1/cards/{cid}/unblock", headers=admin)).json()[
        "status"
    ] == "active"
    r = await client.patch(
        f"/api/v1/cards/{cid}", json={"driver_email": None, "expires_at": None}, headers=admin
    )
    assert (r.json()["driver_id"], r.json()["expires_at"]) == (None, None)
    found = (await client.get("/api/v1/cards", params={"q": "fleet"}, headers=admin)).json()
    assert found["total"] == 1
    # uids are unique per operator (case-insensitive).
    r = await client.post("/api/v1/cards", json={"uid": "04A1B2C3"}, headers=admin)
    assert r.status_code == 409 and _fields(r) == {"body.uid"}
    actions = [
        e["action"]
        for e in (
            await client.get("/api/v1/audit", params={"target_type": "card"}, headers=admin)
        ).json()["items"]
    ]
    assert actions == [
        "card.updated",
        "card.unblocked",
        "card.blocked",
        "card.updated",
        "card.created",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"uid": "xy"}, "body.uid"),
        ({"uid": "has-dash!"}, "body.uid"),
        ({"uid": "ABCD1234", "driver_email": "nobody@nowhere.test"}, "body.driver_email"),
        ({"uid": "ABCD1234", "expires_at": "2030-01-01T00:00:00"}, "body.expires_at"),
        ({"uid": "ABCD1234", "expires_at": "yesterday"}, "body.expires_at"),
        ({"uid": "ABCD1234", "label": "x" * 61}, "body.label"),
    ],
)
async def test_card_bad_input(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], field: str
) -> None:
    r = await client.post("/api/v1/cards", json=body, headers=admin)
    assert r.status_code == 422, r.text
    assert field in _fields(r)
    assert (await client.get("/api/v1/cards", headers=admin)).json()["total"] == 0


# --- staff -----------------------------------------------------------------------------------


async def test_admin_manages_staff(
    client: httpx.AsyncClient, world: World, admin: dict[str, str]
) -> None:
    r = await client.post(
        "/api/v1/staff",
        json={
            "email": "tech@a.test",
            "full_name": "Tech",
            "password": "technician1",
            "role": "staff",
        },
        headers=admin,
    )
    assert r.status_code == 201
    tech = r.json()
    assert (tech["role"], tech["is_active"], tech["operator_id"]) == (
        "staff",
        True,
        world.operator_id,
    )
    assert "password" not in tech and "password_hash" not in tech
    await login(client, "tech@a.test", password="technician1")
    r = await client.patch(
        f"/api/v1/staff/{tech['id']}",
        json={"role": "admin", "password": "another-pass"},
        headers=admin,
    )
    assert r.json()["role"] == "admin"
    await login(client, "tech@a.test", password="another-pass")
    listed = (await client.get("/api/v1/staff", headers=admin)).json()
    assert listed["total"] == 3
    # E-mails are unique, and admins cannot demote or deactivate themselves.
    r = await client.post(
        "/api/v1/staff",
        json={"email": "tech@a.test", "full_name": "T", "password": "whatever12"},
        headers=admin,
    )
    assert r.status_code == 409
    r = await client.patch(f"/api/v1/staff/{world.admin.id}", json={"role": "staff"}, headers=admin)
    assert r.status_code == 409
    r = await client.patch(
        f"/api/v1/staff/{world.admin.id}", json={"is_active": False}, headers=admin
    )
    assert r.status_code == 409
    r = await client.patch(f"/api/v1/staff/{world.admin.id}", json={"role": None}, headers=admin)
    assert r.status_code == 422 and _fields(r) == {"body.role"}
    entries = (
        await client.get("/api/v1/audit", params={"action": "staff.updated"}, headers=admin)
    ).json()
    assert entries["items"][0]["actor_email"] == world.admin_email
    assert entries["items"][0]["detail"]["password_changed"] is True
    assert "another-pass" not in str(entries)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x"}, "body.email"),
        ({"role": "owner"}, "body.role"),
        ({"password": "1234567"}, "body.password"),
    ],
)
async def test_staff_bad_input(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], field: str
) -> None:
    full = {"email": "new@a.test", "full_name": "N", "password": "password123"} | body
    r = await client.post("/api/v1/staff", json=full, headers=admin)
    assert r.status_code == 422
    assert field in _fields(r)


async def test_audit_log_pages_newest_first(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    everything = (await client.get("/api/v1/audit", headers=admin)).json()
    # build_world made a tariff, a station and a charger through the services.
    assert [e["action"] for e in everything["items"]] == [
        "charger.created",
        "station.created",
        "tariff.created",
    ]
    page = (
        await client.get("/api/v1/audit", params={"limit": 1, "offset": 1}, headers=admin)
    ).json()
    assert (page["total"], page["items"][0]["action"]) == (3, "station.created")
    r = await client.get("/api/v1/audit", params={"limit": 500}, headers=admin)
    assert r.status_code == 422
