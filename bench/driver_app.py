"""Driver app benchmark: "start" → the app shows Charging, at the issue's scale.

Two processes, like the deployment: the backend (uvicorn on 127.0.0.1, OCPP mounted, SQLite;
a new PostgreSQL database when ``CHARGEPILE_TEST_DATABASE_URL`` names a server) runs alone in
a child process (``--backend-child``); this process holds the simulated fleet
(answers at once), the background sessions and the measured driver-app sessions — each a real
Flet ``Session`` with the app's state and API client, driven by the in-process fake client
(tests/support/flet_harness.py) instead of a browser.

1. ``--active`` sessions (default 1,000) are started through the driver path (the guest H5
   start: card hold, then RemoteStartTransaction), ``--start-concurrency`` at a time, and keep
   charging: each connector sends MeterValues every ``--meter-interval`` seconds.
2. While those run, measured starts tap "Start" in real app sessions, ``--concurrency`` at a
   time, from the tap on "Start" in the confirmation dialog until the app's state is Charging
   (power flowing) and the screen has re-rendered:
   - signed-in drivers paying from the wallet, figures pushed over the event stream (SSE);
   - guests on the H5 page paying by card hold, who have no stream: the app polls every 0.5 s
     while the charger starts, then every 2 s (the app's defaults).
3. Memory: resident set size of this (app) process before and after opening ``--idle`` more
   sessions on a charger page, divided by their number (a server-side Flet session with its
   state and client; the browser's websocket buffers are not included); "sessions one app
   process holds" is the memory budget given divided by that.

    .venv/bin/python bench/driver_app.py                    # 1,000 active, updates RESULTS.md
    .venv/bin/python bench/driver_app.py --active 50 --sessions 5 --no-write
    CHARGEPILE_TEST_DATABASE_URL=postgresql+asyncpg://... bench/driver_app.py --no-write
    .venv/bin/python bench/driver_app.py --profile /tmp/backend.txt  # needs pyinstrument
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from results import machine_description, percentile, utc_stamp, write_section  # noqa: E402

from apps.user_mobile.main import make_main  # noqa: E402
from apps.user_mobile.state.app import DriverConfig, DriverState  # noqa: E402
from apps.user_mobile.state.session import Phase  # noqa: E402
from apps.user_mobile.state.watch import Timing  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend_client import ChargepileClient, CredentialStore  # noqa: E402
from simulators.ocpp import ChargerSpec, EvSpec, Fleet  # noqa: E402
from tests.driver_app import support as driver_support  # noqa: E402
from tests.driver_app.support import Storage  # noqa: E402
from tests.ocpp.conftest import serve_backend  # noqa: E402
from tests.ocpp.support import fast_config  # noqa: E402
from tests.support.backend import fresh_database_url, make_test_settings  # noqa: E402
from tests.support.flet_harness import FakeApp  # noqa: E402

SECTION = "driver_app"
PASSWORD = "correct-horse-1"
CONNECTORS = 4
"""Connectors per simulated charger (the fleet is ceil(sessions / 4) chargers)."""
APP_BUDGET_MB = 2048
"""Memory one app process is given, for the "sessions one process holds" figure."""


@dataclass(frozen=True)
class LiveBackend:
    """The backend child process as this process sees it."""

    base_url: str
    chargers: dict[str, str]
    """ocpp_id → OCPP password."""
    pid: int
    database: str

    @property
    def ocpp_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/ocpp"


def rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def make_driver(live: LiveBackend, n: int) -> str:
    email = f"bench{n}@drivers.test"
    async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as api:
        r = await api.post(
            "/api/v1/drivers",
            json={"email": email, "full_name": f"Bench {n}", "password": PASSWORD},
        )
        r.raise_for_status()
        r = await api.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD, "kind": "driver"}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}",
                   "Idempotency-Key": f"bench-topup-{n}"}  # fmt: skip
        r = await api.post(
            "/api/v1/wallet/topups",
            json={"amount_minor": 50_000, "currency": "CNY", "payment_method_token": "pm_card_ok"},
            headers=headers,
        )
        r.raise_for_status()
        # The refresh token the app would have stored after signing in on this device.
        r = await api.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD, "kind": "driver"}
        )
        return str(r.json()["refresh_token"])


def client_results(storage: Storage) -> dict[str, Any]:
    """What the fake browser answers: stored values, plus the app tests' client defaults
    (device info, URL launcher) when that version of the test support has them."""
    return {**storage.results(), **getattr(driver_support, "CLIENT_DEFAULTS", {})}


def app_main(live: LiveBackend, states: list[DriverState], *, events: bool) -> Any:
    def client(store: CredentialStore) -> ChargepileClient:
        return ChargepileClient(live.base_url, credentials=store, timeout=60)

    return make_main(
        client,
        config=DriverConfig(public_url="http://127.0.0.1:8552", live_events=events,
                            timing=Timing()),
        on_state=states.append,
    )  # fmt: skip


async def one_start(
    live: LiveBackend,
    stack: contextlib.AsyncExitStack,
    target: tuple[str, int],
    refresh: str | None,
) -> tuple[float, float]:
    """Open the charger page, tap Start and confirm; seconds until the transaction runs and
    until Charging (power flowing) is shown."""
    ocpp_id, connector_no = target
    storage = Storage()
    if refresh is not None:
        storage.values["chargepile.driver.refresh_token"] = refresh
    states: list[DriverState] = []
    fake = FakeApp(
        app_main(live, states, events=refresh is not None), route=f"/c/{ocpp_id}/{connector_no}",
        method_results=client_results(storage), cancel_leftover_tasks=False,
    )  # fmt: skip
    await stack.enter_async_context(fake)
    await fake.wait_for(lambda: fake.has_key("start"), timeout=120)
    if refresh is None:
        await fake.enter_text("card-number", "4242 4242 4242 4242")
    await fake.click("start")
    state = states[0]
    started = time.perf_counter()
    confirm = asyncio.ensure_future(fake.click("start-confirm"))
    running: float | None = None
    while state.flow.phase != Phase.CHARGING:
        if state.flow.phase in (Phase.REFUSED, Phase.FAILED):
            raise RuntimeError(f"{ocpp_id}: {state.flow.error}")
        if running is None and state.flow.phase == Phase.CONNECTED:
            running = time.perf_counter() - started
        await asyncio.sleep(0.002)
    await fake.session.after_event(fake.page)  # the re-render that shows it
    elapsed = time.perf_counter() - started
    await confirm
    assert fake.has_key("stop")
    return (running if running is not None else elapsed), elapsed


async def background_start(
    api: httpx.AsyncClient, target: tuple[str, int], n: int, busy: list[int] | None = None
) -> float:
    """A guest start over HTTP (the H5 page's request); seconds until it answered. A 503
    "busy, retry" is retried with the same key after Retry-After and counted in ``busy``."""
    body = {"ocpp_id": target[0], "connector_no": target[1],
            "payment_method_token": "pm_card_ok"}  # fmt: skip
    started = time.perf_counter()
    for _attempt in range(20):
        r = await api.post("/api/v1/guest/charge/start", json=body,
                           headers={"Idempotency-Key": f"bg-{n}"})  # fmt: skip
        if r.status_code == 503 and r.json()["error"]["code"] in ("busy", "database_unavailable"):
            if busy is not None:
                busy.append(1)
            await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
            continue
        if r.status_code != 201:
            raise RuntimeError(f"background start {target}: {r.status_code} {r.text}")
        return time.perf_counter() - started
    raise RuntimeError(f"background start {target}: still busy after 20 tries")


async def backend_child(folder: Path, chargers: list[str], ready: Path) -> None:
    """The backend alone in this process until the parent closes our stdin (the parent's
    ``--backend-child``). SQLite in ``folder``, or a new PostgreSQL database on the server of
    ``CHARGEPILE_TEST_DATABASE_URL`` when that is set."""
    os.environ["CHARGEPILE_PAYMENTS_OUTBOX_POLL_SECONDS"] = "0.5"
    async with fresh_database_url(folder) as url:
        # A deployed backend, not a test one: environment "test" switches off the gateway's
        # startup gc.freeze(), and without it every full collection re-scans everything
        # imported and built at startup (~140 ms pauses at this scale, the slow starts' tail).
        # Production hashing costs come with it: Settings refuses cheaper ones there.
        settings = make_test_settings(
            url, folder, environment="production", password_hash_time_cost=3,
            password_hash_memory_cost=65536, password_hash_parallelism=4,
            ocpp_heartbeat_interval=600, ocpp_ping_interval=60.0, ocpp_call_timeout=30.0,
        )  # fmt: skip
        await serve_until_told(settings, chargers, ready)


async def serve_until_told(settings: Settings, chargers: list[str], ready: Path) -> None:
    """Serve the seeded backend, say where in ``ready``, and stop when the parent says so."""
    profile = os.environ.get("CHARGEPILE_BENCH_PROFILE")
    async with serve_backend(settings, chargers, connectors=CONNECTORS) as live:
        profiler: Any = None
        if profile:
            # pyinstrument (not a project dependency; install it to profile): wall-clock
            # samples of the backend's whole event loop while the bench runs.
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.005, async_mode="disabled")
            profiler.start()
        info = {"base_url": live.base_url,
                "database": "SQLite" if settings.is_sqlite else "PostgreSQL",
                "chargers": {c: live.network.chargers[c][1] for c in chargers}}  # fmt: skip
        await asyncio.to_thread(ready.write_text, json.dumps(info))
        # Until the parent closes our stdin (uvicorn owns SIGTERM in this process).
        await asyncio.to_thread(sys.stdin.buffer.read)
        if profiler is not None and profile:
            profiler.stop()
            text = profiler.output_text(unicode=True, show_all=False)
            await asyncio.to_thread(Path(profile).write_text, text)


@contextlib.contextmanager
def backend_process(folder: Path, chargers: list[str]) -> Any:
    ready = folder / "ready.json"
    listing = folder / "chargers.json"
    listing.write_text(json.dumps(chargers))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--backend-child", str(folder)], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=(folder / "backend.log").open("wb"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("backend child did not start: see " + str(folder))
            time.sleep(0.1)
        time.sleep(0.2)
        info = json.loads(ready.read_text())
        yield LiveBackend(info["base_url"], info["chargers"], proc.pid, info["database"])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(180)  # a profiling child writes its profile first
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    measured = 2 * args.sessions
    api_only = args.sessions  # the same start over bare HTTP: the backend's share
    total = args.active + measured + api_only
    chargers = [f"B-{i:04d}" for i in range(-(-total // CONNECTORS))]
    targets = [(c, n) for c in chargers for n in range(1, CONNECTORS + 1)][:total]
    with tempfile.TemporaryDirectory(prefix="bench-driver-") as tmp, \
            backend_process(Path(tmp), chargers) as live:  # fmt: skip
        config = fast_config(
            meter_interval_s=args.meter_interval, time_scale=1.0,
            ev=EvSpec(battery_kwh=300, soc_start=0.1, max_kw=11),
            response_timeout_s=60.0,
        )  # fmt: skip
        specs = [ChargerSpec(identity=c, password=live.chargers[c], connectors=CONNECTORS)
                 for c in chargers]  # fmt: skip
        async with Fleet(live.ocpp_url, specs, config) as fleet, \
                contextlib.AsyncExitStack() as stack:  # fmt: skip
            await fleet.wait_ready(timeout=300)
            refresh = [await make_driver(live, n) for n in range(args.sessions)]
            # 1. The background: sessions started through the driver path, left charging.
            gate = asyncio.Semaphore(args.start_concurrency)
            busy: list[int] = []
            limits = httpx.Limits(max_connections=args.start_concurrency)
            async with httpx.AsyncClient(base_url=live.base_url, timeout=120,
                                         limits=limits) as api:  # fmt: skip

                async def bg(i: int) -> float:
                    async with gate:
                        return await background_start(api, targets[measured + i], i, busy)

                loaded = time.perf_counter()
                background = await asyncio.gather(*(bg(i) for i in range(args.active)))
                load_s = time.perf_counter() - loaded
            await asyncio.sleep(min(args.meter_interval, 10))  # meter values are flowing
            # The simulated fleet is not the app's: in a deployment the chargers are other
            # machines. Keep its long-lived objects out of this process's full collections
            # (pauses of 130-170 ms otherwise, charged to whatever start is in flight).
            gc.collect()
            gc.freeze()
            # 2. Measured starts while the background charges.
            gate = asyncio.Semaphore(args.concurrency)

            async def gated(i: int, token: str | None) -> tuple[float, float]:
                async with gate:
                    return await one_start(live, stack, targets[i], token)

            backend_before = rss_kb(live.pid)
            load_before = os.getloadavg()[0]
            wallet = await asyncio.gather(*(
                gated(i, refresh[i]) for i in range(args.sessions)
            ))  # fmt: skip
            guest = await asyncio.gather(*(
                gated(args.sessions + i, None) for i in range(args.sessions)
            ))  # fmt: skip
            backend_after = rss_kb(live.pid)
            load_after = os.getloadavg()[0]
            # The same guest start as a bare HTTP request (no app), as many at once as the
            # measured starts: how much of the figure is the backend's.
            gate = asyncio.Semaphore(args.concurrency)
            async with httpx.AsyncClient(base_url=live.base_url, timeout=120) as api:

                async def bare(i: int) -> float:
                    async with gate:
                        target = targets[measured + args.active + i]
                        return await background_start(api, target, args.active + i)

                api_starts = await asyncio.gather(*(bare(i) for i in range(api_only)))
            # 3. Memory per connected app session.
            before = rss_kb()
            for _ in range(args.idle):
                fake = FakeApp(app_main(live, [], events=False), route=f"/c/{chargers[0]}/1",
                               method_results=client_results(Storage()),
                               cancel_leftover_tasks=False)  # fmt: skip
                await stack.enter_async_context(fake)
            await asyncio.sleep(1)
            after = rss_kb()
            charging = sum(1 for c, n in targets if fleet.connector(c, n).status == "Charging")
    return {
        "wallet_running": [s[0] * 1000 for s in wallet],
        "wallet": [s[1] * 1000 for s in wallet],
        "guest_running": [s[0] * 1000 for s in guest],
        "guest": [s[1] * 1000 for s in guest],
        "background": [b * 1000 for b in background],
        "api": [b * 1000 for b in api_starts],
        "loadavg": (load_before, load_after),
        "busy": len(busy),
        "database": live.database,
        "load_s": load_s,
        "per_session_kb": (after - before) / max(1, args.idle),
        "idle": args.idle,
        "active": args.active,
        "charging": charging,
        "rss_mb": after / 1024,
        "backend_mb": (backend_before / 1024, backend_after / 1024),
        "concurrency": args.concurrency,
        "start_concurrency": args.start_concurrency,
        "meter_interval": args.meter_interval,
        "chargers": len(chargers),
    }


def table(r: dict[str, Any]) -> str:
    rows = [
        ("driver, wallet, pushed (SSE): start → transaction running shown",
         r["wallet_running"], "–"),
        ("driver, wallet, pushed (SSE): start → Charging (power) shown", r["wallet"],
         "p95 < 300 ms"),
        ("guest (H5), card hold, polled (0.5 s while starting): start → transaction running shown",
         r["guest_running"], "–"),
        ("guest (H5), card hold, polled (0.5 s while starting): start → Charging (power) shown",
         r["guest"], "–"),
        ("bare HTTP guest start request answered (no app), same concurrency, load running",
         r["api"], "–"),
        ("background: guest start request answered (HTTP, while the load builds up)",
         r["background"], "–"),
    ]  # fmt: skip
    p95 = percentile(r["wallet"], 0.95)
    met = "met" if p95 < 300 and r["charging"] >= r["active"] else "**not met**"
    per_mb = r["per_session_kb"] / 1024
    lines = [
        "## Driver app (`bench/driver_app.py`)",
        "",
        f"{machine_description()}, {utc_stamp()}. Two processes, as deployed: the backend "
        f"alone in a child process (uvicorn on 127.0.0.1, {r['database']}, OCPP mounted); "
        "this process "
        f"holds the simulated fleet ({r['chargers']} chargers × {CONNECTORS} connectors, "
        "answering at once) and every app session (real Flet sessions on the in-process fake "
        f"client). First {r['active']} sessions were started through the guest H5 start "
        f"request, {r['start_concurrency']} at a time (took {r['load_s']:.0f} s; "
        f'{r["busy"]} answers were 503 "busy, retry", none failed), and kept '
        f"charging with a meter value every {r['meter_interval']:g} s per connector; "
        f"{r['charging']} connectors were still charging at the end. The measured starts "
        f"then ran {r['concurrency']} at a time on free connectors while those charged. "
        "Chargers send a Transaction.Begin meter value right after StartTransaction, so "
        "Charging (power) does not wait a meter interval. The backend runs with "
        '`environment="production"` (so the gateway freezes its startup objects out of the '
        "garbage collector, as deployed); this process freezes the fleet's objects once the "
        "load is built, since real chargers are not in the app's process. Times in ms.",
        "",
        "| measurement | n | p50 | p95 | max | goal |",
        "|---|---|---|---|---|---|",
    ]
    for name, samples, goal in rows:
        lines.append(
            f"| {name} | {len(samples)} | {statistics.median(samples):.0f} | "
            f"{percentile(samples, 0.95):.0f} | {max(samples):.0f} | {goal} |"
        )
    api_p50 = statistics.median(r["api"])
    lines += [
        "",
        f"Goal p95 < 300 ms with {r['active']:,} sessions active: {met} "
        f"(p95 {p95:.0f} ms). The machine's 1-minute load average was "
        f"{r['loadavg'][0]:.1f} → {r['loadavg'][1]:.1f} on 2 cores during the measured starts "
        "(the backend, the fleet and the app sessions share them). The backend's own share: a bare start request (a guest's, with a card hold — a little "
        f"more work than a wallet start) takes p50 {api_p50:.0f} ms; the rest of the figure "
        "is the charger's StartTransaction being written, the event reaching the app and the "
        "app re-rendering. Not tried: the app process on cores of its own.",
        "",
        f"Server memory per connected H5 session: **{per_mb:.2f} MB** "
        f"(RSS growth of the app process over {r['idle']} more sessions on a charger page; "
        f"process RSS {r['rss_mb']:.0f} MB, which includes the simulated fleet). Goal ≤ 5 MB: "
        f"{'met' if per_mb <= 5 else '**not met**'}. At that rate one app process holds about "
        f"**{APP_BUDGET_MB / max(per_mb, 0.01):,.0f} sessions per {APP_BUDGET_MB // 1024} GB** "
        "of memory (memory only: CPU per session while charging was not measured). Backend "
        f"process RSS {r['backend_mb'][0]:.0f} → {r['backend_mb'][1]:.0f} MB across the "
        "measured starts.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--active", type=int, default=1000, help="sessions left charging")
    parser.add_argument("--sessions", type=int, default=20, help="measured starts per kind")
    parser.add_argument("--concurrency", type=int, default=3, help="measured starts at once")
    parser.add_argument("--start-concurrency", type=int, default=20,
                        help="background starts at once")  # fmt: skip
    parser.add_argument("--meter-interval", type=float, default=10.0, help="seconds")
    parser.add_argument("--idle", type=int, default=50, help="extra sessions for the memory figure")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--profile", type=Path, help="pyinstrument text profile of the backend")
    parser.add_argument("--backend-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend_child is not None:
        chargers = json.loads((args.backend_child / "chargers.json").read_text())
        ready = args.backend_child / "ready.json"
        asyncio.run(backend_child(args.backend_child, chargers, ready))
        return
    if args.profile is not None:
        os.environ["CHARGEPILE_BENCH_PROFILE"] = str(args.profile.resolve())
    result = asyncio.run(run(args))
    text = table(result)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
