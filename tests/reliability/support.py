"""Helpers for the fault tests: the real backend as a separate process that can be killed.

Why a process and not uvicorn in the test's event loop: a crash test must lose everything the
backend held in memory (queued writes, the event bus, the payment runtime, open sockets) the
way a power cut or an OOM kill does. ``SIGKILL`` of ``chargepile serve`` does exactly that,
and restarting it on the same database file and port is what an operator's supervisor does.

Also here: a paid test network written straight into the database (operator, flat tariff,
chargers, drivers with money in their wallets), so both crash and restart tests can seed a
database before any backend process has opened it.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

import httpx

from backend.db.base import utcnow
from backend.db.engine import create_engine, create_session_factory
from backend.db.models import (
    Charger,
    Connector,
    Driver,
    EntryKind,
    Operator,
    RfidCard,
    StaffRole,
    StaffUser,
    Station,
    Tariff,
)
from backend.payments import ledger
from backend.security import Principal, hash_charger_password, issue_access_token
from backend.settings import Settings
from simulators.ocpp import ChargerSpec
from tests.support.servers import ROOT, free_port

PRICE_PER_KWH = Decimal("1.20")
"""The flat tariff of the reliability network: cost in fen = round(Wh × 120 / 1000)."""
WALLET_SEED_MINOR = 100_000
"""What each driver has in the wallet before the test (1000.00 CNY)."""


def expected_cost_minor(energy_wh: int) -> int:
    """The price of ``energy_wh`` under the flat tariff, in minor units (fen)."""
    return round(energy_wh * int(PRICE_PER_KWH * 100) / 1000)


def restart_safe_port() -> int:
    """A free loopback port *outside* the kernel's ephemeral range.

    A backend restarted "on the same port" must find it free again. A port from
    :func:`free_port` is an ephemeral one: while the backend is down, any outgoing connection
    on the machine (a charger reconnecting, another test) may be given it as its local port,
    and the restart then fails with "address in use". Ports below the ephemeral range are
    only ever taken by explicit binds.
    """
    low, _high = (
        int(v) for v in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    )
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12_000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def card_uid(n: int) -> str:
    """The idTag of the ``n``-th seeded RFID card."""
    return f"REL-CARD-{n}"


def backend_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes ``chargepile serve`` run with ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARGEPILE_")}
    env.update(
        {
            "CHARGEPILE_ENVIRONMENT": settings.environment,
            "CHARGEPILE_DATA_DIR": str(settings.data_dir),
            "CHARGEPILE_DATABASE_URL": settings.resolved_database_url,
            "CHARGEPILE_SECRET_KEY": settings.secret_key,
            "CHARGEPILE_OCPP_HEARTBEAT_INTERVAL": str(settings.ocpp_heartbeat_interval),
            "CHARGEPILE_OCPP_PING_INTERVAL": str(settings.ocpp_ping_interval),
            "CHARGEPILE_OCPP_CALL_TIMEOUT": str(settings.ocpp_call_timeout),
        }
    )
    env.update(extra)
    return env


class BackendProcess:
    """``python -m chargepile.cli serve`` on a fixed loopback port, restartable after a kill.

    Each run's output goes to ``<log_dir>/backend-<n>.log``; :meth:`log_tail` shows the end of
    the last one in assertion messages.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        log_dir: Path,
        *,
        port: int | None = None,
        log_level: str = "warning",
    ) -> None:
        self.env = dict(env)
        self.log_level = log_level
        self.log_dir = log_dir
        self.port = port if port is not None else restart_safe_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self._log: IO[bytes] | None = None

    @property
    def ocpp_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"backend-{self.runs}.log"

    async def start(self, timeout: float = 60.0) -> None:
        """Start the process and wait until ``/healthz`` answers 200 (the event loop keeps
        running meanwhile: simulated chargers go on charging while the backend boots)."""
        assert self.proc is None or self.proc.poll() is not None, "backend already running"
        self.runs += 1
        self.proc = self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"backend exited at start-up:\n{self.log_tail()}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if loop.time() > deadline:
                    self.kill()
                    raise TimeoutError(f"backend did not answer /healthz:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    def _spawn(self) -> subprocess.Popen[bytes]:
        # A plain Popen (fork + exec, returns at once) rather than an asyncio subprocess, so
        # that kill() can be synchronous: tests snapshot what was acknowledged right after it.
        self._close_log()
        self._log = self.log_path.open("wb")
        return subprocess.Popen(
            [sys.executable, "-m", "chargepile.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", self.log_level],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush, nothing the process held survives."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    async def stop(self) -> None:
        """A graceful stop (SIGTERM), killed if it lingers."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                await asyncio.to_thread(proc.wait, 15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class PaidNetwork:
    """What :func:`seed_paid_network` wrote: ids, charger passwords and API tokens."""

    operator_id: int
    station_id: int
    chargers: dict[str, tuple[int, str]] = field(default_factory=dict)
    """ocpp_id → (charger id, OCPP password)."""
    driver_ids: list[int] = field(default_factory=list)
    driver_tokens: dict[int, str] = field(default_factory=dict)
    admin_email: str = "admin@reliability.test"
    admin_token: str = ""

    def specs(self, **kw: object) -> list[ChargerSpec]:
        return [
            ChargerSpec.model_validate({"identity": ocpp_id, "password": password, **kw})
            for ocpp_id, (_id, password) in self.chargers.items()
        ]

    def driver_headers(self, driver_id: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.driver_tokens[driver_id]}"}


async def seed_paid_network(
    settings: Settings,
    *,
    chargers: int,
    connectors: int = 2,
    drivers: int = 0,
    cards: int = 0,
    admin_password_hash: str = "x",
) -> PaidNetwork:
    """One operator (timezone UTC) with a flat 1.20 CNY/kWh tariff (no time or idle fees),
    one station, ``chargers`` chargers ``RL-001``… with ``connectors`` each, an admin, and
    ``drivers`` drivers with :data:`WALLET_SEED_MINOR` in their CNY wallet (posted through
    the backend's own ledger), plus ``cards`` RFID cards ``REL-CARD-1``… (no driver). The
    schema must exist already."""
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as s:
            operator = Operator(
                name="Reliability Op", slug="reliability", currency="CNY", timezone="UTC"
            )
            s.add(operator)
            await s.flush()
            tariff = Tariff(
                operator_id=operator.id,
                name="Flat",
                currency="CNY",
                energy_price=PRICE_PER_KWH,
                time_price=Decimal("0"),
                idle_fee_per_minute=Decimal("0"),
                idle_grace_minutes=10,
                tax_rate_percent=Decimal("0"),
                bands=[],
            )
            s.add(tariff)
            await s.flush()
            station = Station(
                operator_id=operator.id,
                name="Reliability Yard",
                address="9 Crash Road",
                latitude=31.2,
                longitude=121.4,
                tariff_id=tariff.id,
            )
            s.add(station)
            await s.flush()
            net = PaidNetwork(operator_id=operator.id, station_id=station.id)
            admin = StaffUser(
                operator_id=operator.id,
                email=net.admin_email,
                full_name="Rel Admin",
                password_hash=admin_password_hash,
                role=StaffRole.ADMIN,
            )
            s.add(admin)
            for n in range(1, chargers + 1):
                ocpp_id = f"RL-{n:03d}"
                password = f"pw-{ocpp_id}-0123456789abcdef"
                charger = Charger(
                    operator_id=operator.id,
                    station_id=station.id,
                    ocpp_id=ocpp_id,
                    ocpp_password_hash=hash_charger_password(password),
                )
                s.add(charger)
                await s.flush()
                for c in range(1, connectors + 1):
                    s.add(
                        Connector(
                            charger_id=charger.id,
                            connector_no=c,
                            connector_type="TYPE2",
                            max_kw=22.0,
                        )
                    )
                net.chargers[ocpp_id] = (charger.id, password)
            people = [
                Driver(
                    email=f"driver{n}@reliability.test", full_name=f"Driver {n}", password_hash="x"
                )
                for n in range(1, drivers + 1)
            ]
            s.add_all(people)
            await s.flush()
            for driver in people:
                wallet = await ledger.lock_wallet(s, driver.id, "CNY")
                await ledger.post(
                    s, wallet, EntryKind.TOPUP, WALLET_SEED_MINOR,
                    key=f"seed:{driver.id}", note="test seed",
                )  # fmt: skip
                net.driver_ids.append(driver.id)
            s.add_all(
                RfidCard(operator_id=operator.id, uid=card_uid(n), driver_id=None)
                for n in range(1, cards + 1)
            )
            await s.commit()
            now = utcnow()
            net.admin_token = issue_access_token(settings, Principal.for_staff(admin), now=now)
            for driver in people:
                net.driver_tokens[driver.id] = issue_access_token(
                    settings, Principal.for_driver(driver), now=now
                )
        return net
    finally:
        await engine.dispose()


__all__ = [
    "PRICE_PER_KWH",
    "WALLET_SEED_MINOR",
    "BackendProcess",
    "PaidNetwork",
    "backend_env",
    "card_uid",
    "expected_cost_minor",
    "restart_safe_port",
    "seed_paid_network",
]
