"""Security properties a deployer relies on (issue #9):

- the demo secret and cheap password hashing are refused where they would be dangerous;
- passwords, tokens and card/payment numbers never reach the logs, even at DEBUG;
- sign-in is throttled per account, per client and per (account, client);
- live event streams are capped per user (concurrent streams and connection rate → 429);
- every operator mutation that succeeds leaves an audit entry naming actor, action and target.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import logging
import pkgutil
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError
from schemathesis import Case, GenerationMode
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

import backend.api.routes as route_modules
from backend.api.auth_deps import require_admin, require_staff
from backend.api.routes import events as events_route
from backend.app import create_app
from backend.context import AppContext
from backend.db.models import AuditLog
from backend.settings import DEMO_SECRET, Settings
from simulators.ocpp import Fleet
from tests.backend.test_events import open_stream
from tests.ocpp.conftest import serve_backend
from tests.ocpp.support import fast_config
from tests.payments.support import PayApp, charger_online, pay_app
from tests.reliability.test_api_fuzz import Fuzzer, known_ids, load_schema
from tests.support.backend import (
    TEST_SECRET,
    asgi_client,
    fresh_database_url,
    make_test_settings,
    running_app,
)
from tests.support.builders import PASSWORD, World, build_world, context, login

# --- configuration -----------------------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``CHARGEPILE_*`` variable of the machine running the tests leaks into Settings()."""
    for name in ("CHARGEPILE_SECRET_KEY", "CHARGEPILE_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("environment", ["test", "production", "staging"])
def test_demo_secret_is_refused_outside_the_demo(environment: str) -> None:
    with pytest.raises(ValidationError, match="CHARGEPILE_SECRET_KEY"):
        Settings(environment=environment, secret_key=DEMO_SECRET)
    with pytest.raises(ValidationError, match="CHARGEPILE_SECRET_KEY"):
        Settings(environment=environment)  # the default secret is the demo one
    assert Settings(environment="demo").secret_key == DEMO_SECRET  # the demo itself works


@pytest.mark.usefixtures("clean_environment")
def test_short_secret_and_cheap_hashing_are_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        Settings(environment="production", secret_key="short")
    with pytest.raises(ValidationError, match="too cheap"):
        Settings(environment="production", secret_key=TEST_SECRET, password_hash_time_cost=1)
    with pytest.raises(ValidationError, match="too cheap"):
        Settings(environment="production", secret_key=TEST_SECRET, password_hash_memory_cost=1024)
    production = Settings(environment="production", secret_key=TEST_SECRET)
    assert (production.password_hash_time_cost, production.password_hash_memory_cost) == (
        3,
        65536,
    )  # argon2-cffi's defaults


# --- nothing secret in the logs ----------------------------------------------------------


# Records that are not the backend's to keep clean: the test's own charger-side websocket
# client (in production that is the charger), and the SQL traces of SQLAlchemy and aiosqlite,
# which print statement parameters and result rows by design — switching them on is reading
# the database, and the backend never does.
NOT_THE_BACKEND = ("websockets.client", "aiosqlite", "sqlalchemy.engine")


@contextmanager
def every_log_record() -> Iterator[list[str]]:
    """Every record any logger emits at DEBUG or above, fully formatted (args, tracebacks)."""
    texts: list[str] = []
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if not record.name.startswith(NOT_THE_BACKEND):
                texts.append(f"{formatter.format(record)} {record.__dict__!r}")

    handler = Collect(logging.DEBUG)
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        logger.addHandler(handler)
    try:
        yield texts
    finally:
        for logger, level, disabled in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.disabled = disabled


def assert_absent(texts: list[str], secrets: dict[str, str]) -> None:
    assert texts, "nothing was logged at all: the capture is broken"
    for what, secret in secrets.items():
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"the {what} was logged:\n{leaks[0][:2000]}"


async def test_sign_in_refresh_and_guest_payment_log_no_secret(settings: Settings) -> None:
    card_token = "pm_card_4242424242424242"
    async with pay_app(settings) as pa:
        world = await build_world(pa.app)
        await charger_online(pa.ctx, world.charger.ocpp_id)
        with every_log_record() as texts:
            secrets = await _sign_in_and_pay(pa, world, card_token)
    assert_absent(texts, secrets)


async def _sign_in_and_pay(pa: PayApp, world: World, card_token: str) -> dict[str, str]:
    client = pa.client
    r = await client.post(
        "/api/v1/auth/login",
        json={"email": world.driver_email, "password": PASSWORD, "kind": "driver"},
    )
    assert r.status_code == 200, r.text
    first = r.json()
    wrong = await client.post(
        "/api/v1/auth/login",
        json={"email": world.admin_email, "password": "wrong-" + PASSWORD, "kind": "staff"},
    )
    assert wrong.status_code == 401
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reuse.status_code == 401  # reuse detected: the family is revoked
    r = await client.post(
        "/api/v1/guest/charge/start",
        json={
            "ocpp_id": world.charger.ocpp_id,
            "connector_no": 1,
            "payment_method_token": card_token,
        },
    )
    assert r.status_code == 201, r.text
    return {
        "password": PASSWORD,
        "wrong password": "wrong-" + PASSWORD,
        "access token": first["access_token"],
        "refreshed access token": second["access_token"],
        "refresh token": first["refresh_token"],
        "rotated refresh token": second["refresh_token"],
        "card token": card_token,
        "guest receipt token": r.json()["receipt_token"],
    }


async def test_charger_basic_auth_handshake_logs_no_password(tmp_path: Path) -> None:
    async with fresh_database_url(tmp_path) as url:
        settings = make_test_settings(url, tmp_path, ocpp_ping_interval=5.0)
        async with serve_backend(settings, ["CP-1"]) as backend:
            _charger_id, password = backend.network.chargers["CP-1"]
            good = base64.b64encode(f"CP-1:{password}".encode()).decode()
            bad_password = password[::-1]
            bad = base64.b64encode(f"CP-1:{bad_password}".encode()).decode()
            endpoint = backend.base_url.replace("http", "ws", 1) + "/ocpp/CP-1"
            with every_log_record() as texts:
                async with connect(
                    endpoint,
                    subprotocols=[Subprotocol("ocpp1.6")],
                    additional_headers={"Authorization": f"Basic {good}"},
                ) as ws:
                    assert ws.subprotocol == "ocpp1.6"
                with pytest.raises(InvalidStatus) as refused:
                    await connect(
                        endpoint,
                        subprotocols=[Subprotocol("ocpp1.6")],
                        additional_headers={"Authorization": f"Basic {bad}"},
                    )
                assert refused.value.response.status_code == 401
    assert_absent(
        texts,
        {
            "charger password": password,
            "Basic credentials": good,
            "wrong charger password": bad_password,
            "wrong Basic credentials": bad,
        },
    )


# --- sign-in throttling ------------------------------------------------------------------


def client_at(app: FastAPI, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver"
    )


async def _sign_in(client: httpx.AsyncClient, email: str, password: str) -> int:
    body = {"email": email, "password": password, "kind": "staff"}
    return (await client.post("/api/v1/auth/login", json=body)).status_code


async def test_sign_in_is_throttled_per_account_and_per_client(settings: Settings) -> None:
    tight = settings.model_copy(update={"login_attempts_per_window": 2})
    async with running_app(tight) as app:
        world = await build_world(app)
        # Per (account, client): 2 failures lock that pair; other accounts stay open.
        async with client_at(app, "10.0.0.1") as one:
            assert [await _sign_in(one, world.admin_email, "nope") for _ in range(2)] == [401] * 2
            assert await _sign_in(one, world.admin_email, PASSWORD) == 429
            assert await _sign_in(one, world.staff_email, PASSWORD) == 200
        # Per account: many clients guessing one account (4 x 2 failures) lock it everywhere.
        for n in range(2, 5):
            async with client_at(app, f"10.0.1.{n}") as botnet:
                for _ in range(2):
                    assert await _sign_in(botnet, world.admin_email, "nope") == 401
        async with client_at(app, "10.0.2.1") as fresh:
            response = await fresh.post(
                "/api/v1/auth/login",
                json={"email": world.admin_email, "password": PASSWORD, "kind": "staff"},
            )
            assert response.status_code == 429
            assert int(response.headers["retry-after"]) > 0
        # Per client: one client spraying many accounts is locked out for all of them.
        async with client_at(app, "10.0.3.1") as sprayer:
            for n in range(8):
                assert await _sign_in(sprayer, f"victim{n}@a.test", "nope") == 401
            assert await _sign_in(sprayer, world.staff_email, PASSWORD) == 429
        async with client_at(app, "10.0.3.2") as neighbour:  # others are unaffected
            assert await _sign_in(neighbour, world.staff_email, PASSWORD) == 200


# --- live event streams ------------------------------------------------------------------


async def test_event_streams_are_capped_per_user_by_settings(settings: Settings) -> None:
    capped = settings.model_copy(
        update={"event_streams_per_user": 2, "event_stream_connects_per_minute": 4}
    )
    async with running_app(capped) as app, asgi_client(app) as client:
        world = await build_world(app)
        driver = await login(client, world.driver_email, kind="driver")
        async with open_stream(app, driver) as s1, open_stream(app, driver) as s2:
            assert (s1.status, s2.status) == (200, 200)
            async with open_stream(app, driver) as third:  # over the concurrent cap
                assert third.status == 429
                assert third.headers["retry-after"] == str(int(events_route.KEEPALIVE_SECONDS))
        async with open_stream(app, driver) as fourth:  # slots were given back
            assert fourth.status == 200
        # 4 connection attempts in a minute used up: a reconnect loop is refused until the
        # oldest attempt is a minute old, even with no stream open.
        async with open_stream(app, driver) as looping:
            assert looping.status == 429
            retry_after = int(looping.headers["retry-after"])
            assert 30 < retry_after <= 60
            assert "per minute" in bytes(looping.body).decode()
        # The limits are per user: the admin streams normally meanwhile.
        async with open_stream(app, await login(client, world.admin_email)) as other:
            assert other.status == 200


# --- audit trail -------------------------------------------------------------------------


def _operator_mutations() -> list[tuple[str, str]]:
    """(method, path) of every mutating operation only operator staff may call: those whose
    dependencies include the staff or admin guard, found by walking each resource router."""

    def guards(route: APIRoute) -> set[Any]:
        found: set[Any] = set()
        stack = [route.dependant]
        while stack:
            dep = stack.pop()
            found.add(dep.call)
            stack.extend(dep.dependencies)
        return found

    result = []
    for info in pkgutil.iter_modules(route_modules.__path__):
        router = importlib.import_module(f"{route_modules.__name__}.{info.name}").router
        for route in router.routes:
            if not isinstance(route, APIRoute) or not guards(route) & {
                require_staff,
                require_admin,
            }:
                continue
            for method in sorted((route.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
                result.append((method, "/api/v1" + route.path))
    return sorted(result)


def _first_success(
    fuzzer: Fuzzer,
    operation: Any,
    headers: dict[str, str],
    audit_count: Callable[[], Coroutine[Any, Any, int]],
) -> tuple[Case[Any], int] | None:
    """The first generated request to ``operation`` that succeeds, with how many audit entries
    it added; None when none of the examples succeeded."""
    successes: list[tuple[Case[Any], int]] = []

    @hypothesis_settings(
        max_examples=40,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), data=st.data())
    def attempt(case: Case[Any], data: st.DataObject) -> None:
        fuzzer.with_known_ids(case, data.draw)  # draw first: every example draws alike
        if successes:
            return
        before = fuzzer.run_on_loop(audit_count())
        try:
            response = fuzzer.send(case, headers)
        except httpx.HTTPError:  # a transport hiccup is not the answer under test
            return
        if response.is_success:
            successes.append((case, fuzzer.run_on_loop(audit_count()) - before))

    attempt()
    return successes[0] if successes else None


# Operator actions the generated requests cannot make succeed in this world, each checked by a
# test of its own: remote commands need a charger connected over OCPP (offline: 503, nothing
# changes; test_remote_commands_on_a_live_charger_are_audited), a refund needs a captured
# payment (test_operator_refund_is_audited).
CHECKED_ELSEWHERE = ("/api/v1/remote/", "/api/v1/payments/{payment_id}/refunds")


async def test_every_successful_operator_mutation_is_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await build_world(app)
    fuzzer = Fuzzer(asyncio.get_running_loop(), client, await known_ids(app, world))
    mutations = _operator_mutations()
    assert len(mutations) >= 25  # derived from the routes, not a hand list
    unaudited, unreached = await _audit_outcomes(
        fuzzer,
        load_schema(app),
        [m for m in mutations if not any(part in m[1] for part in CHECKED_ELSEWHERE)],
        await login(client, world.admin_email),
        lambda: _audit_count(context(app)),
    )
    assert not unaudited, "operator mutations without an audit entry:\n" + "\n".join(unaudited)
    assert not unreached, f"never succeeded, so not checked: {unreached}"
    # Entries name the actor, the action and the target.
    async with context(app).sessions() as session:
        entries = (await session.scalars(select(AuditLog))).all()
    for entry in entries:
        assert entry.actor_staff_id == world.admin.id and entry.operator_id == world.operator_id
        assert entry.action and entry.target_type and entry.target_id


async def test_remote_commands_on_a_live_charger_are_audited(tmp_path: Path) -> None:
    async with fresh_database_url(tmp_path) as url:
        settings = make_test_settings(url, tmp_path, ocpp_ping_interval=5.0, ocpp_call_timeout=5.0)
        async with serve_backend(settings, ["CP-1"]) as backend:
            network = backend.network
            specs = [network.spec("CP-1", connectors=2)]
            async with Fleet(backend.ocpp_url, specs, fast_config()) as fleet:
                await fleet.wait_ready(timeout=10)
                async with backend.http() as client:
                    fuzzer = Fuzzer(
                        asyncio.get_running_loop(),
                        client,
                        {
                            "charger_id": [network.chargers["CP-1"][0]],
                            "connector_no": [1, 2],
                            "key": ["HeartbeatInterval"],
                            "value": ["120"],
                        },
                        base_url=backend.base_url,
                    )
                    outcome = await _audit_outcomes(
                        fuzzer,
                        # A fresh app's document: serve_backend re-mounts the remote routes
                        # on its app, which would list each operation twice.
                        load_schema(create_app(settings)),
                        [m for m in _operator_mutations() if "/api/v1/remote/" in m[1]],
                        {"Authorization": f"Bearer {network.tokens['admin']}"},
                        lambda: _audit_count(backend.ctx),
                    )
    unaudited, unreached = outcome
    assert not unaudited, "remote commands without an audit entry:\n" + "\n".join(unaudited)
    assert not unreached, f"never succeeded, so not checked: {unreached}"


async def _audit_count(ctx: AppContext) -> int:
    async with ctx.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditLog)) or 0)


async def _audit_outcomes(
    fuzzer: Fuzzer,
    schema: Any,
    mutations: list[tuple[str, str]],
    headers: dict[str, str],
    audit_count: Callable[[], Coroutine[Any, Any, int]],
) -> tuple[list[str], list[str]]:
    """For each mutation, the first generated request that succeeds: (those that added no
    audit entry, those no request succeeded for)."""
    assert mutations
    unaudited: list[str] = []
    unreached: list[str] = []
    for method, path in mutations:
        operation = schema[path][method.lower()]
        success = await asyncio.to_thread(_first_success, fuzzer, operation, headers, audit_count)
        if success is None:
            unreached.append(f"{method} {path}")
        elif success[1] < 1:
            unaudited.append(f"{method} {path}: {success[0].as_curl_command()}")
    return unaudited, unreached
