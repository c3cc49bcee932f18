"""Find (list, map, filters, location refused → city, station page) and the account screens
(wrong password, remembered sign-in, wallet top-up declined, cards, history receipts)."""

from __future__ import annotations

from fastapi import FastAPI

from apps.user_mobile.main import CATALOGS
from backend.db.models import SessionStatus
from shared import I18n
from tests.driver_app.support import Storage, choose, driver_app
from tests.support.builders import PASSWORD, add_session, build_world


def test_every_text_exists_in_english_and_chinese() -> None:
    I18n.default().extended(CATALOGS).check()


async def test_find_lists_nearby_stations_filters_and_opens_a_station(app: FastAPI) -> None:
    world = await build_world(app)
    await build_world(app, prefix="far", lat=39.90, lon=116.40)  # Beijing: not near Shanghai
    denied = {"Geolocator.request_permission": "denied"}
    async with driver_app(app, route="/", extra_results=denied) as (fake, state):
        await fake.wait_for(lambda: fake.has_key(f"station-{world.station.id}"))
        assert fake.has_text("Stations around Shanghai")
        assert not fake.has_text("FAR Plaza")
        # Location refused: the chosen city stays.
        await fake.click("find-locate")
        assert fake.has_text("Stations around Shanghai")
        # Only a CCS2 connector: none here.
        await choose(fake, "find-plug", "CCS2")
        await fake.wait_for_text("No station matches")
        await choose(fake, "find-plug", "any")
        await fake.wait_for(lambda: fake.has_key(f"station-{world.station.id}"))
        await fake.click("find-map-toggle")
        assert fake.has_key("find-map")
        assert fake.has_key(f"marker-{world.station.id}")
        await fake.click(f"marker-{world.station.id}")
        await fake.wait_for(lambda: fake.has_key("station-price"))
        assert state.route == f"/station/{world.station.id}"
        cp = world.charger.ocpp_id
        assert fake.by_key(f"status-{cp}-1").data == "Offline"
        await fake.click(f"open-{cp}-2")
        await fake.wait_for_text(f"Charger {cp} · 2")


async def test_sign_in_wrong_password_then_remembered_with_cards_and_history(
    app: FastAPI,
) -> None:
    world = await build_world(app)
    session_id = await add_session(
        app, world, driver_id=world.driver.id, status=SessionStatus.COMPLETED
    )
    storage = Storage()
    async with driver_app(app, route="/account", storage=storage) as (fake, _):
        await fake.wait_for(lambda: fake.has_key("account-submit"))
        await fake.enter_text("account-email", world.driver_email)
        await fake.enter_text("account-password", "not-the-password")
        await fake.click("account-submit")
        assert fake.by_key("account-error").value == "Wrong e-mail or password."
        await fake.enter_text("account-password", PASSWORD)
        await fake.click("account-submit")
        await fake.wait_for(lambda: fake.has_key("wallet-balance"))
    async with driver_app(app, route="/account", storage=storage) as (fake, _):
        await fake.wait_for(lambda: fake.has_key("wallet-balance"))
        assert fake.by_key("wallet-balance").value == "¥0.00"
        assert fake.has_text("No card is linked to your account.")
        # A declined card credits nothing.
        await fake.enter_text("topup-amount", "50")
        await fake.enter_text("topup-card", "4000 0000 0000 0002")
        await fake.click("topup")
        await fake.wait_for(lambda: fake.by_key("topup-error").visible)
        assert "declined" in fake.by_key("topup-error").value
        assert fake.by_key("wallet-balance").value == "¥0.00"
        assert fake.has_key(f"history-{session_id}")
        await fake.click("sign-out")
        await fake.wait_for(lambda: fake.has_key("account-submit"))
        assert storage.refresh_token is None
