"""End to end in headless Chromium: the real app served on loopback (web mode, no CDN) against
the real backend on loopback, with the OCPP simulator's chargers CP-1 and CP-2 connected to the
backend's central system. The fault comes from a simulated charger (StatusNotification Faulted)
and must appear without any refresh, through the live event stream; the reset gets the
charger's own answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.operator_app.stack import (
    Backend,
    OperatorServer,
    by_id,
    live_stack,
    navigate,
    open_app,
    sign_in,
    type_into,
)
from tests.operator_app.support import ADMIN_EMAIL, PASSWORD
from tests.support.browser import chromium, shown

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Backend, OperatorServer]]:
    with live_stack(chargers=True) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _page(browser: Browser, server: OperatorServer, width: int, height: int) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    page = context.new_page()
    open_app(page, server.url)
    sign_in(page, ADMIN_EMAIL, PASSWORD)
    by_id(page, "dash-refresh").wait_for(timeout=30_000)
    return page


def test_phone_sees_pushed_fault_and_acknowledges_it(
    stack: tuple[Backend, OperatorServer], browser: Browser
) -> None:
    backend, server = stack
    page = _page(browser, server, 390, 844)
    navigate(page, "faults")
    expect(shown(page, "No faults. All chargers are healthy.")).to_be_visible(timeout=20_000)
    backend.sim(lambda fleet: fleet.inject_fault("CP-1", 1, "GroundFailure", "earth leakage"))
    # Pushed over the event stream: no reload, no click.
    expect(shown(page, "GroundFailure")).to_be_visible(timeout=20_000)
    page.locator(
        "[flt-semantics-identifier^='fault-'][flt-semantics-identifier$='-ack']"
    ).first.click()
    type_into(page, "ack-note", "Electrician on the way")
    by_id(page, "ack-confirm").click()
    expect(shown(page, "GroundFailure on CP-1 acknowledged")).to_be_visible(timeout=20_000)
    expect(shown(page, re.compile("Electrician on the way"))).to_be_visible()
    page.context.close()


def test_remote_reset_shows_the_platforms_answer(
    stack: tuple[Backend, OperatorServer], browser: Browser
) -> None:
    _, server = stack
    page = _page(browser, server, 390, 844)
    navigate(page, "network")
    by_id(page, "charger-CP-1").click()
    by_id(page, "remote-reset").click()
    by_id(page, "remote-reset-confirm-confirm").click()
    # The simulated charger's own answer to the OCPP Reset call.
    expect(shown(page, "Reset: the charger answered Accepted")).to_be_visible(timeout=60_000)
    page.context.close()


def test_console_creates_tariff_and_exports_report(
    stack: tuple[Backend, OperatorServer], browser: Browser
) -> None:
    _, server = stack
    page = _page(browser, server, 1440, 900)
    navigate(page, "tariffs")
    by_id(page, "tariff-add").click()
    type_into(page, "tariff-form-name", "Night saver")
    type_into(page, "tariff-form-energy_price", "0.95")
    type_into(page, "tariff-form-bands", "22:00-06:00 0.45 valley")
    by_id(page, "tariff-form-save").click()
    expect(shown(page, "Tariff Night saver created")).to_be_visible(timeout=20_000)
    navigate(page, "reports")
    by_id(page, "report-export").wait_for(timeout=20_000)
    with page.expect_download(timeout=30_000) as info:
        by_id(page, "report-export").click()
    download: Any = info.value
    assert download.suggested_filename.startswith("chargepile-report-day-")
    content = Path(download.path()).read_bytes().decode("utf-8-sig")
    assert content.splitlines()[0].count(",") >= 3
    page.context.close()
