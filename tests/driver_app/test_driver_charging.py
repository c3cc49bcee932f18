"""A driver signs up, tops up the wallet, starts from the app with the wallet, watches meter
values pushed over the event stream, restarts the app mid-session, stops, and sees the receipt
and the wallet debit — real backend, central system and simulated charger."""

from __future__ import annotations

import re
import zlib

import httpx
import pytest

from apps.user_mobile.state.session import Phase
from backend.payments import receipts
from backend.payments.money import format_minor
from simulators.ocpp import Fleet
from tests.driver_app.support import Storage, driver_app
from tests.ocpp.conftest import LiveBackend

TEST_CARD = "4242 4242 4242 4242"


def pdf_text(pdf: bytes) -> str:
    """The text drawn in ``pdf``'s (compressed) content streams, built-in fonts only."""
    out = []
    # Each stream is exactly /Length bytes: compressed data may itself end in a newline, so
    # cutting at "endstream" would sometimes lose its last byte.
    for m in re.finditer(rb"<<([^<>]*)>>\s*stream\r?\n", pdf):
        length = re.search(rb"/Length (\d+)", m.group(1))
        if length is None:
            continue
        stream = pdf[m.end() : m.end() + int(length.group(1))]
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "\n".join(out)


async def test_wallet_session_survives_restart_and_ends_with_receipt_and_debit(
    live: LiveBackend, fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Built-in PDF fonts keep the receipt's text readable in the file (the CJK font embeds
    # glyph ids instead), so the test can find the figures in it.
    monkeypatch.setattr(receipts, "_FONT_CANDIDATES", ())
    monkeypatch.delenv("CHARGEPILE_CJK_FONT", raising=False)
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

        # "Download PDF": a short-lived link opened in the browser, no sign-in header needed.
        await fake.click("receipt-pdf")
        await fake.wait_for(lambda: any(c[1] == "launch_url" for c in fake.method_calls))
        url = next(c[2]["url"] for c in fake.method_calls if c[1] == "launch_url")
        assert url.startswith(f"{live.base_url}/api/v1/sessions/{receipt.session_id}/receipt/")
        assert storage.refresh_token is not None and storage.refresh_token not in url
        async with httpx.AsyncClient() as browser:
            r = await browser.get(url)
            assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
            assert r.content.startswith(b"%PDF")
            text = pdf_text(r.content)
            assert receipt.receipt_number in text
            assert format_minor(receipt.total_minor, receipt.currency) in text
            # The link opens only this session: not another one, not a forged one.
            other = url.replace(f"/sessions/{receipt.session_id}/", "/sessions/999999/")
            assert (await browser.get(other)).status_code == 404
            assert (await browser.get(url[:-3] + "abc")).status_code == 404
            # Another driver gets no link to it.
            await browser.post(
                f"{live.base_url}/api/v1/drivers",
                json={"email": "eve@drivers.test", "full_name": "Eve", "password": "eve-pass-123"},
            )
            login = await browser.post(
                f"{live.base_url}/api/v1/auth/login",
                json={"email": "eve@drivers.test", "password": "eve-pass-123", "kind": "driver"},
            )
            eve = {"Authorization": f"Bearer {login.json()['access_token']}"}
            r = await browser.post(
                f"{live.base_url}/api/v1/sessions/{receipt.session_id}/receipt/link", headers=eve
            )
            assert r.status_code == 404
