"""Demo data for ``chargepile seed-demo`` / ``make demo``: a Shanghai network with 90 days of
history so every screen and report has substance on first start (every completed historical
session paid by wallet or card, see :mod:`backend.services.seed_payments`).

- "Demo Charging Co." (CNY, Asia/Shanghai): 6 stations, 40 chargers (GB/T DC 60-120 kW, a few
  with CCS2, GB/T AC 7 kW), China-style time-of-use tariffs (peak 08-11 & 18-21, valley
  23-07, flat otherwise), idle fees after a grace period, admin and staff accounts, drivers
  with RFID cards and fleet cards;
- "Riverside EV" (Suzhou): a second small operator, to show tenant isolation;
- charger OCPP passwords are derived from the charger identity (:func:`demo_charger_password`)
  and written with the chargers' plugs to ``<data_dir>/demo-chargers.json`` for the simulator
  fleet; only their hashes are stored.

Idempotent: everything is written in one transaction, and a second run finds the demo
operator and only refreshes the charger file and report rollups.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from backend.db.models import (
    Charger,
    ChargingSession,
    Connector,
    Driver,
    Fault,
    MeterSample,
    Operator,
    RfidCard,
    StaffUser,
    Station,
    Tariff,
)
from backend.security import hash_charger_password, hash_password
from backend.services.report_rollup import refresh_rollups
from backend.services.seed_fleet import (
    CHARGERS_FILE,
    charger_manifest,
    demo_charger_password,
    write_manifest,
)
from backend.services.seed_history import (
    PlugPlan,
    TariffPlan,
    generate_history,
    meter_samples,
)
from backend.services.seed_network import (
    DEMO_STATIONS,
    DRIVERS,
    KINDS,
    OTHER_STATIONS,
    TARIFFS,
    StationSpec,
)
from backend.services.seed_payments import seed_payments

__all__ = [
    "CHARGERS_FILE",
    "DEMO_PASSWORD",
    "DemoAccount",
    "DemoCredentials",
    "demo_charger_password",
    "seed_demo",
]

DEMO_SLUG = "demo-charging-co"
OTHER_SLUG = "riverside-ev"
DEMO_PASSWORD = "chargepile-demo"
HISTORY_DAYS = 90


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    note: str = ""


@dataclass(frozen=True)
class DemoCredentials:
    """What ``seed_demo`` set up, for the command line to print."""

    operator_id: int
    other_operator_id: int
    accounts: tuple[DemoAccount, ...]
    chargers_file: Path
    stations: int
    chargers: int
    sessions: int
    created: bool

    def describe(self) -> str:
        """A few lines for a person: who can sign in with what, where charger secrets are."""
        state = "created" if self.created else "already present"
        lines = [
            f'Demo data {state}: "Demo Charging Co." with {self.stations} stations, '
            f"{self.chargers} chargers, {self.sessions} sessions over {HISTORY_DAYS} days.",
            *(
                f"  {a.role:<16} {a.email:<30} password: {a.password}"
                + (f"  ({a.note})" if a.note else "")
                for a in self.accounts
            ),
            f"  Charger OCPP identities and passwords: {self.chargers_file}",
        ]
        return "\n".join(lines)


async def _ids(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk insert ``rows`` and return their new ids in order."""
    if not rows:
        return []
    result = await session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows
    )
    return [int(i) for i in result.scalars()]


def _tariff_plan(tariff_id: int, spec: dict[str, Any]) -> TariffPlan:
    snapshot = {"tariff_id": tariff_id, **spec}
    return TariffPlan(
        id=tariff_id,
        energy_price=Decimal(spec["energy_price"]),
        time_price=Decimal(spec["time_price"]),
        idle_fee_per_minute=Decimal(spec["idle_fee_per_minute"]),
        idle_grace_minutes=int(spec["idle_grace_minutes"]),
        bands=list(spec["bands"]),
        snapshot=snapshot,
    )


async def _network(
    session: AsyncSession,
    operator_id: int,
    stations: tuple[StationSpec, ...],
    tariff_plans: dict[str, TariffPlan],
    now: datetime,
) -> tuple[list[PlugPlan], dict[int, TariffPlan]]:
    """Stations, chargers and connectors; returns what the history generator needs."""
    station_ids = await _ids(
        session,
        Station,
        [
            {
                "operator_id": operator_id,
                "name": s.name,
                "address": s.address,
                "city": s.city,
                "latitude": s.latitude,
                "longitude": s.longitude,
                "opening_hours": s.opening_hours,
                "tariff_id": tariff_plans[s.tariff].id,
                "created_at": now - timedelta(days=s.age_days),
            }
            for s in stations
        ],
    )
    charger_rows: list[dict[str, Any]] = []
    for spec, station_id in zip(stations, station_ids, strict=True):
        for n, kind in enumerate(spec.chargers, start=1):
            ocpp_id = (
                f"SH-{spec.code}-{n:02d}" if spec.city == "Shanghai" else f"SZ-{spec.code}-{n:02d}"
            )
            vendor, model = KINDS[kind].vendor, KINDS[kind].model
            charger_rows.append(
                {
                    "operator_id": operator_id,
                    "station_id": station_id,
                    "ocpp_id": ocpp_id,
                    "vendor": vendor,
                    "model": model,
                    "serial_number": f"{vendor[:2].upper()}{spec.code}{n:04d}",
                    "firmware_version": KINDS[kind].firmware,
                    "ocpp_password_hash": hash_charger_password(demo_charger_password(ocpp_id)),
                    "created_at": now - timedelta(days=spec.age_days),
                    "_kind": kind,
                    "_spec": spec,
                }
            )
    charger_ids = await _ids(
        session,
        Charger,
        [{k: v for k, v in r.items() if not k.startswith("_")} for r in charger_rows],
    )
    connectors: list[dict[str, Any]] = []
    plugs: list[PlugPlan] = []
    for row, charger_id in zip(charger_rows, charger_ids, strict=True):
        spec = row["_spec"]
        for no, (ctype, max_kw, rate) in enumerate(KINDS[row["_kind"]].plugs, start=1):
            connectors.append(
                {
                    "charger_id": charger_id,
                    "connector_no": no,
                    "connector_type": ctype,
                    "max_kw": max_kw,
                }
            )
            plugs.append(
                PlugPlan(
                    operator_id=operator_id,
                    station_id=row["station_id"],
                    charger_id=charger_id,
                    connector_no=no,
                    kind="ac" if ctype == "GBT_AC" else "dc",
                    max_kw=max_kw,
                    sessions_per_day=rate * spec.popularity,
                    weekend_factor=spec.weekend_factor,
                    created_at=row["created_at"],
                )
            )
    await session.execute(insert(Connector), connectors)
    by_station = {
        sid: tariff_plans[spec.tariff] for spec, sid in zip(stations, station_ids, strict=True)
    }
    return plugs, by_station


async def _operator(
    session: AsyncSession, *, name: str, slug: str, now: datetime
) -> tuple[int, dict[str, TariffPlan]]:
    [operator_id] = await _ids(
        session,
        Operator,
        [{"name": name, "slug": slug, "currency": "CNY", "timezone": "Asia/Shanghai",
          "created_at": now - timedelta(days=180)}],
    )  # fmt: skip
    plans: dict[str, TariffPlan] = {}
    for key, spec in TARIFFS[slug].items():
        [tariff_id] = await _ids(
            session,
            Tariff,
            [
                {
                    "operator_id": operator_id,
                    "name": spec["name"],
                    "currency": "CNY",
                    "energy_price": Decimal(spec["energy_price"]),
                    "time_price": Decimal(spec["time_price"]),
                    "idle_fee_per_minute": Decimal(spec["idle_fee_per_minute"]),
                    "idle_grace_minutes": spec["idle_grace_minutes"],
                    "bands": spec["bands"],
                }
            ],
        )
        plans[key] = _tariff_plan(tariff_id, spec)
    return operator_id, plans


async def _create(session: AsyncSession, now: datetime) -> tuple[int, int, int]:
    """Everything, in the caller's transaction; returns (demo id, other id, sessions)."""
    password_hash = await hash_password(DEMO_PASSWORD)
    tz = ZoneInfo("Asia/Shanghai")
    demo_id, demo_tariffs = await _operator(
        session, name="Demo Charging Co.", slug=DEMO_SLUG, now=now
    )
    other_id, other_tariffs = await _operator(
        session, name="Riverside EV", slug=OTHER_SLUG, now=now
    )
    staff_ids = await _ids(
        session,
        StaffUser,
        [
            {"operator_id": demo_id, "email": "admin@demo.chargepile", "full_name": "Zhou Lan",
             "password_hash": password_hash, "role": "admin"},
            {"operator_id": demo_id, "email": "staff@demo.chargepile", "full_name": "Sun Hao",
             "password_hash": password_hash, "role": "staff"},
            {"operator_id": other_id, "email": "admin@riverside.chargepile",
             "full_name": "Xu Ting", "password_hash": password_hash, "role": "admin"},
        ],
    )  # fmt: skip
    driver_ids = await _ids(
        session,
        Driver,
        [
            {"email": d.email, "full_name": d.name, "phone": d.phone, "locale": d.locale,
             "password_hash": password_hash}
            for d in DRIVERS
        ],
    )  # fmt: skip
    cards: list[dict[str, Any]] = [
        {"operator_id": demo_id, "uid": d.card_uid, "driver_id": did, "label": f"{d.name} card"}
        for d, did in zip(DRIVERS, driver_ids, strict=True)
    ]
    cards += [
        {"operator_id": op, "uid": f"{prefix}{n:08X}", "driver_id": None, "label": f"Fleet {n}"}
        for op, prefix, count in ((demo_id, "FL", 24), (other_id, "RV", 6))
        for n in range(1, count + 1)
    ]
    card_ids = await _ids(session, RfidCard, cards)
    tags: dict[int, list[tuple[str, int | None, int | None]]] = {demo_id: [], other_id: []}
    for card, card_id in zip(cards, card_ids, strict=True):
        tags[card["operator_id"]].append((card["uid"], card_id, card["driver_id"]))
    sessions = 0
    for op_id, stations, plans, days, seed in (
        (demo_id, DEMO_STATIONS, demo_tariffs, HISTORY_DAYS, 2026),
        (other_id, OTHER_STATIONS, other_tariffs, 30, 7),
    ):
        plugs, by_station = await _network(session, op_id, stations, plans, now)
        history = generate_history(
            plugs, by_station, tags[op_id], tz=tz, days=days, now=now, seed=seed
        )
        for fault in history.faults:
            if fault["acknowledged_at"] is not None:
                fault["acknowledged_by"] = staff_ids[0] if op_id == demo_id else staff_ids[2]
            else:
                fault["acknowledged_by"] = None
        if history.faults:
            await session.execute(insert(Fault), history.faults)
        clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in history.sessions]
        for start in range(0, len(clean), 5000):
            await session.execute(insert(ChargingSession), clean[start : start + 5000])
        recent_ids = await _ids(
            session,
            ChargingSession,
            [{k: v for k, v in r.items() if not k.startswith("_")} for r in history.recent],
        )
        samples = [
            s
            for sid, row in zip(recent_ids, history.recent, strict=True)
            for s in meter_samples(sid, row)
        ]
        if samples:
            await session.execute(insert(MeterSample), samples)
        snapshots = {sid: plan.snapshot for sid, plan in by_station.items()}
        await seed_payments(session, op_id, snapshots, seed=seed)
        sessions += len(history.sessions) + len(history.recent) if op_id == demo_id else 0
    return demo_id, other_id, sessions


async def seed_demo(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    data_dir: Path,
    now: datetime | None = None,
) -> DemoCredentials:
    """Create the demo data unless present; write ``<data_dir>/demo-chargers.json``.

    The schema must exist (``chargepile db upgrade``). Safe to run again and concurrently:
    the demo operator's unique slug makes a second writer roll back and reuse the first's.
    """
    now = now or utcnow()
    async with session_factory() as session:
        created = False
        if await session.scalar(select(Operator.id).where(Operator.slug == DEMO_SLUG)) is None:
            try:
                await _create(session, now)
                await session.commit()
                created = True
            except IntegrityError:
                await session.rollback()
        operators = {
            slug: (op_id, tz)
            for op_id, slug, tz in await session.execute(
                select(Operator.id, Operator.slug, Operator.timezone).where(
                    Operator.slug.in_((DEMO_SLUG, OTHER_SLUG))
                )
            )
        }
        for op_id, tz_name in operators.values():
            await refresh_rollups(session, op_id, tz_name, now=now)
        demo_id = operators[DEMO_SLUG][0]
        manifest = await charger_manifest(session, (DEMO_SLUG, OTHER_SLUG))
        stations = await session.scalar(
            select(func.count()).select_from(Station).where(Station.operator_id == demo_id)
        )
        sessions = await session.scalar(
            select(func.count())
            .select_from(ChargingSession)
            .where(ChargingSession.operator_id == demo_id)
        )
    path = data_dir / CHARGERS_FILE
    await asyncio.to_thread(write_manifest, path, manifest)
    driver = DRIVERS[0]
    return DemoCredentials(
        operator_id=demo_id,
        other_operator_id=operators[OTHER_SLUG][0],
        accounts=(
            DemoAccount("operator admin", "admin@demo.chargepile", DEMO_PASSWORD),
            DemoAccount("operator staff", "staff@demo.chargepile", DEMO_PASSWORD),
            DemoAccount("driver", driver.email, DEMO_PASSWORD, f"RFID card {driver.card_uid}"),
            DemoAccount("other operator", "admin@riverside.chargepile", DEMO_PASSWORD),
        ),
        chargers_file=path.resolve(),
        stations=int(stations or 0),
        chargers=sum(1 for c in manifest if c["operator"] == DEMO_SLUG),
        sessions=int(sessions or 0),
        created=created,
    )
