"""A real backend served by uvicorn on a loopback port (SQLite in ``tmp_path``), seeded with one
operator's network, for the OCPP scenario tests to drive with simulated chargers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

import backend.app as backend_app
from backend.context import AppContext
from backend.db.models import (
    CardStatus,
    Charger,
    Connector,
    Driver,
    Operator,
    RfidCard,
    StaffRole,
    StaffUser,
    Station,
    Tariff,
)
from backend.ocpp import uvicorn_ws_options
from backend.security import Principal, hash_charger_password, issue_access_token
from backend.settings import Settings
from simulators.ocpp import ChargerSpec
from tests.support.backend import create_schema, fresh_database_url, make_test_settings


@dataclass
class Network:
    """What the seed created: ids, charger passwords and API tokens."""

    operator_id: int
    station_id: int
    chargers: dict[str, tuple[int, str]] = field(default_factory=dict)
    """ocpp_id → (charger id, OCPP password)."""
    driver_id: int = 0
    other_driver_id: int = 0
    tokens: dict[str, str] = field(default_factory=dict)
    """"admin", "staff", "driver", "other_driver", "foreign_staff" → bearer token."""

    def spec(self, ocpp_id: str, **kw: Any) -> ChargerSpec:
        return ChargerSpec(identity=ocpp_id, password=self.chargers[ocpp_id][1], **kw)

    def charger_id(self, ocpp_id: str) -> int:
        return self.chargers[ocpp_id][0]


@dataclass
class LiveBackend:
    app: FastAPI
    ctx: AppContext
    base_url: str
    network: Network

    @property
    def ocpp_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/ocpp"

    def http(self, who: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.network.tokens[who]}"} if who else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30)


async def seed(ctx: AppContext, charger_ids: list[str], connectors: int) -> Network:
    now = datetime.now(UTC)
    async with ctx.sessions() as s:
        operator = Operator(name="Demo Op", slug="demo-op", currency="CNY", timezone="UTC")
        other = Operator(name="Other Op", slug="other-op", currency="CNY", timezone="UTC")
        s.add_all([operator, other])
        await s.flush()
        tariff = Tariff(
            operator_id=operator.id,
            name="Flat",
            currency="CNY",
            energy_price=Decimal("1.2000"),
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
            name="Test Plaza",
            address="1 Test Road",
            latitude=31.2,
            longitude=121.4,
            tariff_id=tariff.id,
        )
        s.add(station)
        await s.flush()
        network = Network(operator_id=operator.id, station_id=station.id)
        for ocpp_id in charger_ids:
            password = f"pw-{ocpp_id}-0123456789abcdef"
            charger = Charger(
                operator_id=operator.id,
                station_id=station.id,
                ocpp_id=ocpp_id,
                ocpp_password_hash=hash_charger_password(password),
            )
            s.add(charger)
            await s.flush()
            for n in range(1, connectors + 1):
                s.add(
                    Connector(
                        charger_id=charger.id, connector_no=n, connector_type="TYPE2", max_kw=22.0
                    )
                )
            network.chargers[ocpp_id] = (charger.id, password)
        people = {
            "admin": StaffUser(
                operator_id=operator.id,
                email="admin@test",
                full_name="Admin",
                password_hash="x",
                role=StaffRole.ADMIN,
            ),
            "staff": StaffUser(
                operator_id=operator.id,
                email="staff@test",
                full_name="Staff",
                password_hash="x",
                role=StaffRole.STAFF,
            ),
            "foreign_staff": StaffUser(
                operator_id=other.id,
                email="foreign@test",
                full_name="Foreign",
                password_hash="x",
                role=StaffRole.ADMIN,
            ),
        }
        drivers = {
            "driver": Driver(email="driver@test", full_name="Driver", password_hash="x"),
            "other_driver": Driver(email="other@test", full_name="Other", password_hash="x"),
        }
        s.add_all([*people.values(), *drivers.values()])
        await s.flush()
        network.driver_id = drivers["driver"].id
        network.other_driver_id = drivers["other_driver"].id
        s.add_all(
            [
                RfidCard(operator_id=operator.id, uid="CARD-OK", driver_id=network.driver_id),
                RfidCard(
                    operator_id=operator.id,
                    uid="CARD-BLOCKED",
                    driver_id=network.driver_id,
                    status=CardStatus.BLOCKED,
                ),
                RfidCard(
                    operator_id=operator.id,
                    uid="CARD-EXPIRED",
                    driver_id=network.driver_id,
                    expires_at=now - timedelta(days=1),
                ),
            ]
        )
        await s.commit()
        for name, staff in people.items():
            network.tokens[name] = issue_access_token(
                ctx.settings, Principal.for_staff(staff), now=now
            )
        for name, driver in drivers.items():
            network.tokens[name] = issue_access_token(
                ctx.settings, Principal.for_driver(driver), now=now
            )
    return network


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (also its own CA) and its key, for TLS tests."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextlib.asynccontextmanager
async def serve_backend(
    settings: Settings,
    charger_ids: list[str],
    connectors: int = 2,
    tls: tuple[Path, Path] | None = None,
) -> AsyncIterator[LiveBackend]:
    await create_schema(settings)
    # The app factory mounts the OCPP endpoint and the remote routes and runs the central system.
    app = backend_app.create_app(settings)
    ctx: AppContext = app.state.ctx
    network = await seed(ctx, charger_ids, connectors)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    ssl_options: dict[str, Any] = {}
    if tls is not None:
        ssl_options = {"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])}
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", **uvicorn_ws_options(settings), **ssl_options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(15):
            while not server.started:
                if task.done():
                    raise RuntimeError("backend exited during start-up")
                await asyncio.sleep(0.02)
        scheme = "https" if tls else "http"
        yield LiveBackend(app, ctx, f"{scheme}://127.0.0.1:{port}", network)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 10)
        sock.close()


StartBackend = Callable[..., Awaitable[LiveBackend]]


@pytest.fixture
async def start_backend(tmp_path: Path) -> AsyncIterator[StartBackend]:
    """``await start_backend(["CP-1"], connectors=2, **settings_overrides)``."""
    stack = contextlib.AsyncExitStack()

    async def start(
        charger_ids: list[str] | None = None,
        connectors: int = 2,
        tls: tuple[Path, Path] | None = None,
        **overrides: Any,
    ) -> LiveBackend:
        url = await stack.enter_async_context(fresh_database_url(tmp_path))
        values: dict[str, Any] = {
            "ocpp_heartbeat_interval": 60,
            "ocpp_ping_interval": 5.0,
            "ocpp_call_timeout": 5.0,
        }
        values.update(overrides)
        settings = make_test_settings(url, tmp_path, **values)
        return await stack.enter_async_context(
            serve_backend(settings, charger_ids or ["CP-1"], connectors, tls)
        )

    async with stack:
        yield start


@pytest.fixture
async def backend(start_backend: StartBackend) -> LiveBackend:
    return await start_backend(["CP-1", "CP-2"])
