"""End to end in headless Chromium, in ``make demo`` mode: the home charger simulator in its own
process (Bumble TCP HCI) and the home app served on loopback (web mode, no CDN). A person types
the label's code, pairs, taps to start charging and taps to stop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.home_app.stack import (
    HomeDemo,
    by_id,
    home_demo,
    open_app,
    shown,
    type_into,
)
from tests.support.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def demo() -> Iterator[HomeDemo]:
    with home_demo() as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def tap(page: Page, ident: str) -> None:
    """Click a control by semantics id at its position.

    ``force``: Flutter web puts the Slider's value-indicator overlay into the semantics tree
    as an empty full-screen node, which fails Playwright's "receives events" check although
    the click reaches the button (Flutter routes the pointer event by position).
    """
    by_id(page, ident).click(force=True)


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
    tap(page, "charge-toggle")
    expect(shown(page, "Charging started")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Stop charging")).to_be_visible()
    expect(shown(page, "3.7 kW")).to_be_visible()
    expect(page.get_by_role("button", name="Stop charging")).to_be_enabled()
    tap(page, "charge-toggle")
    expect(shown(page, "Charging stopped")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Start charging")).to_be_visible()

    # the pairing lives in this browser's secure storage: a reload goes straight to charging
    open_app(page, demo.url)
    expect(by_id(page, "charge-toggle")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Start charging")).to_be_enabled(timeout=30_000)
    context.close()
