"""The client and the backend cannot drift: every operation in the backend's OpenAPI has a
client method (declared with ``@endpoint``), and every schema has its same-named wire model
in :mod:`backend_client.models`."""

from __future__ import annotations

import collections.abc
import contextlib
import enum
import inspect
import re
import types
import typing
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

import backend_client.models as models
from backend_client import ApiError, ChargepileClient, RetryPolicy
from backend_client.models import TokenPair

# Schemas FastAPI generates itself, with no model of ours behind them: ``Body_<operation>``, the
# URL-encoded form of the OAuth2 ``/auth/token`` endpoint (the client sends that form as a
# plain mapping: ``client.auth.login_form``). FastAPI's default 422 schemas
# (``HTTPValidationError``) must not appear: every route declares ``responses=errors(...)``,
# because the backend answers every 422 with ``ErrorBody``.
FASTAPI_GENERATED = re.compile(r"^Body_\w+$")


def declared_endpoints(client: ChargepileClient) -> dict[tuple[str, str], str]:
    """``(METHOD, path) -> "group.method"`` for every ``@endpoint`` method on the client."""
    found: dict[tuple[str, str], str] = {}
    groups: dict[str, Any] = {"client": client}
    groups.update({name: value for name, value in vars(client).items() if not name.startswith("_")})
    for group_name, group in groups.items():
        for name, member in inspect.getmembers(type(group), inspect.isfunction):
            key = getattr(member, "__endpoint__", None)
            if key is not None:
                found.setdefault(key, f"{group_name}.{name}")
    return found


def openapi_operations(app: FastAPI) -> set[tuple[str, str]]:
    spec = app.openapi()
    return {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


@pytest.fixture
async def client(app: FastAPI) -> Any:
    async with ChargepileClient(
        "http://testserver", transport=httpx.ASGITransport(app=app)
    ) as client:
        yield client


def test_every_backend_operation_has_a_client_method(
    app: FastAPI, client: ChargepileClient
) -> None:
    declared = declared_endpoints(client)
    missing = sorted(openapi_operations(app) - set(declared))
    assert missing == [], f"operations without a client method: {missing}"


def test_every_client_method_calls_an_existing_operation(
    app: FastAPI, client: ChargepileClient
) -> None:
    stale = sorted(set(declared_endpoints(client)) - openapi_operations(app))
    assert stale == [], f"client methods for operations the backend does not offer: {stale}"


def _model_names(schema_name: str) -> list[str]:
    """The model(s) a schema name stands for: ``Page_StationSummary_`` → Page, StationSummary;
    ``TimeOfUseBand-Input`` → TimeOfUseBand."""
    base = re.sub(r"-(Input|Output)$", "", schema_name)
    generic = re.fullmatch(r"(\w+?)_(\w+)_", base)
    if generic:
        return [generic.group(1), *generic.group(2).split("_")]
    return [base]


def test_every_backend_schema_has_a_same_named_wire_model(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    missing = [
        name
        for name in sorted(schemas)
        if not FASTAPI_GENERATED.match(name)
        and not all(name in models.__all__ for name in _model_names(name))
    ]
    assert missing == [], f"schemas without a model in backend_client.models: {missing}"


def _sample(annotation: Any, name: str) -> Any:
    """A plausible argument of type ``annotation`` for calling a method just to see the
    request it sends (the mock answers garbage; only the method and path matter)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _sample(args[0], name)
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if annotation is int:
        return 7
    if annotation is float:
        return 1.5
    if annotation is bool:
        return True
    if annotation is str:
        return {"currency": "CNY"}.get(name, "tok_" + "x" * 20 if "token" in name else "CP-1")
    if annotation is bytes:
        return b"{}"
    if annotation is date:
        return date(2026, 1, 1)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_construct()
    if origin in (collections.abc.Mapping, dict):
        return {}
    if origin in (collections.abc.Sequence, list, tuple):
        return ["HeartbeatInterval"]
    raise AssertionError(f"no sample for {name}: {annotation!r}")


def _matches(template: str, path: str) -> bool:
    parts = re.split(r"\{[^}]+\}", template)
    pattern = "[^/]+".join(re.escape(part) for part in parts)
    return re.fullmatch(pattern, path) is not None


# Arguments that are optional one by one but of which one is needed.
EXTRA_ARGUMENTS: dict[str, dict[str, Any]] = {"remote.start": {"ocpp_id": "CP-1"}}


async def test_each_method_sends_the_request_it_declares() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=b"not json")

    async with ChargepileClient(
        "http://testserver", transport=httpx.MockTransport(handler), retry=RetryPolicy.none()
    ) as client:
        for (method, template), where in declared_endpoints(client).items():
            await client.tokens.accept(
                TokenPair(access_token="a", refresh_token="r", expires_in=600)
            )
            if where == "events.stream":
                continue  # an endless stream: covered against a live server
            group_name, name = where.split(".")
            group = client if group_name == "client" else getattr(client, group_name)
            function = getattr(group, name)
            hints = typing.get_type_hints(function)
            kwargs = {
                p.name: _sample(hints[p.name], p.name)
                for p in inspect.signature(function).parameters.values()
                if p.default is inspect.Parameter.empty
            }
            kwargs.update(EXTRA_ARGUMENTS.get(where, {}))
            sent.clear()
            with contextlib.suppress(ApiError):
                await function(**kwargs)
            assert sent, f"{where} sent nothing"
            first = sent[0]  # e.g. login is followed by GET /auth/me
            assert first.method == method and _matches(template, first.url.path), (
                f"{where} declares {method} {template} but sent {first.method} {first.url.path}"
            )
