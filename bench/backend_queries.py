"""Backend query benchmark: station search over 10,000 stations and a monthly operator report
over 1,000,000 sessions, on SQLite and (when ``CHARGEPILE_BENCH_PG_URL`` names a server) on
PostgreSQL.

Goals (issue 2): search p99 < 20 ms; a monthly report < 300 ms.

The data is generated with bulk inserts (raw ``executemany`` on SQLite, ``COPY`` on
PostgreSQL). Searches call :func:`backend.services.stations.search_stations` at random points
in a Shanghai-sized box (166 x 142 km, ~130 stations within the default 10 km radius); the
report calls :func:`backend.services.reports.build_report` for one calendar month holding
1,000,000 sessions of one operator (2,000 chargers, 4,000 connectors). The first report after
the bulk load builds the daily rollup ("cold"); later ones are what users see ("warm"), and
one more follows a completed session, which recomputes one day ("after a change").

    .venv/bin/python bench/backend_queries.py                # both databases, full size
    .venv/bin/python bench/backend_queries.py --sessions 100000 --no-pg   # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from results import machine_description, percentile, utc_stamp, write_section

import backend.db.models  # noqa: F401
from backend.db.base import Base
from backend.db.engine import create_engine, create_session_factory
from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    Fault,
    Operator,
    Station,
)
from backend.services.reports import ReportQuery, build_report
from backend.services.stations import search_stations
from backend.settings import Settings
from backend_client.models import ReportBreakdown, ReportGroup

SECTION = "backend_queries"
TZ = ZoneInfo("Asia/Shanghai")
MONTH = date(2026, 10, 1)  # October 2026, Shanghai time: 31 days
BOX = (30.70, 32.20, 120.80, 122.30)  # lat/lon box around Shanghai
SESSION_COLUMNS = [
    "operator_id",
    "station_id",
    "charger_id",
    "connector_no",
    "id_tag",
    "status",
    "started_at",
    "stopped_at",
    "meter_start_wh",
    "meter_stop_wh",
    "energy_wh",
    "last_power_w",
    "idle_seconds",
    "currency",
    "tariff_snapshot",
    "energy_cost_minor",
    "time_cost_minor",
    "idle_cost_minor",
    "cost_minor",
    "updated_at",
]


@dataclass
class Row:
    database: str
    what: str
    runs: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    goal_ms: float | None
    cpu_ms: float  # median CPU time of this process per run (SQLite work included)

    @property
    def verdict(self) -> str:
        if self.goal_ms is None:
            return "-"
        return "ok" if self.p99_ms < self.goal_ms else "MISSED"


def _row(database: str, what: str, samples: list[tuple[float, float]], goal: float | None) -> Row:
    """``samples``: (wall seconds, CPU seconds) per run."""
    ms = [wall * 1000 for wall, _cpu in samples]
    cpu = statistics.median(c * 1000 for _w, c in samples)
    return Row(
        database, what, len(ms), statistics.median(ms), percentile(ms, 0.99), max(ms), goal, cpu
    )


# --- data ----------------------------------------------------------------------------------


@dataclass
class Network:
    report_operator: int
    report_chargers: list[tuple[int, int]]  # (charger id, station id)


async def _ids(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    result = await session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows
    )
    return [int(i) for i in result.scalars()]


async def build_network(factory: async_sessionmaker[AsyncSession], stations: int) -> Network:
    """10 operators and ``stations`` stations; operator 1 owns 1,000 stations x 2 chargers x
    2 plugs (the reported network), the rest have 1-4 chargers each."""
    rng = random.Random(1)
    lat0, lat1, lon0, lon1 = BOX
    created = datetime(2026, 1, 1, tzinfo=UTC)
    async with factory() as session:
        ops = await _ids(
            session,
            Operator,
            [{"name": f"Operator {i}", "slug": f"op-{i}", "currency": "CNY"} for i in range(10)],
        )
        station_rows = [
            {
                "operator_id": ops[0] if i < 1000 else ops[1 + i % 9],
                "name": f"Station {i}",
                "address": f"{i} Bench Road",
                "city": "Shanghai",
                "latitude": rng.uniform(lat0, lat1),
                "longitude": rng.uniform(lon0, lon1),
            }
            for i in range(stations)
        ]
        station_ids = await _ids(session, Station, station_rows)
        charger_rows = []
        for row, sid in zip(station_rows, station_ids, strict=True):
            count = 2 if row["operator_id"] == ops[0] else rng.randint(1, 4)
            for n in range(count):
                charger_rows.append(
                    {
                        "operator_id": row["operator_id"],
                        "station_id": sid,
                        "ocpp_id": f"B{sid}-{n}",
                        "ocpp_password_hash": "x",
                        "is_online": rng.random() < 0.9,
                        "created_at": created,
                    }
                )
        charger_ids = await _ids(session, Charger, charger_rows)
        kinds = [("GBT_DC", 120.0), ("GBT_DC", 60.0), ("GBT_AC", 7.0), ("CCS2", 150.0)]
        statuses = ["Available"] * 6 + ["Charging"] * 2 + ["Faulted", "Unavailable"]
        connectors = []
        for row, cid in zip(charger_rows, charger_ids, strict=True):
            plugs = 2 if row["operator_id"] == ops[0] else rng.randint(1, 2)
            ctype, kw = rng.choice(kinds)
            for no in range(1, plugs + 1):
                connectors.append(
                    {
                        "charger_id": cid,
                        "connector_no": no,
                        "connector_type": ctype,
                        "max_kw": kw,
                        "ocpp_status": rng.choice(statuses),
                    }
                )
        for start in range(0, len(connectors), 10000):
            await session.execute(insert(Connector), connectors[start : start + 10000])
        await session.commit()
    mine = [
        (cid, row["station_id"])
        for row, cid in zip(charger_rows, charger_ids, strict=True)
        if row["operator_id"] == ops[0]
    ]
    return Network(ops[0], mine)


def session_rows(net: Network, total: int) -> Iterator[tuple[Any, ...]]:
    """``total`` completed sessions spread evenly over the month, none overlapping on a plug,
    generated in (nearly) chronological order as a live system would insert them."""
    rng = random.Random(2)
    start = datetime.combine(MONTH, datetime.min.time(), tzinfo=TZ).astimezone(UTC)
    month_s = 31 * 86400
    plugs = [(cid, sid, no) for cid, sid in net.report_chargers for no in (1, 2)]
    per_plug = total // len(plugs)
    slot = month_s / per_plug
    meters = dict.fromkeys(range(len(plugs)), 100_000)
    for k in range(per_plug):
        for p, (cid, sid, no) in enumerate(plugs):
            began = start + timedelta(seconds=k * slot + rng.uniform(0, slot * 0.4))
            minutes = rng.uniform(20, min(90, slot / 60 * 0.5))
            stopped = began + timedelta(minutes=minutes)
            wh = rng.randint(5_000, 60_000)
            cost = wh * 150 // 1000
            meter = meters[p]
            yield (net.report_operator, sid, cid, no, "BENCHTAG", "completed", began, stopped,
                   meter, meter + wh, wh, 0.0, 0, "CNY", "{}", cost, 0, 0, cost, stopped)  # fmt: skip
            meters[p] = meter + wh


async def load_sessions(engine: AsyncEngine, dialect: str, rows: Iterator[tuple[Any, ...]]) -> None:
    """Bulk-load sessions: sqlite3 ``executemany`` in a thread, or asyncpg ``COPY``."""
    chunk: list[tuple[Any, ...]] = []
    if dialect == "sqlite":
        path = engine.url.database
        assert path

        def write(batch: list[tuple[Any, ...]]) -> None:
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            conn = sqlite3.connect(path)
            try:
                cols = ", ".join(SESSION_COLUMNS)
                marks = ", ".join("?" for _ in SESSION_COLUMNS)
                conn.executemany(
                    f"INSERT INTO charging_sessions ({cols}) VALUES ({marks})",
                    [
                        tuple(
                            v.astimezone(UTC).strftime(fmt) if isinstance(v, datetime) else v
                            for v in r
                        )
                        for r in batch
                    ],
                )
                conn.commit()
            finally:
                conn.close()

        for row in rows:
            chunk.append(row)
            if len(chunk) >= 100_000:
                await asyncio.to_thread(write, chunk)
                chunk = []
        if chunk:
            await asyncio.to_thread(write, chunk)
        return
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        apg: Any = raw.driver_connection
        for row in rows:
            chunk.append(row)
            if len(chunk) >= 100_000:
                await apg.copy_records_to_table(
                    "charging_sessions", records=chunk, columns=SESSION_COLUMNS
                )
                chunk = []
        if chunk:
            await apg.copy_records_to_table(
                "charging_sessions", records=chunk, columns=SESSION_COLUMNS
            )
        await conn.execute(text("ANALYZE"))
        await conn.commit()


async def add_faults(factory: async_sessionmaker[AsyncSession], net: Network, count: int) -> None:
    rng = random.Random(3)
    start = datetime.combine(MONTH, datetime.min.time(), tzinfo=TZ).astimezone(UTC)
    rows = []
    for _ in range(count):
        cid, _sid = rng.choice(net.report_chargers)
        opened = start + timedelta(seconds=rng.uniform(0, 31 * 86400))
        rows.append(
            {
                "operator_id": net.report_operator,
                "charger_id": cid,
                "connector_no": rng.choice([0, 1, 2]),
                "source": rng.choice(["charger", "watchdog"]),
                "error_code": rng.choice(["GroundFailure", "Offline", "InternalError"]),
                "opened_at": opened,
                "cleared_at": opened + timedelta(minutes=rng.uniform(5, 300)),
            }
        )
    async with factory() as session:
        await session.execute(insert(Fault), rows)
        await session.commit()


# --- measurements --------------------------------------------------------------------------


async def bench_search(
    factory: async_sessionmaker[AsyncSession], name: str, runs: int
) -> list[Row]:
    rng = random.Random(4)
    lat0, lat1, lon0, lon1 = BOX
    variants: dict[str, dict[str, Any]] = {
        "search 10 km, no filter": {},
        "search 10 km, GBT_DC >= 60 kW, available now": {
            "connector_type": "GBT_DC",
            "min_kw": 60.0,
            "available_only": True,
        },
    }
    rows = []
    for label, filters in variants.items():
        samples = []
        for i in range(runs + 10):
            lat, lon = rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)
            t0, c0 = time.perf_counter(), time.process_time()
            async with factory() as session:
                page = await search_stations(session, lat=lat, lon=lon, radius_km=10.0, **filters)
            elapsed = (time.perf_counter() - t0, time.process_time() - c0)
            if i >= 10:  # the first few warm caches and the pool
                samples.append(elapsed)
            assert page.total >= 0
        rows.append(_row(name, label, samples, 20.0))
    return rows


async def _report(
    factory: async_sessionmaker[AsyncSession], net: Network, group: ReportGroup, by: ReportBreakdown
) -> tuple[tuple[float, float], int]:
    query = ReportQuery(MONTH, date(2026, 10, 31), group, by)
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    t0, c0 = time.perf_counter(), time.process_time()
    async with factory() as session:
        report = await build_report(session, net.report_operator, query, now=now)
    return (time.perf_counter() - t0, time.process_time() - c0), report.totals.sessions


async def bench_report(
    factory: async_sessionmaker[AsyncSession], net: Network, name: str, runs: int, total: int
) -> list[Row]:
    cold, sessions = await _report(factory, net, ReportGroup.DAY, ReportBreakdown.NETWORK)
    assert sessions == total - total % 4000, sessions
    rows = [
        _row(name, f"monthly report, cold (builds rollup of {sessions:,} sessions)", [cold], None)
    ]
    async with factory() as session:  # as autovacuum / PRAGMA optimize would after a load
        await session.execute(text("ANALYZE"))
        await session.commit()
    variants = [
        (ReportGroup.DAY, ReportBreakdown.NETWORK, "monthly report by day, network"),
        (ReportGroup.MONTH, ReportBreakdown.STATION, "monthly report, 1,000 stations"),
        (ReportGroup.MONTH, ReportBreakdown.CHARGER, "monthly report, 2,000 chargers"),
        (ReportGroup.DAY, ReportBreakdown.STATION, "by day x 1,000 stations (31,000-row export)"),
    ]
    for group, by, label in variants:
        samples = [(await _report(factory, net, group, by))[0] for _ in range(runs)]
        # The 31,000-row table is an export, not a screen: shown for scale, no goal.
        rows.append(_row(name, label, samples, None if "export" in label else 300.0))
    after = []
    for k in range(5):
        async with factory() as session:
            await session.execute(
                update(ChargingSession)
                .where(ChargingSession.id == 1000 + k)
                .values(cost_minor=ChargingSession.cost_minor + 1)
            )
            await session.commit()
        after.append((await _report(factory, net, ReportGroup.DAY, ReportBreakdown.NETWORK))[0])
    rows.append(_row(name, "monthly report after a session changed", after, 300.0))
    return rows


@asynccontextmanager
async def database(kind: str, pg_url: str | None) -> AsyncIterator[tuple[Settings, str]]:
    """A fresh, empty database: an SQLite file in a temp dir, or a new PostgreSQL database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                data_dir=Path(tmp), database_url=f"sqlite+aiosqlite:///{tmp}/bench.db"
            )
            yield settings, f"SQLite {sqlite3.sqlite_version}"
        return
    assert pg_url
    name = f"bench_{uuid.uuid4().hex[:10]}"
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            version = (await conn.execute(text("SHOW server_version"))).scalar_one()
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield (
            Settings(
                data_dir=Path(tempfile.gettempdir()),
                database_url=pg_url.rsplit("/", 1)[0] + f"/{name}",
            ),
            f"PostgreSQL {version}",
        )
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def run_one(kind: str, args: argparse.Namespace) -> list[Row]:
    async with database(kind, args.pg_url) as (settings, label):
        engine = create_engine(settings)
        factory = create_session_factory(engine)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            t0 = time.perf_counter()
            net = await build_network(factory, args.stations)
            await load_sessions(engine, engine.dialect.name, session_rows(net, args.sessions))
            await add_faults(factory, net, 5000)
            if engine.dialect.name == "sqlite":
                async with engine.begin() as conn:
                    await conn.execute(text("ANALYZE"))
            print(f"[{label}] data loaded in {time.perf_counter() - t0:.1f} s", flush=True)
            rows = await bench_search(factory, label, args.searches)
            rows += await bench_report(factory, net, label, args.reports, args.sessions)
            return rows
        finally:
            await engine.dispose()


# --- output ----------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    lines = [
        "| database | query | runs | p50 ms | p99 ms | max ms | CPU p50 ms | goal | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        goal = f"< {r.goal_ms:.0f} ms (p99)" if r.goal_ms else "-"
        lines.append(
            f"| {r.database} | {r.what} | {r.runs} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
            f"{r.max_ms:.1f} | {r.cpu_ms:.1f} | {goal} | {r.verdict} |"
        )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--pg-url", default=os.environ.get("CHARGEPILE_BENCH_PG_URL"))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    kinds = ["sqlite"] + ([] if args.no_pg or not args.pg_url else ["postgresql"])
    load_before = os.getloadavg()[0]
    rows: list[Row] = []
    for kind in kinds:
        rows += await run_one(kind, args)
    out = table(rows)
    print(out)
    load = (
        f"1-minute load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print(load)
    if args.no_write:
        return
    notes = [
        "## Backend queries (`bench/backend_queries.py`)",
        "",
        f"Run {utc_stamp()} on {machine_description()}.",
        f"Data: {args.stations:,} stations (10 operators, ~25k chargers), {args.sessions:,} completed "
        "sessions of one operator in October 2026 (2,000 chargers, 4,000 connectors), 5,000 faults. "
        f"Search: {args.searches} random points per variant, radius 10 km, first page of 20. "
        f"Reports: {args.reports} runs each, timed end to end through the service "
        "(rollup freshness check, queries, response model). Goals: search p99 < 20 ms, "
        "monthly report < 300 ms.",
        "",
        out,
        "",
        f"Machine load during the run: {load}. Wall times above CPU times are time spent "
        "waiting for a core (or, on PostgreSQL, for the server process).",
        "",
        "The cold run is the one-off rollup build after a bulk load that bypassed the "
        "services (normal operation folds each completed session in on the next report, "
        "as the last row shows).",
    ]
    if "postgresql" not in kinds:
        notes.append("PostgreSQL was not measured (set CHARGEPILE_BENCH_PG_URL).")
    write_section(SECTION, "\n".join(notes))


if __name__ == "__main__":
    asyncio.run(main())
