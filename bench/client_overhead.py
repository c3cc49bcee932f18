"""Client benchmark: what ``backend_client`` costs per call on top of raw httpx, and how many
live events per second one stream carries.

Goals (issue 4): per-call overhead ≤ 1.1× raw httpx against the same in-process app.

1. **Per-call overhead.** One in-process backend (``httpx.ASGITransport``, SQLite in a
   temporary folder, the test builders' small network). The same signed-in requests are made
   with raw httpx (``response.json()``) and through ``ChargepileClient`` (auth header from the
   token manager, timeout, retry wrapper, error mapping, parsing into the wire model),
   interleaved call by call so load from other processes hits both alike; the per-call
   medians are compared.
   A third column, raw httpx plus ``Model.model_validate_json``, shows what an app calling
   httpx directly would pay to get the same typed result.
2. **Events per second.** A real uvicorn server on 127.0.0.1 in the same process; the bus
   publishes N events to one operator while ``client.events.stream()`` consumes them
   (publisher, server and client share one event loop and one core). Then the client alone:
   the same frames from a canned body (``httpx.MockTransport``), to show its own ceiling.

    .venv/bin/python bench/client_overhead.py            # full run, updates RESULTS.md
    .venv/bin/python bench/client_overhead.py --calls 100 --events 2000 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results import machine_description, utc_stamp, write_section  # noqa: E402

from backend.services.events import Audience  # noqa: E402
from backend_client import ChargepileClient, StreamState  # noqa: E402
from backend_client.models import Health, StationDetail  # noqa: E402
from tests.client.support import LiveServer  # noqa: E402
from tests.support.backend import make_test_settings, running_app  # noqa: E402
from tests.support.builders import PASSWORD, build_world, context  # noqa: E402

SECTION = "client_overhead"
BASE = "http://bench"

Call = Callable[[], Awaitable[object]]


async def compare(calls: dict[str, Call], n: int) -> dict[str, list[float]]:
    """``n`` timed calls of each variant, interleaved call by call (rotating which goes
    first) so load from other processes hits every variant alike."""
    names = list(calls)
    for _ in range(max(20, n // 10)):  # warm up caches, adapters, the database
        for name in names:
            await calls[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(n):
        for k in range(len(names)):
            name = names[(i + k) % len(names)]
            start = time.perf_counter()
            await calls[name]()
            samples[name].append(time.perf_counter() - start)
    return samples


async def overhead(calls: int) -> list[tuple[str, float, float, float]]:
    rows: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_test_settings(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp))
        async with running_app(settings) as app:
            world = await build_world(app)
            transport = httpx.ASGITransport(app=app)
            async with (
                httpx.AsyncClient(transport=transport, base_url=BASE) as raw,
                ChargepileClient(BASE, transport=transport) as client,
            ):
                await client.auth.login_staff(world.admin_email, PASSWORD)
                headers = {"Authorization": f"Bearer {client.tokens.access_token}"}
                station = f"/api/v1/stations/{world.station.id}"

                async def raw_station() -> object:
                    response = await raw.get(station, headers=headers)
                    response.raise_for_status()
                    return response.json()

                async def raw_station_typed() -> object:
                    response = await raw.get(station, headers=headers)
                    response.raise_for_status()
                    return StationDetail.model_validate_json(response.content)

                async def raw_health() -> object:
                    response = await raw.get("/healthz")
                    response.raise_for_status()
                    return response.json()

                async def raw_health_typed() -> object:
                    response = await raw.get("/healthz")
                    response.raise_for_status()
                    return Health.model_validate_json(response.content)

                cases = {
                    "GET /api/v1/stations/{id} (signed in, StationDetail)": {
                        "raw": raw_station,
                        "typed": raw_station_typed,
                        "client": lambda: client.stations.get(world.station.id),
                    },
                    "GET /healthz (Health)": {
                        "raw": raw_health,
                        "typed": raw_health_typed,
                        "client": client.health,
                    },
                }
                for label, variants in cases.items():
                    samples = await compare(variants, calls)
                    med = {k: statistics.median(v) for k, v in samples.items()}
                    rows.append((label, med["raw"], med["typed"], med["client"]))
                rows.append(await machinery_only(calls, await raw_station_typed()))
    return rows


async def machinery_only(calls: int, detail: object) -> tuple[str, float, float, float]:
    """The client's own cost with no server at all: a canned StationDetail answer."""
    assert isinstance(detail, StationDetail)
    body = detail.model_dump_json().encode()
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=body, headers={"Content-Type": "application/json"}
        )
    )
    async with (
        httpx.AsyncClient(transport=transport, base_url=BASE) as raw,
        ChargepileClient(BASE, transport=transport) as client,
    ):

        async def plain() -> object:
            response = await raw.get(f"/api/v1/stations/{detail.id}")
            response.raise_for_status()
            return response.json()

        async def typed() -> object:
            response = await raw.get(f"/api/v1/stations/{detail.id}")
            response.raise_for_status()
            return StationDetail.model_validate_json(response.content)

        samples = await compare(
            {"raw": plain, "typed": typed, "client": lambda: client.stations.get(detail.id)},
            calls * 3,
        )
    med = {k: statistics.median(v) for k, v in samples.items()}
    return ("GET /api/v1/stations/{id}, canned answer (MockTransport, no server)", *med.values())  # type: ignore[return-value]


async def events_per_second(count: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_test_settings(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp))
        async with running_app(settings) as app:
            world = await build_world(app)
            server = LiveServer(app)
            await server.start()
            try:
                async with ChargepileClient(server.url) as client:
                    await client.auth.login_staff(world.admin_email, PASSWORD)
                    return await _pump(app, client, world.operator_id, count)
            finally:
                await server.stop()


async def _pump(
    app: object, client: ChargepileClient, operator_id: int, count: int
) -> tuple[float, int]:
    bus = context(app).events  # type: ignore[arg-type]
    audience = Audience.operator(operator_id)
    stream = client.events.stream()
    received = 0
    resyncs = 0
    window = 500  # below the server's per-subscriber queue (1000): no overflow resyncs
    iterator = stream.__aiter__()
    first = asyncio.ensure_future(iterator.__anext__())
    async with asyncio.timeout(30):
        while stream.state != StreamState.CONNECTED or bus.subscriber_count(audience) == 0:  # type: ignore[attr-defined]  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    payload = {"charger_id": 1, "connector_no": 1, "status": "Charging", "error_code": "NoError"}
    start = time.perf_counter()
    published = 0
    pending: asyncio.Future[object] | None = first
    async with asyncio.timeout(120):
        while received < count:
            while published < count and published - received < window:
                bus.publish("connector.status", payload, audience)
                published += 1
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            event = await pending
            pending = None
            received += 1
            if getattr(event, "type", "") == "stream.resync":
                resyncs += 1
    elapsed = time.perf_counter() - start
    await stream.aclose()
    return count / elapsed, resyncs


async def parsing_only(count: int) -> float:
    """Events per second the client itself can decode: a canned SSE body, no server."""
    frame = (
        'id: {id}\nevent: connector.status\ndata: {{"id":{id},"type":"connector.status",'
        '"data":{{"charger_id":1,"connector_no":1,"status":"Charging","error_code":"NoError"}}}}'
        "\n\n"
    )

    async def body() -> AsyncIterator[bytes]:
        for start in range(1, count + 1, 100):  # ~100 frames per network read
            yield "".join(frame.format(id=i) for i in range(start, start + 100)).encode()

    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, headers={"Content-Type": "text/event-stream"}, content=body()
        )
    )
    async with ChargepileClient(BASE, transport=transport) as client:
        stream = client.events.stream()
        received = 0
        begin = time.perf_counter()
        async for _event in stream:
            received += 1
            if received == count:
                break
        elapsed = time.perf_counter() - begin
        await stream.aclose()
    return count / elapsed


def render(
    rows: list[tuple[str, float, float, float]],
    calls: int,
    eps: float,
    n: int,
    resyncs: int,
    parse_eps: float,
) -> str:
    lines = [
        "## API client overhead (`bench/client_overhead.py`)",
        "",
        f"{machine_description()}; {utc_stamp()}. Median of {calls:,} calls per variant, interleaved call by call, "
        "in-process backend (ASGITransport, SQLite). Goal: client ≤ 1.1× raw httpx. The last "
        "row takes the server away (a canned answer) to show what the client machinery itself "
        "costs (token check, timeout, retry and error handling, model parsing).",
        "",
        "| call | raw httpx + json() | raw httpx + model | ChargepileClient | client / raw | "
        "client / raw+model |",
        "|---|---|---|---|---|---|",
    ]
    for label, raw, typed, client in rows:
        lines.append(
            f"| {label} | {raw * 1e3:.3f} ms | {typed * 1e3:.3f} ms | {client * 1e3:.3f} ms "
            f"| {client / raw:.2f}× | {client / typed:.2f}× |"
        )
    lines += [
        "",
        f"Event stream: **{eps:,.0f} events/s** through one `client.events.stream()` from a "
        f"uvicorn server on 127.0.0.1 ({n:,} events, {resyncs} resyncs; publisher, server and "
        "client in one process and one event loop). The client alone decodes "
        f"**{parse_eps:,.0f} events/s** (a canned stream, no server), so the server side "
        "and the shared loop set the end-to-end figure.",
    ]
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="timed calls per variant")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    rows = await overhead(args.calls)
    eps, resyncs = await events_per_second(args.events)
    parse_eps = await parsing_only(args.events)
    body = render(rows, args.calls, eps, args.events, resyncs, parse_eps)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    asyncio.run(main())
