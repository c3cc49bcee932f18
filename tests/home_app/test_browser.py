"""End to end in headless Chromium, in ``make demo`` mode: the home charger simulator in its own
process (Bumble TCP HCI) and the home app served on loopback (web mode, no CDN). A person types
the label's code, pairs, taps to start charging and taps to stop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.home_app.stack import CHROME_ARGS, HomeDemo, by_id, home_demo, open_app, type_into

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def demo() -> Iterator[HomeDemo]:
    with home_demo() as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROME_ARGS)
        yield b
        b.close()


def shown(page: Page, text: str) -> Any:
    """Text on screen: Flutter exposes it as text or folded into a group's accessible name."""
    pattern = re.compile(re.escape(text))
    return page.get_by_text(pattern).or_(page.get_by_label(pattern)).first


def test_enroll_by_typing_the_code_then_tap_to_charge(demo: HomeDemo, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    open_app(page, demo.url)
    expect(shown(page, "Pairing window open")).to_be_visible(timeout=30_000)
    type_into(page, "enroll-code", demo.typed_code)
    by_id(page, "enroll-submit").click()
    toggle = by_id(page, "charge-toggle")
    expect(toggle).to_be_visible(timeout=30_000)
    expect(shown(page, "Vehicle plugged in").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Start charging")).to_be_enabled(timeout=30_000)
    toggle.click()
    expect(shown(page, "Charging started")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Stop charging")).to_be_visible()
    expect(shown(page, "3.7 kW")).to_be_visible()
    toggle.click()
    expect(shown(page, "Charging stopped")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Start charging")).to_be_visible()

    # the pairing lives in this browser's secure storage: a reload goes straight to charging
    open_app(page, demo.url)
    expect(by_id(page, "charge-toggle")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Start charging")).to_be_enabled(timeout=30_000)
    context.close()
