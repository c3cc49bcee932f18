"""Done-when (issue 9): SQLite in WAL mode keeps every acknowledged write through a SIGKILL.

The writer is the real backend (``chargepile serve``, a subprocess) storing meter values from
ten simulated charging sessions as fast as the chargers send them (~100 MeterValues/s, group
commits back to back). The backend answers a MeterValues only after its commit, so a sample
the charger saw acknowledged is a write the database promised to keep. The process is killed
at an arbitrary moment of that stream, several times; after each kill:

* ``PRAGMA integrity_check`` says ``ok`` (no torn page, no broken index);
* every sample acknowledged before the kill is in ``meter_samples`` with its energy;
* the backend starts again on the file and serves (``/healthz``, the sessions API), and the
  chargers' unacknowledged messages, replayed after reconnecting, land as well.

The database is always an SQLite file here, even when the suite runs against PostgreSQL: the
subject is SQLite's own crash safety under the engine's pragmas (WAL, synchronous=NORMAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from backend.db.engine import create_engine, create_session_factory
from backend.db.models import MeterSample
from simulators.ocpp import EvSpec, Fleet, SessionRecord, SimConfig
from simulators.ocpp.meter import iso
from tests.reliability.support import (
    BackendProcess,
    backend_env,
    card_uid,
    seed_paid_network,
)
from tests.support.backend import create_schema, make_test_settings

CHARGERS = 5  # two connectors each: ten sessions writing at once


def _config() -> SimConfig:
    return SimConfig(
        meter_interval_s=0.1,
        time_scale=60.0,
        response_timeout_s=15.0,
        transaction_message_attempts=5,
        transaction_message_retry_interval_s=0.5,
        reconnect_min_s=0.2,
        reconnect_max_s=1.0,
        reconnect_jitter_s=0.3,
        auto_unplug_after_s=None,
        ev=EvSpec(battery_kwh=300.0, soc_start=0.1, max_kw=11.0),
        ev_randomise=False,
        ping_interval_s=None,
        seed=11,
    )


def _acknowledged(records: list[SessionRecord]) -> dict[tuple[int, str], int]:
    """(transactionId, wire timestamp) → energy of every sample the backend acknowledged.

    A charger's transaction messages go out one at a time in order, so the first
    ``meter_values_acknowledged`` samples of a session are exactly the acknowledged ones.
    """
    out: dict[tuple[int, str], int] = {}
    for record in records:
        assert record.transaction_id is not None
        # A message given up would shift the count; none may be (5 attempts each).
        assert not record.dropped_messages, (record.transaction_id, record.dropped_messages)
        for sample in record.samples[: record.meter_values_acknowledged]:
            out[(record.transaction_id, iso(sample.timestamp))] = sample.energy_wh
    return out


def _integrity(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal", mode
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]


async def _stored(settings_url: str, tmp_path: Path) -> dict[tuple[int, str], int | None]:
    settings = make_test_settings(settings_url, tmp_path)
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as s:
            rows = (
                await s.execute(
                    select(MeterSample.session_id, MeterSample.sampled_at, MeterSample.energy_wh)
                )
            ).all()
    finally:
        await engine.dispose()
    return {(sid, iso(at if at.tzinfo else at.replace(tzinfo=UTC))): wh for sid, at, wh in rows}


def _missing(
    acked: dict[tuple[int, str], int], stored: dict[tuple[int, str], int | None]
) -> list[str]:
    return [
        f"session {sid} sample {at}: acknowledged {wh} Wh, stored {stored.get((sid, at))}"
        for (sid, at), wh in sorted(acked.items())
        if stored.get((sid, at)) != wh
    ]


async def _wait(
    what: str, check: Callable[[], bool], timeout: float, backend: BackendProcess
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{backend.log_tail()}")
        await asyncio.sleep(0.05)


async def run_durability(tmp_path: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "durable.db"
    url = f"sqlite+aiosqlite:///{path}"
    settings = make_test_settings(
        url, tmp_path, ocpp_heartbeat_interval=60, ocpp_ping_interval=5.0, ocpp_call_timeout=15.0
    )
    await create_schema(settings)
    net = await seed_paid_network(settings, chargers=CHARGERS, cards=2 * CHARGERS)
    backend = BackendProcess(backend_env(settings), tmp_path)
    try:
        await backend.start()
        async with Fleet(backend.ocpp_url, net.specs(), _config()) as fleet:
            await fleet.wait_ready(timeout=60)
            targets = [(ocpp_id, no) for ocpp_id in net.chargers for no in (1, 2)]
            for n, (ocpp_id, no) in enumerate(targets, start=1):
                await fleet.wait_status(ocpp_id, no, "Available", timeout=30)
                assert await fleet.swipe_rfid(ocpp_id, no, card_uid(n)) == "started"

            def acked_total() -> int:
                return sum(r.meter_values_acknowledged for r in fleet.records())

            previous = 0
            for cycle in range(kills):
                if cycle:
                    await backend.start()
                floor = acked_total() + 40

                def enough(floor: int = floor) -> bool:
                    return acked_total() >= floor

                await _wait("meter values to be stored", enough, 30, backend)
                await asyncio.sleep(rng.uniform(0.0, 0.4))  # an arbitrary point of the stream
                backend.kill()
                # No await between the kill and this snapshot: nothing can be acknowledged
                # in between, so every sample in it was committed by the dead process.
                acked = _acknowledged(fleet.records())
                assert len(acked) > previous, "no write was acknowledged in this cycle"
                previous = len(acked)

                assert await asyncio.to_thread(_integrity, path) == ["ok"]
                missing = _missing(acked, await _stored(url, tmp_path))
                assert not missing, (
                    f"cycle {cycle}: {len(missing)} acknowledged writes lost:\n"
                    + "\n".join(missing[:10])
                    + f"\n--- backend log ---\n{backend.log_tail()}"
                )

            # The backend starts on the file that survived the kills and serves from it.
            await backend.start()
            async with httpx.AsyncClient(
                base_url=backend.base_url,
                timeout=30,
                headers={"Authorization": f"Bearer {net.admin_token}"},
            ) as api:
                r = await api.get("/api/v1/sessions", params={"limit": 50})
                assert r.status_code == 200, r.text
                tx_ids = {rec.transaction_id for rec in fleet.records()}
                assert {item["id"] for item in r.json()["items"]} == tx_ids
                # Chargers reconnect and replay what the dead backend never acknowledged.
                await _wait(
                    "every charger to reconnect",
                    lambda: all(st.online for st in fleet.stations.values()), 60, backend,
                )  # fmt: skip
                floor = acked_total() + 20
                await _wait("new writes after the restart", lambda: acked_total() >= floor,
                            30, backend)  # fmt: skip
                backend_alive = await api.get("/healthz")
                assert backend_alive.status_code == 200
            # Graceful stop, then every acknowledged sample of the whole run is there.
            await backend.stop()
            acked = _acknowledged(fleet.records())
            missing = _missing(acked, await _stored(url, tmp_path))
            assert not missing, "\n".join(missing[:10]) + f"\n{backend.log_tail()}"
            assert await asyncio.to_thread(_integrity, path) == ["ok"]
    finally:
        await backend.stop()


async def test_sigkill_mid_write_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    """Two kills at random points of a ~100 writes/s stream."""
    await run_durability(tmp_path, kills=2, seed=1)


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_sigkill_mid_write_many_times(tmp_path: Path) -> None:
    """Twelve kills: more chances to land inside a commit or a WAL checkpoint."""
    await run_durability(tmp_path, kills=12, seed=2)
