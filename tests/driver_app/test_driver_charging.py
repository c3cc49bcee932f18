"""A driver signs up, tops up the wallet, starts from the app with the wallet, watches meter
values pushed over the event stream, restarts the app mid-session, stops, and sees the receipt
and the wallet debit — real backend, central system and simulated charger."""

from __future__ import annotations

from apps.user_mobile.state.session import Phase
from simulators.ocpp import Fleet
from tests.driver_app.support import Storage, driver_app
from tests.ocpp.conftest import LiveBackend

TEST_CARD = "4242 4242 4242 4242"


async def test_wallet_session_survives_restart_and_ends_with_receipt_and_debit(
    live: LiveBackend, fleet: Fleet
) -> None:
    storage = Storage()
    async with driver_app(
        url=live.base_url, route="/account", storage=storage, live_events=True
    ) as (fake, state):
        await fake.wait_for(lambda: fake.has_key("account-submit"))
        await fake.click("account-switch")
        await fake.enter_text("account-email", "dora@drivers.test")
        await fake.enter_text("account-name", "Dora Driver")
        await fake.enter_text("account-password", "correct-horse-1")
        await fake.click("account-submit")
        await fake.wait_for_text("Dora Driver")
        assert storage.refresh_token  # remembered on the device
        await fake.enter_text("topup-amount", "200")
        await fake.enter_text("topup-card", TEST_CARD)
        await fake.click("topup")
        await fake.wait_for(lambda: fake.has_key("wallet-balance"))
        assert fake.by_key("wallet-balance").value == "¥200.00"

        await state.go("/c/CP-1/1")
        await fake.wait_for(lambda: fake.has_key("start") or fake.has_key("not-startable"))
        for _ in range(50):
            if fake.has_key("start"):
                break
            await state.charger.reload()
            await fake.settle()
        assert fake.has_key("pay-wallet")  # signed in: wallet or card
        await fake.click("start")
        await fake.click("start-confirm")
        await fake.wait_for(lambda: state.flow.phase == Phase.CHARGING, timeout=15)
        first = state.flow.live
        assert first is not None
        await fake.wait_for(
            lambda: state.flow.live is not None and state.flow.live.energy_kwh > first.energy_kwh,
            timeout=15,
        )

    # The app is closed mid-session and opened again: it finds the session by itself.
    async with driver_app(url=live.base_url, route="/", storage=storage, live_events=True) as (
        fake,
        state,
    ):
        await fake.wait_for(
            lambda: state.route == "/session" and state.flow.phase == Phase.CHARGING, timeout=15
        )
        await fake.wait_for(lambda: fake.has_key("stop"))
        await fake.click("stop")
        await fake.click("stop-confirm")
        await fake.wait_for(lambda: state.flow.receipt is not None, timeout=20)
        receipt = state.flow.receipt
        assert receipt is not None and receipt.pay_with == "wallet"
        assert fake.has_text("Charged (Wallet)")
        await fake.click("done")
        await state.go("/account")
        await fake.wait_for(lambda: fake.has_key("wallet-balance"))
        left = 20_000 - receipt.total_minor
        assert fake.by_key("wallet-balance").value == f"¥{left // 100}.{left % 100:02d}"
        await fake.click(f"history-{receipt.session_id}")
        await fake.wait_for(lambda: fake.has_key("receipt-total"))
        assert fake.by_key("receipt-number").value == receipt.receipt_number
