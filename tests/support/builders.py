"""Test data builders: a small operator network made through the real services.

Other suites reuse these instead of hand-writing rows. Typical use::

    world = await build_world(app)                 # operator, admin, driver, station, charger
    headers = await login(client, world.admin_email)
    r = await client.get(f"/api/v1/stations/{world.station.id}", headers=headers)

Everything goes through the services (so audit rows, hashes and validation are real) except
charging sessions and faults, which are written by the OCPP side in production and are
inserted here directly as rows (:func:`add_session`, :func:`add_fault`).
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.base import utcnow
from backend.db.models import (
    ChargingSession,
    Fault,
    FaultSource,
    MeterSample,
    Operator,
    SessionStatus,
    StaffRole,
    StaffUser,
)
from backend.security import PasswordHashing, Principal, hash_password, password_hashing
from backend.services import accounts, chargers, stations, tariffs
from backend_client.models import (
    ChargerCreate,
    ChargerCreated,
    ConnectorCreate,
    ConnectorType,
    DriverProfile,
    DriverSignUp,
    StationCreate,
    StationPublic,
    TariffCreate,
    TariffPublic,
    TimeOfUseBand,
)

PASSWORD = "correct-horse-battery"
"""The password of every account the builders create."""


@functools.cache
def _default_password_hash() -> str:
    # argon2 is slow on purpose; the shared test password is hashed once, and at the low cost
    # test settings use (make_test_settings): verification reads the cost from the hash.
    return PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PASSWORD)


def context(app: FastAPI) -> AppContext:
    ctx: AppContext = app.state.ctx
    return ctx


async def create_operator(
    session: AsyncSession, *, slug: str, name: str | None = None, currency: str = "CNY"
) -> Operator:
    operator = Operator(name=name or f"Operator {slug}", slug=slug, currency=currency)
    session.add(operator)
    await session.commit()
    return operator


async def create_staff_user(
    session: AsyncSession,
    *,
    operator_id: int,
    email: str,
    role: StaffRole = StaffRole.ADMIN,
    password: str = PASSWORD,
) -> Principal:
    """A staff account written directly (the first admin of an operator has nobody to add it)."""
    staff = StaffUser(
        operator_id=operator_id,
        email=email,
        full_name=email.split("@")[0].title(),
        password_hash=(
            await asyncio.to_thread(_default_password_hash)
            if password == PASSWORD
            else await hash_password(password)
        ),
        role=role,
    )
    session.add(staff)
    await session.commit()
    return Principal.for_staff(staff)


async def create_driver(
    session: AsyncSession,
    *,
    email: str,
    password: str = PASSWORD,
    hashing: PasswordHashing | None = None,
) -> DriverProfile:
    return await accounts.sign_up_driver(
        session,
        data=DriverSignUp(email=email, full_name="Test Driver", password=password),
        hashing=hashing,
    )


async def create_tariff(session: AsyncSession, *, admin: Principal) -> TariffPublic:
    """1.00/kWh base, 1.50/kWh peak 08:00–12:00, 0.40/kWh off-peak 22:00–06:00."""
    return await tariffs.create_tariff(
        session,
        principal=admin,
        data=TariffCreate(
            name="Standard",
            currency="CNY",
            energy_price=Decimal("1.0000"),
            idle_fee_per_minute=Decimal("0.5000"),
            bands=[
                TimeOfUseBand(
                    start="08:00", end="12:00", label="peak", energy_price=Decimal("1.5")
                ),
                TimeOfUseBand(
                    start="22:00", end="06:00", label="off-peak", energy_price=Decimal("0.4")
                ),
            ],
        ),
    )


async def create_station(
    session: AsyncSession,
    *,
    staff: Principal,
    name: str = "Central Station",
    lat: float = 31.2304,
    lon: float = 121.4737,
    tariff_id: int | None = None,
) -> StationPublic:
    return await stations.create_station(
        session,
        principal=staff,
        data=StationCreate(
            name=name,
            address=f"{name} Road 1",
            city="Shanghai",
            latitude=lat,
            longitude=lon,
            tariff_id=tariff_id,
        ),
    )


async def create_charger(
    session: AsyncSession,
    *,
    staff: Principal,
    station_id: int,
    ocpp_id: str,
    connectors: tuple[tuple[ConnectorType, float], ...] = (
        (ConnectorType.GBT_DC, 60.0),
        (ConnectorType.GBT_AC, 7.0),
    ),
) -> ChargerCreated:
    """A charger with connectors numbered from 1; the result has its ``ocpp_password``."""
    return await chargers.create_charger(
        session,
        principal=staff,
        data=ChargerCreate(
            station_id=station_id,
            ocpp_id=ocpp_id,
            vendor="Acme",
            model="DC60",
            connectors=[
                ConnectorCreate(connector_no=n, connector_type=kind, max_kw=kw)
                for n, (kind, kw) in enumerate(connectors, start=1)
            ],
        ),
    )


@dataclass
class World:
    """One operator's small network and the people around it."""

    operator_id: int
    admin: Principal
    admin_email: str
    staff: Principal
    staff_email: str
    driver: DriverProfile
    driver_email: str
    tariff: TariffPublic
    station: StationPublic
    charger: ChargerCreated

    @property
    def driver_principal(self) -> Principal:
        return Principal("driver", self.driver.id)


async def build_world(
    app: FastAPI, *, prefix: str = "a", lat: float = 31.2304, lon: float = 121.4737
) -> World:
    """Operator ``prefix`` with an admin, a staff member, a driver, a tariff, a station at
    (``lat``, ``lon``) and one two-connector charger ``<PREFIX>-CP-1``. Every password is
    :data:`PASSWORD`; e-mails are ``admin@<prefix>.test``, ``staff@<prefix>.test`` and
    ``driver@<prefix>.test``."""
    async with context(app).sessions() as session:
        operator = await create_operator(session, slug=prefix)
        admin = await create_staff_user(
            session, operator_id=operator.id, email=f"admin@{prefix}.test"
        )
        staff = await create_staff_user(
            session, operator_id=operator.id, email=f"staff@{prefix}.test", role=StaffRole.STAFF
        )
        driver = await create_driver(
            session,
            email=f"driver@{prefix}.test",
            hashing=await password_hashing(context(app)),
        )
        tariff = await create_tariff(session, admin=admin)
        station = await create_station(
            session,
            staff=admin,
            name=f"{prefix.upper()} Plaza",
            lat=lat,
            lon=lon,
            tariff_id=tariff.id,
        )
        charger = await create_charger(
            session, staff=admin, station_id=station.id, ocpp_id=f"{prefix.upper()}-CP-1"
        )
    return World(
        operator_id=operator.id,
        admin=admin,
        admin_email=f"admin@{prefix}.test",
        staff=staff,
        staff_email=f"staff@{prefix}.test",
        driver=driver,
        driver_email=f"driver@{prefix}.test",
        tariff=tariff,
        station=station,
        charger=charger,
    )


async def add_session(
    app: FastAPI,
    world: World,
    *,
    driver_id: int | None = None,
    status: SessionStatus = SessionStatus.COMPLETED,
    started_at: datetime | None = None,
    energy_wh: int = 12_000,
    samples: int = 3,
) -> int:
    """A charging session row on ``world``'s charger (connector 1) with meter samples."""
    started = started_at or utcnow() - timedelta(hours=2)
    async with context(app).sessions() as session:
        row = ChargingSession(
            operator_id=world.operator_id,
            station_id=world.station.id,
            charger_id=world.charger.id,
            connector_no=1,
            driver_id=driver_id,
            id_tag="CAFE0001",
            status=status,
            started_at=started,
            stopped_at=started + timedelta(minutes=45)
            if status == SessionStatus.COMPLETED
            else None,
            meter_start_wh=1000,
            meter_stop_wh=1000 + energy_wh if status == SessionStatus.COMPLETED else None,
            energy_wh=energy_wh,
            currency="CNY",
            energy_cost_minor=energy_wh // 10,
            cost_minor=energy_wh // 10,
        )
        session.add(row)
        await session.flush()
        for i in range(samples):
            session.add(
                MeterSample(
                    session_id=row.id,
                    sampled_at=started + timedelta(minutes=15 * i),
                    energy_wh=1000 + energy_wh * i // max(1, samples - 1),
                    power_w=16_000.0,
                    soc=40 + 10 * i,
                )
            )
        await session.commit()
        return row.id


async def add_fault(
    app: FastAPI, world: World, *, error_code: str = "GroundFailure", cleared: bool = False
) -> int:
    """An open (or cleared) fault on ``world``'s charger, connector 1."""
    async with context(app).sessions() as session:
        fault = Fault(
            operator_id=world.operator_id,
            charger_id=world.charger.id,
            connector_no=1,
            source=FaultSource.CHARGER,
            error_code=error_code,
            cleared_at=utcnow() if cleared else None,
        )
        session.add(fault)
        await session.commit()
        return fault.id


async def login(
    client: httpx.AsyncClient, email: str, *, kind: str = "staff", password: str = PASSWORD
) -> dict[str, str]:
    """Sign in through the API and return the ``Authorization`` header to send."""
    response = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password, "kind": kind}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
