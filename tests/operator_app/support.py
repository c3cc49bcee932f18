"""Data and app runners for the operator-app tests: a real backend with one operator's network.

``seed_network`` creates the operator and its admin directly in the database (there is no
sign-up for operators), then everything else through the real API as that admin would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import insert

from apps.operator_mobile.main import make_main
from apps.operator_mobile.state.app import OperatorState
from apps.operator_mobile.state.credentials import REFRESH_TOKEN_KEY
from backend.db.models import ChargingSession, Fault, Operator, StaffUser
from backend.security import hash_password
from backend_client import ChargepileClient, CredentialStore
from backend_client.models import (
    ChargerCreate,
    ConnectorCreate,
    ConnectorType,
    StationCreate,
    TariffCreate,
)
from tests.support.flet_harness import FakeApp

ADMIN_EMAIL = "admin@ops.test"
PASSWORD = "correct-horse-1"
DRIVER_URL = "http://127.0.0.1:8552"
PHONE = (390, 844)
DESKTOP = (1440, 900)


@dataclass
class Network:
    operator_id: int = 0
    admin_id: int = 0
    station_id: int = 0
    charger_ids: dict[str, int] = field(default_factory=dict)
    ocpp_passwords: dict[str, str] = field(default_factory=dict)
    """ocpp_id → the OCPP Basic-auth password issued at registration (for the simulator)."""


async def _insert(app: FastAPI, model: Any, **values: Any) -> int:
    async with app.state.ctx.sessions() as session:
        result = await session.execute(insert(model).returning(model.id), [values])
        await session.commit()
        return int(result.scalar_one())


def asgi_client(app: FastAPI, store: CredentialStore | None = None) -> ChargepileClient:
    return ChargepileClient(
        "http://testserver", transport=httpx.ASGITransport(app=app), credentials=store
    )


async def seed_network(app: FastAPI) -> Network:
    """Operator "Harbour Charging": admin, tariff, station "Harbour Plaza", chargers CP-1
    (2 connectors) and CP-2 (1 connector), one session on CP-1 today."""
    net = Network()
    net.operator_id = await _insert(
        app, Operator, name="Harbour Charging", slug="harbour", currency="CNY",
        timezone="Asia/Shanghai",
    )  # fmt: skip
    net.admin_id = await _insert(
        app, StaffUser, operator_id=net.operator_id, email=ADMIN_EMAIL, full_name="Ada Admin",
        password_hash=await hash_password(PASSWORD), role="admin",
    )  # fmt: skip
    async with asgi_client(app) as client:
        await client.auth.login_staff(ADMIN_EMAIL, PASSWORD)
        tariff = await client.tariffs.create(
            TariffCreate(name="Standard", currency="CNY", energy_price=Decimal("1.20"))
        )
        station = await client.stations.create(
            StationCreate(
                name="Harbour Plaza", address="1 Quay St", city="Shanghai",
                latitude=31.23, longitude=121.47, tariff_id=tariff.id,
            )
        )  # fmt: skip
        net.station_id = station.id
        for ocpp_id, plugs in (("CP-1", 2), ("CP-2", 1)):
            charger = await client.chargers.create(
                ChargerCreate(
                    station_id=station.id, ocpp_id=ocpp_id, vendor="ABB", model="Terra",
                    connectors=[
                        ConnectorCreate(connector_no=n, connector_type=ConnectorType.GBT_DC, max_kw=60)
                        for n in range(1, plugs + 1)
                    ],
                )
            )  # fmt: skip
            net.charger_ids[ocpp_id] = charger.id
            net.ocpp_passwords[ocpp_id] = charger.ocpp_password
    now = datetime.now(UTC)
    await _insert(
        app, ChargingSession, operator_id=net.operator_id, station_id=net.station_id,
        charger_id=net.charger_ids["CP-1"], connector_no=1, id_tag="CARD01", status="completed",
        started_at=now - timedelta(minutes=50), stopped_at=now - timedelta(minutes=10),
        energy_wh=23_500, cost_minor=2820, currency="CNY",
    )  # fmt: skip
    return net


async def add_fault(app: FastAPI, net: Network, code: str = "GroundFailure") -> int:
    """Open a fault on CP-1 and announce it on the event bus, as the central system does."""
    fault_id = await _insert(
        app, Fault, operator_id=net.operator_id, charger_id=net.charger_ids["CP-1"],
        connector_no=1, source="charger", error_code=code, info="earth leakage",
    )  # fmt: skip
    from backend.services.events import Audience

    app.state.ctx.events.publish(
        "fault.opened",
        {"fault_id": fault_id, "charger_id": net.charger_ids["CP-1"], "error_code": code},
        Audience.operator(net.operator_id),
    )
    return fault_id


class Storage:
    """The device's secure storage as the fake Flet client answers it."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.saved: list[tuple[str, bytes]] = []

    def results(self) -> dict[str, Any]:
        return {
            "SecureStorage.get": lambda a: self.values.get(a["key"]),
            "SecureStorage.set": lambda a: self.values.__setitem__(a["key"], a["value"]),
            "SecureStorage.remove": lambda a: self.values.pop(a["key"], None),
            "FilePicker.save_file": lambda a: self.saved.append((a["file_name"], a["src_bytes"])),
        }

    @property
    def refresh_token(self) -> str | None:
        return self.values.get(REFRESH_TOKEN_KEY)


@asynccontextmanager
async def operator_app(
    app: FastAPI,
    *,
    size: tuple[int, int] = PHONE,
    storage: Storage | None = None,
    client_factory: Any = None,
    live_events: bool = False,
) -> AsyncIterator[tuple[FakeApp, OperatorState]]:
    """The operator app on the fake Flet client against ``app`` (by default without the live
    event stream, which an in-process ASGI transport cannot carry)."""
    states: list[OperatorState] = []
    main = make_main(
        client_factory or (lambda store: asgi_client(app, store)),
        public_driver_url=DRIVER_URL,
        live_events=live_events,
        on_state=states.append,
    )
    storage = storage or Storage()
    async with FakeApp(
        main, width=size[0], height=size[1], method_results=storage.results()
    ) as fake:
        yield fake, states[0]


async def sign_in(fake: FakeApp, email: str = ADMIN_EMAIL, password: str = PASSWORD) -> None:
    await fake.enter_text("signin-email", email)
    await fake.enter_text("signin-password", password)
    await fake.click("signin-submit")
    await fake.settle(10)
