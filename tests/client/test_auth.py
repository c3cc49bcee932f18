"""Signing in, staying signed in across token expiry (one renewal however many requests
race), and ending up with one clear ``AuthExpired`` when the session is really over."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from backend_client import (
    AuthExpired,
    ChargepileClient,
    InvalidCredentials,
    MemoryCredentialStore,
    RateLimited,
    Unauthenticated,
)
from backend_client.models import DriverSignUp, PrincipalKind
from backend_client.models.auth import StaffRole
from tests.client.support import RecordingTransport, in_process_client
from tests.support.builders import PASSWORD, World, context

REFRESH = "/api/v1/auth/refresh"


class Clock:
    """Monotonic time the test can move forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_staff_login_returns_the_account_and_keeps_only_the_refresh_token(
    cp: ChargepileClient, world: World
) -> None:
    me = await cp.auth.login_staff(world.admin_email, PASSWORD)
    assert (me.kind, me.email, me.role) == (PrincipalKind.STAFF, world.admin_email, StaffRole.ADMIN)
    stored = await cp.tokens.store.get_refresh_token()
    assert stored is not None and PASSWORD not in stored


async def test_driver_sign_up_signs_the_new_driver_in(cp: ChargepileClient, world: World) -> None:
    me = await cp.auth.sign_up(
        DriverSignUp(email="New.Driver@Example.com", full_name="New Driver", password="s3cret-pass")
    )
    assert (me.kind, me.email) == (PrincipalKind.DRIVER, "new.driver@example.com")
    assert (await cp.me.profile()).full_name == "New Driver"


async def test_wrong_password_is_invalid_credentials(cp: ChargepileClient, world: World) -> None:
    with pytest.raises(InvalidCredentials) as caught:
        await cp.auth.login_staff(world.admin_email, "wrong-password")
    assert caught.value.status_code == 401
    assert await cp.tokens.store.get_refresh_token() is None


async def test_repeated_failures_are_rate_limited_with_a_retry_after(
    cp: ChargepileClient, world: World
) -> None:
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await cp.auth.login_driver(world.driver_email, "nope-nope")
    with pytest.raises(RateLimited) as caught:
        await cp.auth.login_driver(world.driver_email, PASSWORD)
    assert caught.value.retry_after is not None and caught.value.retry_after > 0


async def test_oauth2_form_login_works_like_login(cp: ChargepileClient, world: World) -> None:
    me = await cp.auth.login_form(world.driver_email, PASSWORD, scope="driver")
    assert me.kind == PrincipalKind.DRIVER


async def test_calls_without_a_session_raise_unauthenticated(cp: ChargepileClient) -> None:
    with pytest.raises(Unauthenticated) as caught:
        await cp.auth.me()
    assert not isinstance(caught.value, AuthExpired)


async def test_many_requests_after_expiry_renew_the_token_once(
    recorder: RecordingTransport, world: World
) -> None:
    clock = Clock()
    async with in_process_client(recorder, clock=clock) as client:
        await client.auth.login_staff(world.admin_email, PASSWORD)
        first_refresh_token = await client.tokens.store.get_refresh_token()
        clock.now += 15 * 60  # the access token's whole lifetime
        results = await asyncio.gather(*(client.auth.me() for _ in range(20)))
        assert await client.tokens.store.get_refresh_token() != first_refresh_token
    assert {r.email for r in results} == {world.admin_email}
    assert recorder.count("POST", REFRESH) == 1


async def test_tokens_the_server_rejects_are_renewed_once_and_the_requests_repeated(
    app: FastAPI, recorder: RecordingTransport, world: World
) -> None:
    async with in_process_client(recorder) as client:
        await client.auth.login_staff(world.admin_email, PASSWORD)
        # The server rotates its signing key: every access token it issued is now refused,
        # while the client still believes its token is good for 15 minutes.
        context(app).settings.secret_key = "a-rotated-signing-key-0123456789abcdef"
        stations = await asyncio.gather(*(client.stations.list() for _ in range(12)))
    assert all(page.total == 1 for page in stations)
    assert recorder.count("POST", REFRESH) == 1
    sent = recorder.matching("GET", "/api/v1/stations")
    assert len(sent) == 24  # each sent twice: with the refused token, then with the new one
    assert len({r.headers["Authorization"] for r in sent}) == 2


async def test_a_session_that_cannot_be_renewed_ends_in_one_auth_expired(
    app: FastAPI, recorder: RecordingTransport, world: World
) -> None:
    clock = Clock()
    expired_calls: list[str] = []
    store = MemoryCredentialStore()
    async with in_process_client(
        recorder, clock=clock, credentials=store, on_auth_expired=lambda: expired_calls.append("x")
    ) as client:
        await client.auth.login_staff(world.admin_email, PASSWORD)
        # Someone else used the refresh token (copied from this device): it is now spent.
        stolen = await store.get_refresh_token()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as raw:
            assert (await raw.post(REFRESH, json={"refresh_token": stolen})).status_code == 200
        clock.now += 3600
        outcomes = await asyncio.gather(
            *(client.stations.list() for _ in range(10)), return_exceptions=True
        )
    assert all(isinstance(o, AuthExpired) for o in outcomes), outcomes
    assert recorder.count("POST", REFRESH) == 1
    assert expired_calls == ["x"]
    assert await store.get_refresh_token() is None


async def test_a_stored_session_is_restored_at_start(
    recorder: RecordingTransport, world: World
) -> None:
    store = MemoryCredentialStore()
    async with in_process_client(recorder, credentials=store) as first:
        await first.auth.login_driver(world.driver_email, PASSWORD)
    async with in_process_client(recorder, credentials=store) as second:
        me = await second.auth.restore()
    assert me is not None and me.email == world.driver_email
    async with in_process_client(recorder) as fresh:
        assert await fresh.auth.restore() is None


async def test_logout_revokes_the_session_on_the_server(
    recorder: RecordingTransport, world: World
) -> None:
    store = MemoryCredentialStore()
    async with in_process_client(recorder, credentials=store) as client:
        await client.auth.login_staff(world.admin_email, PASSWORD)
        token = await store.get_refresh_token()
        await client.auth.logout()
        assert await store.get_refresh_token() is None
        with pytest.raises(Unauthenticated):
            await client.auth.me()
    async with in_process_client(recorder, credentials=MemoryCredentialStore(token)) as thief:
        with pytest.raises(AuthExpired):
            await thief.auth.restore()


async def test_logout_ends_the_local_session_even_when_the_server_is_down() -> None:
    store = MemoryCredentialStore("some-refresh-token")
    client = ChargepileClient(
        "http://testserver",
        transport=httpx.MockTransport(lambda r: httpx.Response(503)),
        credentials=store,
    )
    async with client:
        await client.auth.logout()
    assert await store.get_refresh_token() is None


async def test_the_expiry_callback_may_sign_in_again(
    recorder: RecordingTransport, world: World
) -> None:
    clock = Clock()
    store = MemoryCredentialStore()
    holder: list[ChargepileClient] = []

    async def sign_in_again() -> None:  # what an app's "session ended" dialog leads to
        await holder[0].auth.login_staff(world.admin_email, PASSWORD)

    async with in_process_client(
        recorder, clock=clock, credentials=store, on_auth_expired=sign_in_again
    ) as client:
        holder.append(client)
        await client.auth.login_staff(world.admin_email, PASSWORD)
        await store.set_refresh_token("revoked-or-unknown-token")
        clock.now += 3600
        with pytest.raises(AuthExpired):
            await client.stations.list()
        assert (await client.stations.list()).total == 1  # signed in again by the callback
