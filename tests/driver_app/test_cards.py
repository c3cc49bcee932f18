"""Account → RFID cards: a driver links the card an operator handed out by the number printed
on it, blocks it when lost (the charger's next Authorize answers Blocked), unblocks it, and
removes it; a card on someone else's account and a mistyped number get clear sentences."""

from __future__ import annotations

from fastapi import FastAPI

from backend.db.base import utcnow
from backend.db.models import RfidCard
from backend.services.charging import authorize
from backend.services.ocpp_chargers import ChargerRef
from simulators.ocpp import Fleet
from tests.driver_app.support import driver_app
from tests.ocpp.conftest import LiveBackend
from tests.support.backend import asgi_client
from tests.support.builders import PASSWORD, World, build_world, context, login


async def _authorize(app: FastAPI, world: World, uid: str) -> str:
    ref = ChargerRef(
        id=world.charger.id,
        ocpp_id=world.charger.ocpp_id,
        operator_id=world.operator_id,
        station_id=world.station.id,
        station_name=world.station.name,
        timezone="Asia/Shanghai",
    )
    return (await authorize(context(app).sessions, ref, id_tag=uid, now=utcnow())).status


async def test_driver_links_blocks_unblocks_and_removes_a_card_in_the_app(app: FastAPI) -> None:
    world = await build_world(app)
    other = await build_world(app, prefix="b")
    async with asgi_client(app) as api:
        admin = await login(api, world.admin_email)
        mine = (await api.post("/api/v1/cards", json={"uid": "04A1B2C3"}, headers=admin)).json()
        await api.post(
            "/api/v1/cards",
            json={"uid": "0AFFEE01", "driver_email": other.driver_email},
            headers=admin,
        )
    cid = mine["id"]
    async with driver_app(app, route="/account/cards") as (fake, state):
        await fake.wait_for(lambda: fake.has_key("account-submit"))
        assert fake.has_text("Sign in to manage your RFID cards.")
        await fake.enter_text("account-email", world.driver_email)
        await fake.enter_text("account-password", PASSWORD)
        await fake.click("account-submit")
        await fake.wait_for(lambda: fake.has_key("card-link"))
        assert fake.has_text("No card is linked to your account.")

        await fake.enter_text("card-number-field", "12")
        await fake.click("card-link")
        assert fake.by_key("cards-error").value.startswith("That is not a card number")
        await fake.enter_text("card-number-field", "0a ff ee 01")  # someone else's card
        await fake.click("card-link")
        await fake.wait_for(lambda: fake.by_key("cards-error").visible)
        assert fake.by_key("cards-error").value.startswith("This card is already linked")
        assert other.driver_email not in fake.by_key("cards-error").value
        await fake.enter_text("card-number-field", "DEADBEEF")
        await fake.click("card-link")
        await fake.wait_for(lambda: "No card with this number" in fake.by_key("cards-error").value)

        await fake.enter_text("card-number-field", "04:a1:b2:c3")
        await fake.enter_text("card-label-field", "Blue card")
        await fake.click("card-link")
        await fake.wait_for(lambda: fake.has_key(f"card-row-{cid}"))
        assert fake.by_key("cards-done").value == "Card 04A1B2C3 is linked to your account."
        assert fake.has_text("Blue card")
        assert fake.by_key(f"card-status-{cid}").value == "04A1B2C3 · Operator a · active"
        assert await _authorize(app, world, "04A1B2C3") == "Accepted"

        # Lost: block, after a confirmation (cancel first: nothing happens).
        await fake.click(f"card-block-{cid}")
        await fake.click(f"card-block-{cid}-cancel")
        assert await _authorize(app, world, "04A1B2C3") == "Accepted"
        await fake.click(f"card-block-{cid}")
        assert fake.has_text("Block Blue card?")
        await fake.click(f"card-block-{cid}-confirm")
        await fake.wait_for(lambda: fake.has_key(f"card-unblock-{cid}"))
        assert fake.by_key(f"card-status-{cid}").value.endswith("blocked")
        assert await _authorize(app, world, "04A1B2C3") == "Blocked"

        await fake.click(f"card-unblock-{cid}")
        await fake.click(f"card-unblock-{cid}-confirm")
        await fake.wait_for(lambda: fake.has_key(f"card-block-{cid}"))
        assert await _authorize(app, world, "04A1B2C3") == "Accepted"

        # The operator blocks it: the driver cannot lift that block.
        async with asgi_client(app) as api:
            await api.post(
                f"/api/v1/cards/{cid}/block", headers=await login(api, world.admin_email)
            )
        await state.account.load()
        await fake.settle()
        await fake.click(f"card-unblock-{cid}")
        await fake.click(f"card-unblock-{cid}-confirm")
        await fake.wait_for(lambda: fake.by_key("cards-error").visible)
        assert "only they can unblock it" in fake.by_key("cards-error").value
        assert await _authorize(app, world, "04A1B2C3") == "Blocked"

        await fake.click(f"card-remove-{cid}")
        await fake.click(f"card-remove-{cid}-confirm")
        await fake.wait_for(lambda: not fake.has_key(f"card-row-{cid}"))
        assert fake.by_key("cards-done").value == "Card 04A1B2C3 was removed from your account."
        assert fake.has_text("No card is linked to your account.")

        # Chinese.
        await fake.click("lang-switch")
        assert fake.has_text("绑定新卡")
        await fake.click("cards-back")
        assert state.route == "/account"


async def test_account_lists_linked_cards_and_opens_the_cards_screen(app: FastAPI) -> None:
    world = await build_world(app)
    async with asgi_client(app) as api:
        await api.post(
            "/api/v1/cards",
            json={"uid": "A1A1A1A1", "label": "Fleet", "driver_email": world.driver_email},
            headers=await login(api, world.admin_email),
        )
    async with driver_app(app, route="/account") as (fake, state):
        await fake.wait_for(lambda: fake.has_key("account-submit"))
        await fake.enter_text("account-email", world.driver_email)
        await fake.enter_text("account-password", PASSWORD)
        await fake.click("account-submit")
        await fake.wait_for(lambda: fake.has_key("card-A1A1A1A1"))
        await fake.click("cards-manage")
        assert state.route == "/account/cards"
        await fake.wait_for(lambda: fake.has_text("Fleet"))
        await fake.click("back")
        assert state.route == "/account"


async def test_a_card_blocked_in_the_app_is_refused_at_the_charger(
    live: LiveBackend, fleet: Fleet
) -> None:
    """End to end with a simulated charger: the card the driver blocks in the app is refused by
    the charger's very next Authorize; unblocked, the same card starts and stops a session."""
    async with live.http() as api:
        r = await api.post(
            "/api/v1/drivers",
            json={"email": "kai@drivers.test", "full_name": "Kai", "password": "kai-pass-123"},
        )
        assert r.status_code == 201, r.text
    async with live.ctx.sessions() as s:
        s.add(RfidCard(operator_id=live.network.operator_id, uid="04A1B2C3"))
        await s.commit()
    async with driver_app(url=live.base_url, route="/account/cards") as (fake, state):
        await fake.wait_for(lambda: fake.has_key("account-submit"))
        await fake.enter_text("account-email", "kai@drivers.test")
        await fake.enter_text("account-password", "kai-pass-123")
        await fake.click("account-submit")
        await fake.wait_for(lambda: fake.has_key("card-link"))
        await fake.enter_text("card-number-field", "04A1B2C3")
        await fake.click("card-link")
        await fake.wait_for(lambda: state.account.cards.value not in (None, []))
        cards = state.account.cards.value
        assert cards is not None
        cid = cards[0].id
        await fake.click(f"card-block-{cid}")
        await fake.click(f"card-block-{cid}-confirm")
        await fake.wait_for(lambda: fake.has_key(f"card-unblock-{cid}"))
        assert await fleet.swipe_rfid("CP-1", 1, "04A1B2C3") == "Blocked"

        await fake.click(f"card-unblock-{cid}")
        await fake.click(f"card-unblock-{cid}-confirm")
        await fake.wait_for(lambda: fake.has_key(f"card-block-{cid}"))
        assert await fleet.swipe_rfid("CP-1", 1, "04A1B2C3") == "started"
        assert await fleet.swipe_rfid("CP-1", 1, "04A1B2C3") == "stopped"
