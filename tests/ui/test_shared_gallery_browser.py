"""The gallery in real headless Chromium, offline: what the fake client cannot prove.

Checks the real Flutter client's side of the contract the view tests assume: the app boots with
no CDN, semantics identifiers reach the DOM, a language switch re-renders, and a real window
resize (the client's own resize event) swaps the bottom bar for the rail.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def gallery_url() -> Iterator[str]:
    if not CHROMIUM.is_file():
        pytest.skip("Debian chromium is not installed")
    port = _free_port()
    env = dict(
        os.environ,
        FLET_FORCE_WEB_SERVER="1",
        FLET_SERVER_IP="127.0.0.1",
        FLET_SERVER_PORT=str(port),
        FLET_WEB_NO_CDN="1",
    )
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared.gallery"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("gallery server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_gallery_boots_offline_switches_language_and_layout(gallery_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 400, "height": 860})
            page.goto(gallery_url)
            page.wait_for_selector("#loading", state="detached", timeout=60_000)
            page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
            page.get_by_role("button").first.wait_for(timeout=20_000)
            # phone: bottom navigation bar destinations are tabs
            page.get_by_role("tab", name="Overview").wait_for(timeout=10_000)
            assert page.locator("[flt-semantics-identifier='charger-CP-001']").count() == 1
            page.locator("[flt-semantics-identifier='lang-switch']").click()
            page.get_by_text("1/2 可用").wait_for(timeout=10_000)
            # desktop: the client reports the resize, the rail replaces the bar
            page.set_viewport_size({"width": 1000, "height": 760})
            page.get_by_role("button", name=re.compile("^总览")).wait_for(timeout=10_000)
            assert page.get_by_role("tab", name="总览").count() == 0
        finally:
            browser.close()
