"""Every failure reaches the caller as one precise ``ApiError`` subclass, never an httpx
exception: from the real backend where it can produce the failure, from a mock transport for
what it cannot (garbage bodies, gateway errors, timeouts)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date

import httpx
import pytest

from backend_client import (
    ApiError,
    ChargepileClient,
    ChargerOffline,
    ChargerRejected,
    ChargerTimeout,
    ChargerUnavailable,
    Conflict,
    Forbidden,
    NotFound,
    RetryPolicy,
    ServerTimeout,
    ServerUnavailable,
    ValidationFailed,
)
from backend_client.models import CardCreate, StaffCreate
from tests.client.support import free_port
from tests.support.builders import PASSWORD, World

NO_RETRY = RetryPolicy.none()


Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(handler: Handler, *, retry: RetryPolicy | None = None) -> ChargepileClient:
    """A client whose every request is answered by ``handler`` (no backend behind it)."""
    return ChargepileClient(
        "http://testserver", transport=httpx.MockTransport(handler), retry=retry
    )


# --- produced by the real backend ---------------------------------------------------------


async def test_staff_without_the_admin_role_is_forbidden(
    cp: ChargepileClient, world: World
) -> None:
    await cp.auth.login_staff(world.staff_email, PASSWORD)
    with pytest.raises(Forbidden) as caught:
        await cp.staff.create(
            StaffCreate(email="x@a.test", full_name="X", password="long-enough-pw")
        )
    assert caught.value.status_code == 403


async def test_unknown_objects_are_not_found(admin: ChargepileClient) -> None:
    with pytest.raises(NotFound):
        await admin.stations.get(987654)


async def test_a_duplicate_card_is_a_conflict(admin: ChargepileClient) -> None:
    await admin.cards.create(CardCreate(uid="A1B2C3D4"))
    with pytest.raises(Conflict) as caught:
        await admin.cards.create(CardCreate(uid="A1B2C3D4"))
    assert caught.value.code == "conflict"


async def test_invalid_input_names_each_field(admin: ChargepileClient) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await admin.stations.search(lat=123.0, lon=500.0)
    assert set(caught.value.problems()) == {"lat", "lon"}


async def test_a_service_level_validation_is_reported_the_same_way(
    admin: ChargepileClient,
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await admin.reports.summary(date(2026, 2, 1), date(2026, 1, 1))
    assert caught.value.message


# --- failures only the network or a proxy produce -----------------------------------------


async def test_a_garbage_body_is_server_unavailable() -> None:
    async with mock_client(lambda r: httpx.Response(200, text="<html>captive portal</html>")) as c:
        with pytest.raises(ServerUnavailable) as caught:
            await c.health()
    assert caught.value.code == "unreadable_answer"


async def test_a_body_of_the_wrong_shape_is_server_unavailable() -> None:
    async with mock_client(lambda r: httpx.Response(200, json={"status": 1})) as c:
        with pytest.raises(ServerUnavailable):
            await c.health()


async def test_a_bad_gateway_is_server_unavailable_after_retries() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    async with mock_client(handler, retry=RetryPolicy(attempts=3, base_delay=0.001)) as c:
        with pytest.raises(ServerUnavailable) as caught:
            await c.health()
    assert caught.value.status_code == 502 and len(calls) == 3


async def test_a_silent_server_is_a_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with mock_client(handler, retry=NO_RETRY) as c:
        with pytest.raises(ServerTimeout):
            await c.health()


async def test_every_call_carries_a_timeout() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={"status": "ok", "database": "sqlite"})

    async with mock_client(handler) as c:
        await c.health()
    assert seen and all(v is not None for v in seen[0].values())


async def test_a_refused_connection_is_server_unavailable() -> None:
    port = free_port()  # nothing listens there
    async with ChargepileClient(
        f"http://127.0.0.1:{port}", retry=RetryPolicy(attempts=2, base_delay=0.001)
    ) as c:
        with pytest.raises(ServerUnavailable) as caught:
            await c.health()
    assert caught.value.status_code is None


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.PoolTimeout("pool"),
        httpx.WriteTimeout("write"),
        httpx.RemoteProtocolError("bad http"),
        httpx.ReadError("reset"),
        httpx.WriteError("broken pipe"),
        httpx.ProxyError("proxy"),
        httpx.UnsupportedProtocol("gopher"),
        httpx.DecodingError("gzip"),
        httpx.TooManyRedirects("loop"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_no_httpx_exception_escapes(exc: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    async with mock_client(handler, retry=NO_RETRY) as c:
        with pytest.raises(ApiError) as caught:
            await c.health()
    assert not isinstance(caught.value, httpx.HTTPError)


async def test_a_closed_client_raises_an_api_error() -> None:
    client = mock_client(lambda r: httpx.Response(204))
    await client.aclose()
    with pytest.raises(ApiError):
        await client.health()


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (503, "charger_offline", ChargerOffline),
        (504, "charger_timeout", ChargerTimeout),
        (409, "charger_rejected", ChargerRejected),
        (409, "conflict", Conflict),
        (500, "internal_error", ServerUnavailable),
        (418, "teapot", ApiError),
    ],
)
async def test_error_codes_map_to_their_exception(
    status: int, code: str, expected: type[ApiError]
) -> None:
    body = {"error": {"code": code, "message": "from the server", "fields": []}}
    async with mock_client(lambda r: httpx.Response(status, json=body), retry=NO_RETRY) as c:
        with pytest.raises(expected) as caught:
            await c.health()
    assert type(caught.value) is expected
    assert caught.value.message == "from the server" and caught.value.code == code
    if expected in (ChargerOffline, ChargerTimeout, ChargerRejected):
        assert isinstance(caught.value, ChargerUnavailable)


# --- the same against real sockets on loopback --------------------------------------------


@asynccontextmanager
async def serving(reply: bytes | None) -> AsyncIterator[str]:
    """A TCP server on loopback that reads the request and answers ``reply`` raw (``None``:
    never answers). Yields its URL; closes every connection on exit."""
    writers: list[asyncio.StreamWriter] = []
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        if reply is not None:
            writer.write(reply)
            await writer.drain()
        await done.wait()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        done.set()
        for writer in writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        server.close()
        await server.wait_closed()


async def test_a_server_that_accepts_but_never_answers_times_out() -> None:
    async with (
        serving(None) as url,
        ChargepileClient(url, timeout=0.3, retry=NO_RETRY) as client,
    ):
        with pytest.raises(ServerTimeout):
            await client.health()


async def test_a_server_speaking_garbage_is_server_unavailable() -> None:
    async with (
        serving(b"SSH-2.0-OpenSSH_9.2\r\n\r\n") as url,
        ChargepileClient(url, retry=NO_RETRY) as client,
    ):
        with pytest.raises(ServerUnavailable):
            await client.health()
