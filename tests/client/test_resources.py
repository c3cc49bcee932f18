"""Every endpoint group, called through the client against the real backend in-process,
returns typed wire models (happy paths; failures are in test_errors.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from backend.db.models import ChargingSession, Tariff
from backend.payments.tariff import snapshot_tariff
from backend_client import ChargepileClient, Conflict, NotFound
from backend_client.models import (
    CardCreate,
    CardStatus,
    CardUpdate,
    ChargerCreate,
    ChargerUpdate,
    ConnectorCreate,
    ConnectorType,
    ConnectorUpdate,
    DriverCardBind,
    DriverProfileUpdate,
    RecordStatus,
    ReportBreakdown,
    ReportGroup,
    SessionStatus,
    StaffCreate,
    StaffRole,
    StaffUpdate,
    StationCreate,
    StationUpdate,
    TariffCreate,
    TariffUpdate,
)
from tests.support.builders import PASSWORD, World, add_fault, add_session, context


async def test_station_search_needs_no_sign_in(cp: ChargepileClient, world: World) -> None:
    page = await cp.stations.search(lat=31.23, lon=121.47, radius_km=5, available=False)
    assert [s.id for s in page.items] == [world.station.id]
    assert page.items[0].connectors_total == 2
    assert (await cp.stations.search(lat=0.0, lon=0.0)).total == 0


async def test_station_detail_shows_chargers_and_the_price_now(
    cp: ChargepileClient, world: World
) -> None:
    detail = await cp.stations.get(world.station.id)
    assert detail.chargers[0].ocpp_id == world.charger.ocpp_id
    assert detail.tariff is not None and detail.tariff.id == world.tariff.id


async def test_operator_manages_stations(admin: ChargepileClient, world: World) -> None:
    created = await admin.stations.create(
        StationCreate(name="Harbour", address="Quay 2", latitude=31.0, longitude=121.0)
    )
    renamed = await admin.stations.update(created.id, StationUpdate(name="Harbour East"))
    assert renamed.name == "Harbour East" and renamed.address == "Quay 2"
    assert (await admin.stations.list(q="harbour")).total == 1
    retired = await admin.stations.retire(created.id)
    assert retired.status == RecordStatus.RETIRED
    assert (await admin.stations.list(q="harbour")).total == 0


async def test_operator_manages_chargers_and_connectors(
    admin: ChargepileClient, world: World
) -> None:
    created = await admin.chargers.create(
        ChargerCreate(
            station_id=world.station.id,
            ocpp_id="NEW-CP-9",
            connectors=[
                ConnectorCreate(connector_no=1, connector_type=ConnectorType.GBT_DC, max_kw=120)
            ],
        )
    )
    assert created.ocpp_password
    assert (await admin.chargers.get(created.id)).ocpp_id == "NEW-CP-9"
    assert (await admin.chargers.update(created.id, ChargerUpdate(vendor="Volt"))).vendor == "Volt"
    credentials = await admin.chargers.reset_password(created.id)
    assert credentials.ocpp_password != created.ocpp_password
    added = await admin.chargers.add_connector(
        created.id, ConnectorCreate(connector_no=2, connector_type=ConnectorType.GBT_AC, max_kw=7)
    )
    assert len(added.connectors) == 2
    changed = await admin.chargers.update_connector(created.id, 2, ConnectorUpdate(max_kw=11))
    assert {c.connector_no: c.max_kw for c in changed.connectors}[2] == 11
    after = await admin.chargers.retire_connector(created.id, 2)
    assert {c.connector_no: c.status for c in after.connectors}[2] == RecordStatus.RETIRED
    assert (await admin.chargers.list(station_id=world.station.id)).total == 2
    assert (await admin.chargers.retire(created.id)).status == RecordStatus.RETIRED


async def test_operator_manages_tariffs(admin: ChargepileClient, world: World) -> None:
    tariff = await admin.tariffs.create(
        TariffCreate(name="Night", currency="CNY", energy_price=Decimal("0.8"))
    )
    updated = await admin.tariffs.update(tariff.id, TariffUpdate(energy_price=Decimal("0.75")))
    assert updated.energy_price == Decimal("0.75")
    assert (await admin.tariffs.get(tariff.id)).name == "Night"
    assert (await admin.tariffs.list()).total == 2
    assert (await admin.tariffs.retire(tariff.id)).status == RecordStatus.RETIRED


async def test_operator_manages_cards(admin: ChargepileClient, world: World) -> None:
    card = await admin.cards.create(CardCreate(uid="DEADBEEF", driver_email=world.driver_email))
    assert card.driver_id == world.driver.id
    assert (await admin.cards.update(card.id, CardUpdate(label="fleet"))).label == "fleet"
    assert (await admin.cards.block(card.id)).status == CardStatus.BLOCKED
    assert (await admin.cards.list(status=CardStatus.BLOCKED)).total == 1
    assert (await admin.cards.unblock(card.id)).status == CardStatus.ACTIVE
    assert (await admin.cards.get(card.id)).uid == "DEADBEEF"


async def test_admin_manages_staff(admin: ChargepileClient, world: World) -> None:
    staff = await admin.staff.create(
        StaffCreate(email="night@a.test", full_name="Night Shift", password="long-password")
    )
    assert staff.role == StaffRole.STAFF
    updated = await admin.staff.update(staff.id, StaffUpdate(is_active=False))
    assert updated.is_active is False
    assert (await admin.staff.get(staff.id)).email == "night@a.test"
    assert (await admin.staff.list()).total == 3


async def test_driver_profile_and_cards(
    admin: ChargepileClient, cp: ChargepileClient, world: World
) -> None:
    await admin.cards.create(CardCreate(uid="0011AABB", driver_email=world.driver_email))
    await cp.auth.logout()
    await cp.auth.login_driver(world.driver_email, PASSWORD)
    profile = await cp.me.update_profile(DriverProfileUpdate(phone="+86 138 0000 0000"))
    assert profile.phone == "+86 138 0000 0000"
    assert (await cp.me.profile()).email == world.driver_email
    assert [c.uid for c in await cp.me.cards()] == ["0011AABB"]


async def test_driver_links_blocks_unblocks_and_removes_a_card(
    admin: ChargepileClient, cp: ChargepileClient, world: World
) -> None:
    await admin.cards.create(CardCreate(uid="0022CCDD"))
    await cp.auth.logout()
    await cp.auth.login_driver(world.driver_email, PASSWORD)
    linked = await cp.me.link_card(DriverCardBind(uid="0022ccdd", label="Spare"))
    assert [(c.uid, c.label, c.status) for c in linked] == [
        ("0022CCDD", "Spare", CardStatus.ACTIVE)
    ]
    card_id = linked[0].id
    assert (await cp.me.block_card(card_id)).status == CardStatus.BLOCKED
    assert (await cp.me.unblock_card(card_id)).status == CardStatus.ACTIVE
    await cp.auth.login_staff(world.admin_email, PASSWORD)  # the operator blocks it
    await admin.cards.block(card_id)
    await cp.auth.login_driver(world.driver_email, PASSWORD)
    with pytest.raises(Conflict) as refused:
        await cp.me.unblock_card(card_id)
    assert refused.value.code == "card_blocked_by_operator"
    await cp.me.remove_card(card_id)
    assert await cp.me.cards() == []
    with pytest.raises(NotFound):
        await cp.me.link_card(DriverCardBind(uid="FFFF0000"))


async def test_sessions_and_receipts(app: FastAPI, admin: ChargepileClient, world: World) -> None:
    session_id = await add_session(app, world, driver_id=world.driver.id)
    await freeze_tariff(app, world, session_id)
    page = await admin.sessions.list(status=SessionStatus.COMPLETED)
    assert [s.id for s in page.items] == [session_id]
    detail = await admin.sessions.get(session_id)
    assert len(detail.samples) == 3
    receipt = await admin.sessions.receipt(session_id)
    assert receipt.session_id == session_id
    assert (await admin.sessions.receipt_pdf(session_id)).startswith(b"%PDF")


async def test_receipt_link_downloads_the_pdf_without_credentials(
    app: FastAPI, admin: ChargepileClient, world: World
) -> None:
    session_id = await add_session(app, world, driver_id=world.driver.id)
    await freeze_tariff(app, world, session_id)
    link = await admin.payments.receipt_link(session_id)
    assert link.url.startswith(f"/api/v1/sessions/{session_id}/receipt/download?t=")
    token = httpx.URL(link.url).params["t"]
    pdf = await admin.payments.download_receipt(session_id, token)
    assert pdf.startswith(b"%PDF")
    with pytest.raises(NotFound):  # the link is for that session only
        await admin.payments.download_receipt(session_id + 1, token)
    with pytest.raises(NotFound):  # nor can it be forged
        await admin.payments.download_receipt(session_id, token[:-4] + "AAAA")


async def freeze_tariff(app: FastAPI, world: World, session_id: int) -> None:
    """What the OCPP side does at StartTransaction (the builder's rows carry no snapshot)."""
    async with context(app).sessions() as db:
        row = await db.get(ChargingSession, session_id)
        tariff = await db.get(Tariff, world.tariff.id)
        assert row is not None and tariff is not None
        row.tariff_snapshot = snapshot_tariff(tariff, timezone="Asia/Shanghai", now=row.started_at)
        await db.commit()


async def test_faults_are_listed_and_acknowledged(
    app: FastAPI, admin: ChargepileClient, world: World
) -> None:
    fault_id = await add_fault(app, world)
    assert [f.id for f in (await admin.faults.list()).items] == [fault_id]
    acknowledged = await admin.faults.acknowledge(fault_id, "technician sent")
    assert acknowledged.note == "technician sent" and acknowledged.acknowledged_at is not None
    assert (await admin.faults.get(fault_id)).note == "technician sent"


async def test_reports_json_csv_and_today(
    app: FastAPI, admin: ChargepileClient, world: World
) -> None:
    await add_session(app, world)
    today = date.today()
    report = await admin.reports.summary(
        today - timedelta(days=7), today + timedelta(days=1), by=ReportBreakdown.STATION
    )
    assert report.totals.sessions == 1
    csv = await admin.reports.summary_csv(
        today - timedelta(days=7), today + timedelta(days=1), group=ReportGroup.WEEK
    )
    assert csv.decode("utf-8").splitlines()[0].startswith("period")
    assert (await admin.reports.today()).chargers_total == 1


async def test_audit_log_records_operator_actions(admin: ChargepileClient) -> None:
    await admin.cards.create(CardCreate(uid="CAFE1234"))
    entries = await admin.audit.list(target_type="card")
    assert entries.total >= 1 and entries.items[0].target_type == "card"


async def test_health(cp: ChargepileClient) -> None:
    assert (await cp.health()).status == "ok"
