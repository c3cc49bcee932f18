"""The management console at desktop width: tariffs with bands, cards, CSV import, sessions
export, QR labels."""

from __future__ import annotations

import asyncio

import zxingcpp
from fastapi import FastAPI
from PIL import Image

from apps.operator_mobile.state.app import OperatorState
from tests.operator_app.support import (
    DESKTOP,
    DRIVER_URL,
    Storage,
    operator_app,
    seed_network,
    sign_in,
)
from tests.support.flet_harness import FakeApp


async def _go(fake: FakeApp, state: OperatorState, section: str) -> None:
    await fake.run(lambda: state.go(section))


async def test_desktop_shows_rail_with_management(app: FastAPI) -> None:
    await seed_network(app)
    async with operator_app(app, size=DESKTOP) as (fake, _):
        await sign_in(fake)
        assert (
            fake.has_key("nav-rail") and fake.has_key("nav-tariffs") and fake.has_key("nav-staff")
        )
        assert fake.has_text("chargepile console")


async def test_create_tariff_with_bands_and_reject_overlap(app: FastAPI) -> None:
    await seed_network(app)
    async with operator_app(app, size=DESKTOP) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "tariffs")
        await fake.click("tariff-add")
        await fake.enter_text("tariff-form-name", "Peak/valley")
        await fake.enter_text("tariff-form-energy_price", "1.00")
        await fake.enter_text("tariff-form-bands", "08:00-12:00 1.60 peak\n11:00-13:00 0.8")
        await fake.click("tariff-form-save")
        assert fake.has_text("band 1 overlaps band 0")  # the dialog stays with the problem
        await fake.enter_text("tariff-form-bands", "08:00-12:00 1.60 peak\n22:00-06:00 0.40 valley")
        await fake.click("tariff-form-save")
        await fake.wait_for_text("Tariff Peak/valley created")
        assert fake.has_text("22:00–06:00 valley ¥0.40/kWh")


async def test_cards_issue_bind_and_block(app: FastAPI) -> None:
    await seed_network(app)
    async with operator_app(app, size=DESKTOP) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "cards")
        await fake.click("card-add")
        await fake.enter_text("card-form-uid", "04A1B2C3")
        await fake.enter_text("card-form-label", "Fleet 7")
        await fake.click("card-form-save")
        await fake.wait_for_text("Card 04A1B2C3 issued")
        await fake.click("card-04A1B2C3-block")
        await fake.wait_for_text("Card 04A1B2C3 blocked")
        assert fake.has_text("Blocked")
        await fake.click("card-04A1B2C3-bind")
        await fake.enter_text("card-04A1B2C3-bind-driver_email", "nobody@drivers.test")
        await fake.click("card-04A1B2C3-bind-save")
        await fake.wait_for(lambda: state.cards.outcome is not None)
        outcome = state.cards.outcome
        assert outcome is not None and not outcome.ok  # no such driver: said precisely


async def test_import_chargers_from_pasted_csv_reports_each_line(app: FastAPI) -> None:
    await seed_network(app)
    async with operator_app(app, size=DESKTOP) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "network")
        await fake.wait_for_text("Harbour Plaza")
        await fake.click("import-chargers")
        csv_text = (
            "station,ocpp_id,vendor,model,connectors\n"
            "Harbour Plaza,CP-10,XJ,DC60,1:GBT_DC:60;2:GBT_DC:60\n"
            "Nowhere,CP-11,XJ,DC60,1:GBT_DC:60\n"
            "Harbour Plaza,CP-12,XJ,DC60,1:NOPE:60\n"
        )
        await fake.enter_text("import-chargers-csv", csv_text)
        await fake.click("import-chargers-save")
        await fake.wait_for_text("1 of 3 lines imported")
        assert fake.has_text("unknown station 'Nowhere'")
        assert fake.has_text("Line 4 (CP-12): not imported")
        await fake.wait_for(lambda: fake.has_key("charger-CP-10"))


async def test_sessions_filter_and_export(app: FastAPI) -> None:
    await seed_network(app)
    storage = Storage()
    async with operator_app(app, size=DESKTOP, storage=storage) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "sessions")
        await fake.wait_for_text("1 of 1 sessions")
        await fake.click("sessions-status-active")
        await fake.wait_for_text("No sessions match")
        await fake.click("sessions-status-completed")
        await fake.wait_for_text("1 of 1 sessions")
        await fake.click("sessions-export")
        await fake.wait_for(lambda: bool(storage.saved))
        name, data = storage.saved[0]
        assert name == "chargepile-sessions-completed.csv"
        assert "CARD01" in data.decode("utf-8-sig")


async def test_qr_labels_hold_the_driver_deep_link(app: FastAPI) -> None:
    await seed_network(app)
    storage = Storage()
    async with operator_app(app, size=DESKTOP, storage=storage) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "labels")
        await fake.wait_for(lambda: fake.has_key("labels-CP-1-2-url"))
        assert fake.by_key("labels-CP-1-2-url").value == f"{DRIVER_URL}/c/CP-1/2"
        await fake.click("labels-CP-1-2-png")
        await fake.click("labels-CP-1-pdf")
        await fake.wait_for(lambda: len(storage.saved) == 2)
        (png_name, png), (pdf_name, pdf) = storage.saved
        assert png_name == "label-CP-1-2.png" and pdf_name == "labels-CP-1.pdf"
        assert pdf.startswith(b"%PDF")
        import io

        decoded = await asyncio.to_thread(
            lambda: zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        )
        assert [d.text for d in decoded] == [f"{DRIVER_URL}/c/CP-1/2"]


async def test_station_with_tariff_and_charger_management(app: FastAPI) -> None:
    net = await seed_network(app)
    async with operator_app(app, size=DESKTOP) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "network")
        await fake.wait_for_text("Harbour Plaza")
        await fake.click("station-add")
        for name, value in {
            "name": "River Park",
            "address": "9 Bund Rd",
            "city": "Shanghai",
            "latitude": "31.24",
            "longitude": "121.49",
            "tariff": "No such tariff",
        }.items():
            await fake.enter_text(f"station-form-{name}", value)
        await fake.click("station-form-save")
        assert fake.has_text("No active tariff is named No such tariff")
        await fake.enter_text("station-form-tariff", "Standard")
        await fake.click("station-form-save")
        await fake.wait_for_text("Station River Park saved")
        assert fake.has_text("No chargers at this station")

        # Manage CP-1 from its page: edit, add a connector, retire one.
        await fake.run(lambda: state.go("charger", net.charger_ids["CP-1"]))
        await fake.wait_for(lambda: fake.has_key("charger-admin-CP-1-edit"))
        await fake.click("charger-admin-CP-1-add-connectors")
        await fake.click("charger-admin-CP-1-connectors-save")  # proposes connector 3
        await fake.wait_for_text("1 connector(s) added")
        await fake.wait_for(lambda: fake.has_key("charger-admin-CP-1-retire-connector-3"))
        pending = asyncio.create_task(fake.click("charger-admin-CP-1-retire-connector-2"))
        await fake.wait_for(
            lambda: fake.has_key("charger-admin-CP-1-retire-connector-2-confirm-confirm")
        )
        await fake.click("charger-admin-CP-1-retire-connector-2-confirm-confirm")
        await pending
        await fake.wait_for_text("CP-1/2 retired")
        await fake.click("charger-admin-CP-1-edit")
        await fake.enter_text("charger-admin-CP-1-edit-vendor", "Star Charge")
        await fake.click("charger-admin-CP-1-edit-save")
        await fake.wait_for_text("Charger CP-1 updated")
        detail = state.charger.charger.value
        assert detail is not None and detail.vendor == "Star Charge"
        assert {c.connector_no for c in detail.connectors if c.status == "active"} == {1, 3}
