"""End to end in headless Chromium: the driver app served on loopback (web mode, no CDN)
against the real backend with its OCPP central system and a simulated charger fleet.

Each test also saves the screenshots of the screens it passes through under
``docs/screenshots/driver_*.png`` (phone width).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from backend.db.models import RfidCard
from shared import qr_png
from simulators.ocpp import Fleet
from tests.driver_app.stack import (
    PHONE,
    DriverServer,
    Stack,
    by_id,
    live_stack,
    open_app,
    qr_y4m,
    shot,
    type_into,
)
from tests.ocpp.conftest import LiveBackend
from tests.support.browser import launch_chromium, shown

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

TEST_CARD = "4242424242424242"
ENERGY_ABOVE_ZERO = re.compile(r"^(0\.0*[1-9][0-9]*|[1-9][0-9]*\.[0-9]+) kWh$")


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Stack, DriverServer]]:
    with live_stack() as running:
        yield running


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = launch_chromium(playwright)
    yield b
    b.close()


def phone(browser: Browser, server: DriverServer, route: str) -> Page:
    page = browser.new_context(viewport=PHONE).new_page()
    open_app(page, server.url + route)
    return page


def wait_startable(page: Page, stack: Stack, ocpp_id: str, connector: int) -> None:
    """The simulator reports the connector Available a moment after a previous session."""
    for _ in range(30):
        status = stack.call(lambda live, _f: _quote_status(live, ocpp_id, connector))
        if status:
            break
        page.wait_for_timeout(500)
    page.reload()
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
    by_id(page, "start").wait_for(timeout=30_000)


async def _quote_status(live: LiveBackend, ocpp_id: str, connector: int) -> bool:
    async with live.http() as api:
        r = await api.get(
            "/api/v1/charge/quote", params={"ocpp_id": ocpp_id, "connector_no": connector}
        )
        return r.status_code == 200 and bool(r.json()["startable"])


def start_with_card(page: Page) -> None:
    type_into(page, "card-number", TEST_CARD)
    by_id(page, "start").click()
    by_id(page, "start-confirm").click()


def stop_and_wait_receipt(page: Page) -> None:
    by_id(page, "stop").wait_for(timeout=30_000)
    by_id(page, "stop").click()
    by_id(page, "stop-confirm").click()
    shown(page, "Charging complete").wait_for(timeout=60_000)
    shown(page, "Receipt").wait_for(timeout=60_000)


def test_guest_opens_qr_link_and_charges_with_card_hold_to_receipt(
    stack: tuple[Stack, DriverServer], browser: Browser
) -> None:
    live, server = stack
    page = phone(browser, server, "/c/CP-1/1")
    shown(page, "Test Plaza").wait_for(timeout=30_000)
    wait_startable(page, live, "CP-1", 1)
    shown(page, "¥1.20/kWh").wait_for()
    shot(page, "charger")
    start_with_card(page)
    by_id(page, "stop").wait_for(timeout=60_000)
    shown(page, ENERGY_ABOVE_ZERO).wait_for(timeout=60_000)
    assert page.url.endswith("/session")
    shot(page, "charging")
    stop_and_wait_receipt(page)
    by_id(page, "receipt-pdf").wait_for()
    shot(page, "receipt")


async def _driver_with_wallet(live: LiveBackend, email: str, password: str) -> None:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as api:
        r = await api.post(
            "/api/v1/drivers",
            json={"email": email, "full_name": "Wen Driver", "password": password},
        )
        assert r.status_code == 201, r.text
        r = await api.post(
            "/api/v1/auth/login", json={"email": email, "password": password, "kind": "driver"}
        )
        token = r.json()["access_token"]
        r = await api.post(
            "/api/v1/wallet/topups",
            json={"amount_minor": 20_000, "currency": "CNY", "payment_method_token": "pm_card_ok"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"seed-{email}"},
        )
        assert r.status_code == 201, r.text


async def _last_total(live: LiveBackend, email: str, password: str) -> int:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as api:
        r = await api.post(
            "/api/v1/auth/login", json={"email": email, "password": password, "kind": "driver"}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        sessions = (await api.get("/api/v1/sessions", headers=headers)).json()["items"]
        r = await api.get(f"/api/v1/sessions/{sessions[0]['id']}/receipt", headers=headers)
        return int(r.json()["total_minor"])


def test_driver_signs_in_starts_with_wallet_watches_stops_and_sees_the_debit(
    stack: tuple[Stack, DriverServer], browser: Browser
) -> None:
    live, server = stack
    email, password = "wen@drivers.test", "correct-horse-1"
    live.call(lambda lv, _f: _driver_with_wallet(lv, email, password))
    page = phone(browser, server, "/account")
    by_id(page, "account-submit").wait_for(timeout=30_000)
    shot(page, "signin")
    type_into(page, "account-email", email)
    type_into(page, "account-password", password)
    by_id(page, "account-submit").click()
    shown(page, "¥200.00").wait_for(timeout=30_000)
    shot(page, "account")
    # The QR link again, now signed in (remembered on this device): pay from the wallet.
    open_app(page, server.url + "/c/CP-2/2")
    shown(page, "Test Plaza").wait_for(timeout=30_000)
    wait_startable(page, live, "CP-2", 2)
    by_id(page, "pay-wallet").wait_for()
    by_id(page, "start").click()
    by_id(page, "start-confirm").click()
    by_id(page, "stop").wait_for(timeout=60_000)
    first = shown(page, ENERGY_ABOVE_ZERO)
    first.wait_for(timeout=60_000)
    before = first.inner_text()
    # Meter values keep arriving (pushed over the event stream): the figure moves on.
    for _ in range(40):
        page.wait_for_timeout(500)
        if shown(page, ENERGY_ABOVE_ZERO).inner_text() != before:
            break
    else:
        raise AssertionError(f"energy stayed at {before}")
    stop_and_wait_receipt(page)
    shown(page, "Charged (Wallet)").wait_for()
    total = live.call(lambda lv, _f: _last_total(lv, email, password))
    assert total > 0
    # "Download PDF" opens a short-lived link in a new tab: no sign-in header needed.
    opened: list[str] = []
    page.context.on("request", lambda request: opened.append(request.url))
    by_id(page, "receipt-pdf").click()
    for _ in range(60):
        links = [u for u in opened if "/receipt/download?t=" in u]
        if links:
            break
        page.wait_for_timeout(250)
    else:
        raise AssertionError(f"no receipt link was opened: {opened}")
    pdf = httpx.get(links[0], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    by_id(page, "done").click()
    page.get_by_role("tab", name="Account").click()
    left = 20_000 - total
    shown(page, f"¥{left // 100}.{left % 100:02d}").wait_for(timeout=30_000)


async def _fault(fleet: Fleet, ocpp_id: str, connector: int) -> None:
    await fleet.inject_fault(ocpp_id, connector, "GroundFailure")


async def _clear(fleet: Fleet, ocpp_id: str, connector: int) -> None:
    await fleet.clear_fault(ocpp_id, connector)


def test_start_on_a_charger_that_faulted_meanwhile_shows_the_refusal(
    stack: tuple[Stack, DriverServer], browser: Browser
) -> None:
    live, server = stack
    page = phone(browser, server, "/c/CP-1/2")
    shown(page, "Test Plaza").wait_for(timeout=30_000)
    wait_startable(page, live, "CP-1", 2)
    type_into(page, "card-number", TEST_CARD)
    live.call(lambda _lv, fleet: _fault(fleet, "CP-1", 2))
    try:
        by_id(page, "start").click()
        by_id(page, "start-confirm").click()
        shown(page, "This connector is faulted").wait_for(timeout=60_000)
        shown(page, "Nothing was charged.").wait_for()
        shot(page, "refused")
    finally:
        live.call(lambda _lv, fleet: _clear(fleet, "CP-1", 2))


def test_scan_a_qr_code_with_the_camera(
    stack: tuple[Stack, DriverServer], playwright: Playwright, tmp_path: Path
) -> None:
    _, server = stack
    video = qr_y4m(qr_png(f"{server.url}/c/CP-2/1", box_size=12), tmp_path / "qr.y4m")
    args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"]  # fmt: skip
    camera_browser = launch_chromium(playwright, args)
    try:
        page = phone(camera_browser, server, "/scan")
        by_id(page, "scan-camera").wait_for(timeout=30_000)
        shot(page, "scan")
        by_id(page, "scan-camera").click()
        by_id(page, "scan-shoot").wait_for(timeout=30_000)
        page.wait_for_timeout(2000)  # the camera starts streaming
        by_id(page, "scan-shoot").click()
        shown(page, "Test Plaza").wait_for(timeout=30_000)
        assert page.url.endswith("/c/CP-2/1")
    finally:
        camera_browser.close()


def test_find_list_map_and_chinese(stack: tuple[Stack, DriverServer], browser: Browser) -> None:
    _, server = stack
    page = phone(browser, server, "/")
    shown(page, "Test Plaza").wait_for(timeout=30_000)
    shot(page, "find")
    by_id(page, "find-map-toggle").click()
    by_id(page, "marker-1").wait_for(timeout=30_000)
    shot(page, "map")
    open_app(page, server.url + "/c/CP-2/1")
    shown(page, "Test Plaza").wait_for(timeout=30_000)
    by_id(page, "lang-switch").click()
    shown(page, "开始充电").or_(shown(page, "该充电枪当前无法启动")).wait_for(timeout=30_000)
    shot(page, "charger_zh")


async def _issue_card(live: LiveBackend, uid: str) -> None:
    """The operator hands out a card (not linked to anyone yet)."""
    async with live.ctx.sessions() as s:
        s.add(RfidCard(operator_id=live.network.operator_id, uid=uid))
        await s.commit()


def test_driver_links_and_blocks_an_rfid_card(
    stack: tuple[Stack, DriverServer], browser: Browser
) -> None:
    live, server = stack
    email, password = "lin@drivers.test", "correct-horse-2"
    live.call(lambda lv, _f: _driver_with_wallet(lv, email, password))
    live.call(lambda lv, _f: _issue_card(lv, "04A1B2C3"))
    page = phone(browser, server, "/account/cards")
    by_id(page, "account-submit").wait_for(timeout=30_000)
    type_into(page, "account-email", email)
    type_into(page, "account-password", password)
    by_id(page, "account-submit").click()
    by_id(page, "card-link").wait_for(timeout=30_000)
    type_into(page, "card-number-field", "04 a1 b2 c3")
    type_into(page, "card-label-field", "Blue card")
    by_id(page, "card-link").click()
    shown(page, "04A1B2C3 · Demo Op · active").wait_for(timeout=30_000)
    page.locator("[flt-semantics-identifier^='card-block-']").first.click()
    shown(page, "Block Blue card?").wait_for(timeout=30_000)
    page.locator("[flt-semantics-identifier$='-confirm']").first.click()
    shown(page, "04A1B2C3 · Demo Op · blocked").wait_for(timeout=30_000)
    page.locator("[flt-semantics-identifier^='card-unblock-']").first.wait_for()
    shot(page, "cards")


def test_chinese_browser_opens_the_qr_page_in_chinese(
    stack: tuple[Stack, DriverServer], browser: Browser
) -> None:
    _, server = stack
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        open_app(page, server.url + "/c/CP-2/1")
        shown(page, "支付方式").wait_for(timeout=30_000)  # no click: the browser's language
        shot(page, "charger_zh_browser")
        # An explicit ?lang= in the link wins over the browser.
        open_app(page, server.url + "/c/CP-2/1?lang=en")
        shown(page, "How to pay").wait_for(timeout=30_000)
    finally:
        context.close()
