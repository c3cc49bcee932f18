"""Payments benchmark: tariff-engine cost per meter update, and the paid-session money path.

Measures, in one process on SQLite (a temporary file):

- ``running_cost`` for sessions of 1 h / 4 h / 12 h with one meter sample per 30 s, crossing
  time-of-use bands and with tax — what the OCPP layer pays on each MeterValues;
- the money path of a paid session through the real app (in-process ASGI, sandbox provider):
  ``POST /charge/start`` with a card hold (authorize + remote start), the StopTransaction
  settlement, and the outbox capture.

Usage::

    .venv/bin/python bench/payments.py              # full run, updates RESULTS.md
    .venv/bin/python bench/payments.py --sessions 30 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results import machine_description, utc_stamp, write_section  # noqa: E402

from backend.payments.outbox import run_due  # noqa: E402
from backend.payments.tariff import EnergyPoint, running_cost  # noqa: E402
from tests.payments.support import (  # noqa: E402
    charger_online,
    driver_headers,
    meter,
    pay_app,
    stop,
)
from tests.support.backend import make_test_settings  # noqa: E402
from tests.support.builders import build_world  # noqa: E402

SECTION = "payments"

SNAPSHOT = {
    "tariff_id": 1,
    "name": "bench",
    "currency": "CNY",
    "timezone": "Asia/Shanghai",
    "energy_price": "1.0",
    "time_price": "0.05",
    "idle_fee_per_minute": "0.5",
    "idle_grace_minutes": 10,
    "tax_rate_percent": "6",
    "bands": [
        {
            "start": "08:00",
            "end": "12:00",
            "label": "peak",
            "energy_price": "1.5",
            "time_price": "0.1",
        },
        {
            "start": "18:00",
            "end": "22:00",
            "label": "peak2",
            "energy_price": "1.4",
            "time_price": "0.1",
        },
        {
            "start": "22:00",
            "end": "06:00",
            "label": "night",
            "energy_price": "0.4",
            "time_price": "0",
        },
    ],
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def tariff_rows(repeat: int) -> list[tuple[str, int, float, float]]:
    rows = []
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 17:00 Shanghai: crosses into peak2/night
    for hours in (1, 4, 12):
        n = hours * 120
        points = [
            EnergyPoint(start + timedelta(seconds=30 * (i + 1)), 90 * (i + 1)) for i in range(n)
        ]
        end = points[-1].at
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            running_cost(SNAPSHOT, points, start, end, end - timedelta(minutes=20))
            times.append((time.perf_counter() - t0) * 1000)
        rows.append((f"running_cost, {hours} h session", n, pct(times, 50), pct(times, 99)))
    return rows


async def money_path(sessions: int) -> list[tuple[str, int, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_test_settings(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp))
        async with pay_app(settings) as pa:
            world = await build_world(pa.app)
            headers = driver_headers(settings, world.driver.id)
            starts, settles, captures = [], [], []
            for _ in range(sessions):
                await charger_online(pa.ctx, world.charger.ocpp_id)
                t0 = time.perf_counter()
                r = await pa.client.post(
                    "/api/v1/charge/start",
                    json={
                        "ocpp_id": world.charger.ocpp_id,
                        "connector_no": 1,
                        "pay_with": "card",
                        "payment_method_token": "pm_card_ok",
                    },
                    headers=headers,
                )
                starts.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 201, r.text
                session_id = r.json()["session_id"]
                pa.clock.advance(minutes=30)
                await meter(pa.ctx, session_id, 5_000)
                pa.clock.advance(minutes=30)
                t0 = time.perf_counter()
                await stop(pa.ctx, session_id, 10_000, wake=False)
                settles.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                await run_due(pa.ctx)
                captures.append((time.perf_counter() - t0) * 1000)
            await pa.sandbox.flush()
    return [
        (
            "POST /charge/start (card hold + remote start)",
            sessions,
            pct(starts, 50),
            pct(starts, 99),
        ),
        (
            "StopTransaction settlement (cost + outbox row)",
            sessions,
            pct(settles, 50),
            pct(settles, 99),
        ),
        ("outbox pass with one capture", sessions, pct(captures, 50), pct(captures, 99)),
    ]


def table(rows: list[tuple[str, int, float, float]]) -> str:
    lines = ["| measurement | n | p50 ms | p99 ms |", "|---|---|---|---|"]
    lines += [f"| {name} | {n} | {p50:.3f} | {p99:.3f} |" for name, n, p50, p99 in rows]
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50, help="running_cost calls per size")
    parser.add_argument("--sessions", type=int, default=100, help="paid sessions to run")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    rows = tariff_rows(args.repeat) + await money_path(args.sessions)
    body = (
        "## Payments (`bench/payments.py`)\n\n"
        f"{machine_description()}, {utc_stamp()}; SQLite, in-process ASGI, sandbox provider."
        f" Samples every 30 s; three time-of-use bands, tax and idle fee.\n\n"
        + table(rows)
        + f"\n\nrunning_cost per meter sample at 12 h (p50 / samples): "
        f"{rows[2][2] / rows[2][1] * 1000:.1f} µs. The machine's 2 cores were shared with "
        "other test runs, which shows in the p99 column."
    )
    print(body)
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    asyncio.run(main())
