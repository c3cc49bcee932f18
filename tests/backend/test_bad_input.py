"""No input makes the API answer 500: every operation of the REST API is sent malformed path
ids, query values and bodies (wrong types, out-of-range numbers, NUL characters, naive dates),
and must answer a 4xx with the one error body shape, or succeed."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import World, build_world, login

# The areas this suite covers (reports and remote actions have their own suites).
TAGS = {
    "auth",
    "stations",
    "chargers",
    "tariffs",
    "cards",
    "staff",
    "drivers",
    "sessions",
    "faults",
    "audit",
}
SKIP = {("GET", "/api/v1/events")}  # a never-ending stream: see test_events.py

JUNK_SCALARS: list[Any] = [
    None,
    "",
    "abc",
    -1,
    0,
    10**30,
    1.5e308,
    "\x00",
    "9999-99-99",
    True,
    [],
    {},
]
JUNK_PATH = ["0", "-1", "abc", str(2**63), "1.5", "%00"]
JUNK_QUERY = ["", "abc", "-1", "1e309", "nan", "\x00", "9" * 30, "2026-13-01", "true"]
JUNK_BODIES: list[Any] = [[], "text", 42, {"unexpected": 1}, {}]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if set(op.get("tags", [])) & TAGS and (method.upper(), path) not in SKIP:
                ops.append((method.upper(), path, op))
    return ops


def _body_variants(spec: dict[str, Any], op: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(kind, value)``: junk JSON bodies, then each field of the body set to each junk value."""
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        forms = [
            {"username": "\x00", "password": ""},
            {"username": "not-an-email", "password": "x"},
            {"username": "a@b.c", "password": "x" * 200, "scope": "driver"},
        ]
        return [("form", f) for f in forms] if content else []
    schema = _resolve(spec, content["application/json"]["schema"])
    variants: list[tuple[str, Any]] = [("json", b) for b in JUNK_BODIES]
    variants.append(("raw", b"{not json"))
    for name, value in itertools.product(schema.get("properties", {}), JUNK_SCALARS):
        variants.append(("json", {name: value}))
    return variants


@pytest.fixture
async def world(app: FastAPI) -> World:
    return await build_world(app)


async def test_no_input_causes_a_server_error(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    spec = app.openapi()
    admin = await login(client, world.admin_email)
    driver = await login(client, world.driver_email, kind="driver")
    checked = 0

    async def send(method: str, url: str, headers: dict[str, str], **kwargs: Any) -> None:
        nonlocal checked
        r = await client.request(method, url, headers=headers, **kwargs)
        checked += 1
        assert r.status_code < 500, (method, url, kwargs, r.status_code, r.text)
        if r.status_code >= 400:
            body = r.json()
            assert set(body) == {"error"} and body["error"]["code"], (method, url, body)
            if r.status_code == 422 and body["error"]["code"] == "validation_failed":
                assert body["error"]["fields"], (method, url, body)

    for method, path, op in _operations(spec):
        headers = driver if path.startswith("/api/v1/drivers/me") else admin
        params = op.get("parameters", [])
        path_params = [p["name"] for p in params if p["in"] == "path"]
        good_path = path
        for name in path_params:
            good_path = good_path.replace("{" + name + "}", "1")
        for name, junk in itertools.product(path_params, JUNK_PATH):
            await send(
                method,
                path.replace("{" + name + "}", junk).replace("{", "").replace("}", ""),
                headers,
            )
        for p, junk in itertools.product([p for p in params if p["in"] == "query"], JUNK_QUERY):
            await send(method, good_path, headers, params={p["name"]: junk})
        for kind, value in _body_variants(spec, op):
            if kind == "json":
                await send(method, good_path, headers, json=value)
            elif kind == "raw":
                await send(
                    method, good_path, headers | {"content-type": "application/json"}, content=value
                )
            else:
                await send(method, good_path, headers, data=value)
    assert checked > 500


@pytest.mark.parametrize("session_id", [2**31, 2**63, -(10**26)])
async def test_an_id_beyond_the_database_column_is_refused_not_a_crash(
    client: httpx.AsyncClient, world: World, session_id: int
) -> None:
    # The request model leaves this id unbounded: SQLite or PostgreSQL then refuses it while
    # encoding the query, which must read as bad input (422) or "no such session" (404).
    headers = await login(client, world.driver_email, kind="driver")
    r = await client.post("/api/v1/remote/stop", json={"session_id": session_id}, headers=headers)
    assert r.status_code in (404, 422), r.text
    assert r.json()["error"]["code"] in ("not_found", "validation_failed")
