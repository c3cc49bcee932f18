"""Driver app benchmark: "start" → the app shows Charging, and server memory per session.

Everything runs in this process on one event loop, as one Flet server would: the real backend
(uvicorn on 127.0.0.1, OCPP endpoint mounted, SQLite), a simulated fleet answering at once,
and N driver-app sessions — each a real Flet ``Session`` with the app's state and API client,
driven by the in-process fake client (tests/support/flet_harness.py) instead of a browser.

Measured per session, from the tap on "Start" in the confirmation dialog until the app's
state is Charging (power flowing) and the screen has re-rendered:

- signed-in drivers paying from the wallet, figures pushed over the event stream (SSE);
- guests on the H5 page paying by card hold, who have no stream: the app polls every 0.5 s
  while the charger starts, then every 2 s (the app's defaults).

Memory: resident set size of this process before and after opening K more idle sessions on
a charger page, divided by K (a server-side Flet session with its state and client; the
browser's websocket buffers are not included).

The issue's goal is p95 < 300 ms with 1,000 sessions active. A 2-core machine shared with the
team cannot hold a thousand simulated chargers, sessions and the backend in one process in a
few minutes, so the default scale is 20 wallet + 20 guest sessions, started 3 at a time and
all left charging. With more (60 chargers at 0.5 s meter values, 5 starts in flight) the
SQLite-backed backend ran out of pooled connections ("QueuePool limit of size 5 overflow 10")
in the start route and the idempotency store, so starts failed: a backend limit to raise with
PostgreSQL, reported, not hidden (``--sessions``); the figure is
reported as measured, not extrapolated.

    .venv/bin/python bench/driver_app.py                # updates bench/RESULTS.md
    .venv/bin/python bench/driver_app.py --sessions 10 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
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
from backend_client import ChargepileClient, CredentialStore  # noqa: E402
from simulators.ocpp import EvSpec, Fleet  # noqa: E402
from tests.driver_app.support import Storage  # noqa: E402
from tests.ocpp.conftest import LiveBackend, serve_backend  # noqa: E402
from tests.ocpp.support import fast_config  # noqa: E402
from tests.support.backend import make_test_settings  # noqa: E402
from tests.support.flet_harness import FakeApp  # noqa: E402

SECTION = "driver_app"
PASSWORD = "correct-horse-1"
METER_S = 2.0
"""Meter-value interval of the simulated chargers: SQLite takes ~40 chargers at 2 s."""


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
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
    live: LiveBackend, stack: contextlib.AsyncExitStack, ocpp_id: str, refresh: str | None
) -> tuple[float, float]:
    """Open the charger page, tap Start and confirm; seconds until the transaction runs and
    until Charging (power flowing) is shown."""
    storage = Storage()
    if refresh is not None:
        storage.values["chargepile.driver.refresh_token"] = refresh
    states: list[DriverState] = []
    fake = FakeApp(
        app_main(live, states, events=refresh is not None), route=f"/c/{ocpp_id}/1",
        method_results=storage.results(), cancel_leftover_tasks=False,
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


async def run(sessions: int, idle_sessions: int, concurrency: int) -> dict[str, Any]:
    os.environ["CHARGEPILE_PAYMENTS_OUTBOX_POLL_SECONDS"] = "0.5"
    chargers = [f"B-{i:03d}" for i in range(2 * sessions)]
    with tempfile.TemporaryDirectory(prefix="bench-driver-") as tmp:
        settings = make_test_settings(
            f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", Path(tmp),
            ocpp_heartbeat_interval=600, ocpp_ping_interval=30.0, ocpp_call_timeout=30.0,
        )  # fmt: skip
        async with serve_backend(settings, chargers, connectors=1) as live:
            config = fast_config(
                meter_interval_s=METER_S,
                time_scale=1.0,
                ev=EvSpec(battery_kwh=300, soc_start=0.1, max_kw=11),
            )
            specs = [live.network.spec(c) for c in chargers]
            async with Fleet(live.ocpp_url, specs, config) as fleet, \
                    contextlib.AsyncExitStack() as stack:  # fmt: skip
                await fleet.wait_ready(timeout=120)
                refresh = [await make_driver(live, n) for n in range(sessions)]
                gate = asyncio.Semaphore(concurrency)

                async def gated(ocpp_id: str, token: str | None) -> tuple[float, float]:
                    async with gate:
                        return await one_start(live, stack, ocpp_id, token)

                wallet = await asyncio.gather(*(
                    gated(chargers[i], refresh[i]) for i in range(sessions)
                ))  # fmt: skip
                guest = await asyncio.gather(*(
                    gated(chargers[sessions + i], None) for i in range(sessions)
                ))  # fmt: skip
                before = rss_kb()
                for _ in range(idle_sessions):
                    fake = FakeApp(app_main(live, [], events=False), route=f"/c/{chargers[0]}/1",
                                   method_results=Storage().results(),
                                   cancel_leftover_tasks=False)  # fmt: skip
                    await stack.enter_async_context(fake)
                await asyncio.sleep(1)
                after = rss_kb()
                active = 2 * sessions
    return {
        "wallet_running": [s[0] * 1000 for s in wallet],
        "wallet": [s[1] * 1000 for s in wallet],
        "guest_running": [s[0] * 1000 for s in guest],
        "guest": [s[1] * 1000 for s in guest],
        "per_session_kb": (after - before) / max(1, idle_sessions),
        "idle": idle_sessions,
        "active": active,
        "rss_mb": after / 1024,
        "concurrency": concurrency,
    }


def table(r: dict[str, Any]) -> str:
    rows = [
        ("driver, wallet, pushed (SSE): start → transaction running shown",
         r["wallet_running"], "–"),
        ("driver, wallet, pushed (SSE): start → Charging (power) shown", r["wallet"],
         "p95 < 300 ms"),
        ("guest (H5), card hold, polled (0.5 s while starting): start → transaction running shown",
         r["guest_running"], "–"),
        ("guest (H5), card hold, polled (0.5 s while starting): start → Charging (power) shown", r["guest"],
         "–"),
    ]  # fmt: skip
    lines = [
        "## Driver app (`bench/driver_app.py`)",
        "",
        f"{machine_description()}, {utc_stamp()}. One process and one event loop hold the "
        "backend (uvicorn on 127.0.0.1, SQLite, "
        "OCPP mounted), the simulated fleet (answers at once) and every app session (real Flet "
        "sessions on the in-process fake client). Chargers answer at once and send meter "
        f"values every {METER_S:g} s; the first one comes that long after the transaction "
        "starts, so the Charging (power) rows include it. Starts run "
        f"{r['concurrency']} at a time; sessions already started keep charging. Times in ms.",
        "",
        "| measurement | n | p50 | p95 | max | goal |",
        "|---|---|---|---|---|---|",
    ]
    for name, samples, goal in rows:
        lines.append(
            f"| {name} | {len(samples)} | {statistics.median(samples):.0f} | "
            f"{percentile(samples, 0.95):.0f} | {max(samples):.0f} | {goal} |"
        )
    lines += [
        "",
        f"Server memory per connected session: **{r['per_session_kb'] / 1024:.2f} MB** "
        f"(RSS growth over {r['idle']} more sessions on a charger page, with {r['active']} "
        f"charging sessions open; process RSS {r['rss_mb']:.0f} MB). Goal ≤ 5 MB. "
        "Scale: the goal's 1,000 active sessions were not attempted on this shared 2-core "
        f"machine; {r['active']} sessions ran here.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="sessions per kind")
    parser.add_argument("--concurrency", type=int, default=3, help="starts in flight at once")
    parser.add_argument("--idle", type=int, default=50, help="extra sessions for the memory figure")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    result = asyncio.run(run(args.sessions, args.idle, args.concurrency))
    text = table(result)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
