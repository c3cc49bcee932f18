"""Driving a Flet web app in headless Debian Chromium: the launch flags and the few page
helpers every app's browser tests, screenshots and benchmarks use.

Flet renders to a canvas; the page's accessible elements exist only once Flutter's
semantics DOM is switched on, and controls are found by their semantics identifier
(a control's ``key``). These helpers used to be copied into each app's tests/*/stack.py.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def launch_chromium(playwright: Playwright, extra_args: Sequence[str] = ()) -> Browser:
    """The system Chromium, headless, with :data:`CHROME_ARGS` plus ``extra_args``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROME_ARGS, *extra_args])


@contextlib.contextmanager
def chromium(extra_args: Sequence[str] = ()) -> Iterator[Browser]:
    """Playwright and a :func:`launch_chromium` browser for a ``with`` block (or a fixture)."""
    with sync_playwright() as p:
        browser = launch_chromium(p, extra_args)
        try:
            yield browser
        finally:
            browser.close()


def open_app(page: Any, url: str) -> None:
    """Load the app, wait for the first frame, and turn on Flutter's semantics DOM."""
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
    page.locator("flt-semantics").first.wait_for(timeout=20_000)


def by_id(page: Any, ident: str) -> Any:
    """The element of the control whose semantics identifier (``key``) is ``ident``."""
    return page.locator(f"[flt-semantics-identifier='{ident}']")


def type_into(page: Any, ident: str, text: str, *, settle_ms: int = 150) -> None:
    """Focus the field with semantics id ``ident``, replace its text, and type like a person.

    ``settle_ms``: Flutter attaches its hidden <input> only after the focus; keys typed
    before that are lost.
    """
    by_id(page, ident).click()
    page.wait_for_timeout(settle_ms)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def shown(page: Any, text: str | re.Pattern[str]) -> Any:
    """Text on screen: Flutter exposes it as text or folded into a group's accessible name."""
    pattern = text if isinstance(text, re.Pattern) else re.compile(re.escape(text))
    return page.get_by_text(pattern).or_(page.get_by_label(pattern)).first
