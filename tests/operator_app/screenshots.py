"""Save screenshots of the operator app's main screens on the project's demo data at phone (390x844) and desktop
(1440x900) width under ``docs/screenshots/operator_*.png``, against a seeded live stack.

    .venv/bin/python -m tests.operator_app.screenshots [out_dir]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.operator_app.stack import (
    ROOT,
    by_id,
    live_stack,
    navigate,
    open_app,
    sign_in,
)
from tests.support.browser import launch_chromium

DEMO_EMAIL, DEMO_PASSWORD = "admin@demo.chargepile", "chargepile-demo"  # backend.services.seed
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}
SCREENS = {
    "phone": ("dashboard", "faults", "network", "reports"),
    "desktop": ("dashboard", "faults", "network", "reports", "tariffs", "sessions", "labels"),
}


def wait_loaded(page: object, timeout_s: float = 30.0) -> None:
    """Until no "Loading…" placeholder is left on screen."""
    import time
    from typing import Any

    pg: Any = page
    deadline = time.monotonic() + timeout_s
    pg.wait_for_timeout(300)
    while pg.get_by_text("Loading…").count() and time.monotonic() < deadline:
        pg.wait_for_timeout(200)


def navigate_zh(page: object, label: str) -> None:
    from typing import Any

    pg: Any = page
    pg.get_by_role("tab", name=label).or_(
        pg.get_by_role("button", name=f"{label}\n", exact=False)
    ).first.click()


def save_screenshots(out_dir: Path = ROOT / "docs" / "screenshots") -> list[Path]:
    """Render each main screen at both widths; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with live_stack(demo=True) as (_, server), sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            for size_name, (w, h) in SIZES.items():
                # A fresh context per size: the remembered session lives in local storage.
                context = browser.new_context(viewport={"width": w, "height": h})
                page = context.new_page()
                open_app(page, server.url)
                by_id(page, "signin-email").wait_for(timeout=30_000)
                page.wait_for_timeout(1000)
                path = out_dir / f"operator_{size_name}_signin.png"
                page.screenshot(path=str(path))
                written.append(path)
                sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
                by_id(page, "dash-refresh").wait_for(timeout=30_000)
                for screen in SCREENS[size_name]:
                    navigate(page, screen)
                    page.mouse.move(w / 2, 5)  # no hover tooltip in the picture
                    wait_loaded(page)
                    page.wait_for_timeout(1500)
                    path = out_dir / f"operator_{size_name}_{screen}.png"
                    page.screenshot(path=str(path))
                    written.append(path)
                    if screen == "network":  # and the first charger's page
                        page.locator("[flt-semantics-identifier^='charger-']").first.click()
                        by_id(page, "remote-reset").wait_for(timeout=30_000)
                        wait_loaded(page)
                        page.wait_for_timeout(1200)
                        path = out_dir / f"operator_{size_name}_charger.png"
                        page.screenshot(path=str(path))
                        written.append(path)
                # The same office in Chinese (the CJK font is served by the app, offline).
                by_id(page, "lang-switch").click()
                navigate_zh(page, "今日")
                page.mouse.move(w / 2, 5)
                page.wait_for_timeout(1800)
                path = out_dir / f"operator_{size_name}_dashboard_zh.png"
                page.screenshot(path=str(path))
                written.append(path)
                context.close()
        finally:
            browser.close()
    return written


if __name__ == "__main__":
    for file in save_screenshots(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    ):
        print(file)
