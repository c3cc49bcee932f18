"""Sign-in, token rotation and the guards every protected endpoint relies on."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from backend.db.base import utcnow
from backend.db.models import StaffRole, StaffUser
from backend.security import (
    hash_charger_password,
    hash_password,
    issue_access_token,
    password_hashing,
    verify_charger_password,
    verify_password,
)
from tests.support.builders import (
    PASSWORD,
    World,
    build_world,
    context,
    login,
)


@pytest.fixture
async def world(app: FastAPI) -> World:
    return await build_world(app)


async def _login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, kind: str = "staff"
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password, "kind": kind}
    )


async def test_staff_and_driver_sign_in_and_see_who_they_are(
    client: httpx.AsyncClient, world: World
) -> None:
    staff = await _login(client, world.admin_email.upper())  # e-mail is case-insensitive
    assert staff.status_code == 200
    pair = staff.json()
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 15 * 60
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert me.json()["kind"] == "staff"
    assert me.json()["role"] == "admin"
    assert me.json()["operator_name"] == "Operator a"

    headers = await login(client, world.driver_email, kind="driver")
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.json() == {
        "kind": "driver",
        "id": world.driver.id,
        "email": world.driver_email,
        "full_name": "Test Driver",
        "operator_id": None,
        "operator_name": None,
        "role": None,
    }


async def test_oauth2_password_form_signs_in(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/auth/token",
        data={"username": world.driver_email, "password": PASSWORD, "scope": "driver"},
    )
    assert r.status_code == 200
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["kind"] == "driver"


async def test_oauth2_form_with_a_non_email_username_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/token", data={"username": "admin", "password": "x"})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == [
        {"field": "body.username", "problem": "The username must be an e-mail address."}
    ]


async def test_wrong_password_and_unknown_account_look_the_same(
    client: httpx.AsyncClient, world: World
) -> None:
    wrong = await _login(client, world.admin_email, "not-the-password")
    unknown = await _login(client, "nobody@a.test")
    driver_as_staff = await _login(client, world.driver_email)  # right password, wrong kind
    for r in (wrong, unknown, driver_as_staff):
        assert r.status_code == 401
        assert r.json()["error"] == {
            "code": "unauthenticated",
            "message": "Wrong e-mail or password.",
            "fields": [],
        }


async def test_refresh_rotates_and_old_token_stops_working(
    client: httpx.AsyncClient, world: World
) -> None:
    first = (await _login(client, world.staff_email)).json()
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert me.json()["email"] == world.staff_email


async def test_reusing_a_refresh_token_revokes_the_whole_family(
    client: httpx.AsyncClient, world: World
) -> None:
    first = (await _login(client, world.staff_email)).json()
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    # Someone replays the first (stolen) token: refused ...
    replay = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 401
    assert "already used" in replay.json()["error"]["message"]
    # ... and the legitimate, newer token of that sign-in is dead too.
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401
    # Another sign-in of the same user is unaffected.
    other = (await _login(client, world.staff_email)).json()
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert r.status_code == 200


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient, world: World) -> None:
    pair = (await _login(client, world.driver_email, kind="driver")).json()
    r = await client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 204
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401
    # Logging out twice or with garbage is harmless.
    r = await client.post("/api/v1/auth/logout", json={"refresh_token": "garbage"})
    assert r.status_code == 204


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwdw==", "Bearer eyJhbGciOiJub25lIn0.e30."],
)
async def test_missing_or_bad_token_is_401(
    client: httpx.AsyncClient, world: World, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    r = await client.get("/api/v1/stations", headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "unauthenticated"


async def test_expired_token_is_401(app: FastAPI, client: httpx.AsyncClient, world: World) -> None:
    token = issue_access_token(
        context(app).settings, world.admin, now=utcnow() - timedelta(hours=1)
    )
    r = await client.get("/api/v1/stations", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "expired" in r.json()["error"]["message"]


async def test_token_signed_with_another_key_is_401(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    settings = context(app).settings.model_copy(update={"secret_key": "x" * 40})
    token = issue_access_token(settings, world.admin, now=utcnow())
    r = await client.get("/api/v1/stations", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_deactivated_staff_lose_access_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    staff_headers = await login(client, world.staff_email)
    admin_headers = await login(client, world.admin_email)
    r = await client.patch(
        f"/api/v1/staff/{world.staff.id}", json={"is_active": False}, headers=admin_headers
    )
    assert r.status_code == 200
    assert (await client.get("/api/v1/stations", headers=staff_headers)).status_code == 401
    assert (await _login(client, world.staff_email)).status_code == 401


async def test_roles_are_enforced(client: httpx.AsyncClient, world: World) -> None:
    driver = await login(client, world.driver_email, kind="driver")
    staff = await login(client, world.staff_email)
    admin = await login(client, world.admin_email)
    # Drivers cannot use operator endpoints; staff cannot use driver-only ones.
    r = await client.get("/api/v1/chargers", headers=driver)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert (await client.get("/api/v1/drivers/me", headers=staff)).status_code == 403
    # Plain staff cannot manage staff, tariffs or read the audit log; admins can.
    assert (await client.get("/api/v1/staff", headers=staff)).status_code == 403
    assert (await client.get("/api/v1/audit", headers=staff)).status_code == 403
    tariff = {"name": "T", "currency": "CNY", "energy_price": "1.00"}
    assert (await client.post("/api/v1/tariffs", json=tariff, headers=staff)).status_code == 403
    assert (await client.get("/api/v1/tariffs", headers=staff)).status_code == 200
    assert (await client.get("/api/v1/staff", headers=admin)).status_code == 200


async def test_failed_sign_ins_are_throttled(client: httpx.AsyncClient, world: World) -> None:
    for _ in range(5):
        assert (await _login(client, world.admin_email, "wrong-password")).status_code == 401
    r = await _login(client, world.admin_email)  # even the right password is refused now
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["error"]["code"] == "too_many_requests"
    # Other accounts from the same address are not locked out.
    assert (await _login(client, world.staff_email)).status_code == 200


async def test_successful_sign_in_resets_the_failure_count(
    client: httpx.AsyncClient, world: World
) -> None:
    for _ in range(4):
        await _login(client, world.admin_email, "wrong-password")
    assert (await _login(client, world.admin_email)).status_code == 200
    for _ in range(4):
        await _login(client, world.admin_email, "wrong-password")
    assert (await _login(client, world.admin_email)).status_code == 200


def test_charger_password_hash_round_trip() -> None:
    stored = hash_charger_password("s3cret-s3cret-s3cret")
    assert stored.startswith("sha256$")
    assert verify_charger_password("s3cret-s3cret-s3cret", stored)
    assert not verify_charger_password("s3cret-s3cret-s3creT", stored)
    assert not verify_charger_password("anything", "garbage")
    assert hash_charger_password("same") != hash_charger_password("same")  # salted


async def test_new_password_hashes_use_the_configured_cost_and_any_cost_verifies(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    admin = await login(client, world.admin_email)
    new = {"email": "new@a.test", "full_name": "New", "password": "another-long-password"}
    assert (await client.post("/api/v1/staff", json=new, headers=admin)).status_code == 201
    async with context(app).sessions() as session:
        stored = await session.scalar(
            select(StaffUser.password_hash).where(StaffUser.email == "new@a.test")
        )
        # A hash made at production cost (argon2-cffi's defaults) still signs in.
        session.add(
            StaffUser(
                operator_id=world.operator_id,
                email="old@a.test",
                full_name="Old",
                password_hash=await hash_password("an-old-long-password"),
                role=StaffRole.STAFF,
            )
        )
        await session.commit()
    assert stored is not None and stored.startswith("$argon2id$v=19$m=256,t=1,p=1$")
    assert (await _login(client, "new@a.test", "another-long-password")).status_code == 200
    assert (await _login(client, "new@a.test", "another-long-passworD")).status_code == 401
    async with context(app).sessions() as session:
        old = await session.scalar(
            select(StaffUser.password_hash).where(StaffUser.email == "old@a.test")
        )
    assert old is not None and old.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert (await _login(client, "old@a.test", "an-old-long-password")).status_code == 200


async def test_unknown_account_is_checked_against_a_hash_of_the_configured_cost(
    app: FastAPI,
) -> None:
    hashing = await password_hashing(context(app))
    assert hashing is await password_hashing(context(app))  # built once per app
    assert hashing.dummy_hash.startswith("$argon2id$v=19$m=256,t=1,p=1$")
    assert not await verify_password("anything", None, hashing)
    assert await verify_password("pw", await hash_password("pw", hashing), hashing)
