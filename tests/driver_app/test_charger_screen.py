"""The charger screen a QR code opens: price before start, live status, unknown codes."""

from __future__ import annotations

from fastapi import FastAPI

from tests.driver_app.support import driver_app
from tests.support.builders import build_world


async def test_qr_deep_link_shows_station_price_and_connectors_without_an_account(
    app: FastAPI,
) -> None:
    world = await build_world(app)
    cp = world.charger.ocpp_id
    async with driver_app(app, route=f"/c/{cp}/1") as (fake, state):
        await fake.wait_for_text("A Plaza")
        assert fake.has_text(f"Charger {cp} · 1")
        # The price in force (base, peak or off-peak band, depending on the hour) and the
        # idle fee with its grace period are shown before anything starts.
        assert fake.by_key("price-energy").value.endswith("/kWh")
        assert fake.has_key("price-band")
        assert fake.by_key("price-idle").value == "¥0.50/min"
        # Both connectors with their power and live status; the charger is not connected.
        assert fake.by_key(f"status-{cp}-1").data == "Offline"
        assert fake.by_key(f"status-{cp}-2").data == "Offline"
        assert fake.has_text("GB/T DC · 60 kW")
        # A guest pays by card hold; nothing can start on an offline charger.
        assert fake.has_text("No account needed")
        assert fake.has_key("not-startable")
        assert not fake.has_key("start")
        assert state.route == f"/c/{cp}/1"


async def test_unknown_charger_code_says_so(app: FastAPI) -> None:
    await build_world(app)
    async with driver_app(app, route="/c/NOPE-9/1") as (fake, _):
        await fake.wait_for_text("No charger “NOPE-9 · 1” on this network")
        assert fake.has_key("charger-retry")
