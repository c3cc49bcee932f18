"""A guest opens a charger's QR link, pays by card hold, watches, stops and gets the receipt —
against the real backend, central system and a simulated charger."""

from __future__ import annotations

from apps.user_mobile.state.session import Phase
from simulators.ocpp import Fleet
from tests.driver_app.support import FlakyNetwork, Storage, driver_app
from tests.ocpp.conftest import LiveBackend

TEST_CARD = "4242 4242 4242 4242"


async def _wait_startable(fake, state) -> None:  # type: ignore[no-untyped-def]
    async def ready() -> bool:
        await state.charger.reload()
        return bool(fake.has_key("start"))

    for _ in range(100):
        if await ready():
            return
        await fake.settle()
    raise AssertionError("charger never became startable")


async def test_guest_card_hold_from_qr_link_to_receipt(live: LiveBackend, fleet: Fleet) -> None:
    storage = Storage()
    async with driver_app(url=live.base_url, route="/c/CP-1/1", storage=storage) as (fake, state):
        await fake.wait_for_text("Test Plaza")
        await _wait_startable(fake, state)
        assert fake.by_key("price-energy").value == "¥1.20/kWh"
        await fake.enter_text("card-number", TEST_CARD)
        await fake.click("start")
        # The price is confirmed before anything is held.
        assert fake.has_text("Energy costs ¥1.20/kWh.")
        await fake.click("start-confirm")
        await fake.wait_for(lambda: state.flow.phase == Phase.CHARGING, timeout=15)
        assert state.route == "/session"
        assert storage.guest_token  # found again after a restart (see the next test)
        await fake.wait_for(
            lambda: state.flow.live is not None and state.flow.live.energy_kwh > 0, timeout=15
        )
        assert fake.by_key("gauge-cost").value.startswith("¥")
        await fake.click("stop")
        await fake.click("stop-confirm")
        await fake.wait_for(lambda: state.flow.receipt is not None, timeout=20)
        receipt = state.flow.receipt
        assert receipt is not None and receipt.total_minor > 0
        assert fake.has_text("Charging complete")
        assert fake.by_key("receipt-total").value == f"¥{receipt.total_minor / 100:.2f}"
        assert fake.has_key("receipt-pdf")
        await fake.click("done")
        assert storage.guest_token is None


async def test_refused_start_on_a_faulted_connector_says_why(
    live: LiveBackend, fleet: Fleet
) -> None:
    async with driver_app(url=live.base_url, route="/c/CP-2/1") as (fake, state):
        await fake.wait_for_text("Test Plaza")
        await _wait_startable(fake, state)
        await fake.enter_text("card-number", TEST_CARD)
        await fleet.inject_fault("CP-2", 1, "GroundFailure")
        await fake.click("start")
        await fake.click("start-confirm")
        await fake.wait_for(lambda: state.flow.phase == Phase.REFUSED, timeout=15)
        assert fake.by_key("start-error").value.startswith("This connector is faulted")
        assert fake.has_text("Nothing was charged.")
        assert fake.by_key("step-sent").data == "done"
        assert fake.by_key("step-accepted").data == "refused"


async def test_guest_reopens_the_qr_page_mid_session_and_rides_out_a_network_loss(
    live: LiveBackend, fleet: Fleet
) -> None:
    storage = Storage()
    async with driver_app(url=live.base_url, route="/c/CP-1/2", storage=storage) as (fake, state):
        await fake.wait_for_text("Test Plaza")
        await _wait_startable(fake, state)
        await fake.enter_text("card-number", TEST_CARD)
        await fake.click("start")
        await fake.click("start-confirm")
        await fake.wait_for(lambda: state.flow.phase == Phase.CHARGING, timeout=15)
    # The phone reloads the QR page: the session is found again from this device's memory.
    network = FlakyNetwork()
    async with driver_app(
        url=live.base_url, route="/c/CP-1/2", storage=storage, transport=network
    ) as (fake, state):
        await fake.wait_for(lambda: state.route == "/session", timeout=15)
        await fake.wait_for(lambda: state.flow.phase == Phase.CHARGING, timeout=15)
        assert fake.has_text("Test Plaza")
        network.down = True
        await fake.wait_for(
            lambda: (
                fake.has_key("conn-banner") and fake.by_key("conn-banner").data == "reconnecting"
            ),
            timeout=10,
        )
        assert fake.has_text("Reconnecting")
        before = state.flow.live
        network.down = False
        await fake.wait_for(
            lambda: (
                state.flow.live is not before and fake.by_key("conn-banner").data != "reconnecting"
            ),
            timeout=15,
        )
        await fake.click("stop")
        await fake.click("stop-confirm")
        await fake.wait_for(lambda: state.flow.receipt is not None, timeout=20)


async def test_unplugging_at_the_charger_ends_the_session_with_a_receipt(
    live: LiveBackend, fleet: Fleet
) -> None:
    async with driver_app(url=live.base_url, route="/c/CP-2/2") as (fake, state):
        await fake.wait_for_text("Test Plaza")
        await _wait_startable(fake, state)
        await fake.enter_text("card-number", TEST_CARD)
        await fake.click("start")
        await fake.click("start-confirm")
        await fake.wait_for(lambda: state.flow.phase == Phase.CHARGING, timeout=15)
        await fleet.unplug("CP-2", 2)
        await fake.wait_for(lambda: state.flow.receipt is not None, timeout=20)
        assert fake.has_text("Charging complete")
        assert fake.has_key("receipt-total")


async def test_occupied_and_offline_connectors_cannot_be_started(
    live: LiveBackend, fleet: Fleet
) -> None:
    async with driver_app(url=live.base_url, route="/c/CP-1/1") as (fake, state):
        await fake.wait_for_text("Test Plaza")
        await _wait_startable(fake, state)
        await fake.enter_text("card-number", TEST_CARD)
        await fake.click("start")
        await fake.click("start-confirm")
        await fake.wait_for(lambda: state.flow.phase == Phase.CHARGING, timeout=15)
    # Another phone scans the same connector while the first car charges.
    async with driver_app(url=live.base_url, route="/c/CP-1/1") as (fake, _):
        await fake.wait_for(lambda: fake.has_key("not-startable"), timeout=15)
        assert fake.by_key("not-startable").value == (
            "This connector cannot be started now: Charging."
        )
        assert fake.by_key("status-CP-1-1").data == "Charging"
        assert not fake.has_key("start")
    await fleet.go_offline("CP-2")
    async with driver_app(url=live.base_url, route="/c/CP-2/1") as (fake, state):
        for _ in range(50):
            await state.charger.reload()
            await fake.settle()
            if fake.has_key("status-CP-2-1") and fake.by_key("status-CP-2-1").data == "Offline":
                break
        assert fake.by_key("status-CP-2-1").data == "Offline"
        assert fake.by_key("not-startable").value == (
            "This connector cannot be started now: Offline."
        )
