"""Save screenshots of the home app's main screens at phone width (390x844) under
``docs/screenshots/home_*.png``, in ``make demo`` mode (simulator process + app server).

    .venv/bin/python -m tests.home_app.screenshots [out_dir]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import ViewportSize, sync_playwright

from tests.home_app.stack import ROOT, by_id, home_demo, open_app, shown, type_into
from tests.support.browser import launch_chromium

PHONE: ViewportSize = {"width": 390, "height": 844}


def _settle(page: Any, ms: int = 1200) -> None:
    page.wait_for_timeout(ms)  # the canvas repaints after the semantics DOM updates


def _tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click(force=True)
    _settle(page, 1500)


def _enroll(page: Any, code: str, *, member: bool = False) -> None:
    by_id(page, "enroll-code").wait_for(timeout=30_000)
    shown(page, "Pairing window open").wait_for(timeout=30_000)
    type_into(page, "enroll-code", code)
    if member:
        by_id(page, "enroll-member").click()
    by_id(page, "enroll-submit").click()
    by_id(page, "charge-toggle").wait_for(timeout=30_000)


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with home_demo() as demo, sync_playwright() as p:
        browser = launch_chromium(p)
        owner = browser.new_context(viewport=PHONE).new_page()
        open_app(owner, demo.url)
        shown(owner, "Pairing window open").wait_for(timeout=30_000)
        type_into(owner, "enroll-code", demo.typed_code)
        _settle(owner)
        owner.screenshot(path=out_dir / "home_enroll.png")
        by_id(owner, "enroll-submit").click()
        owner.get_by_role("button", name="Start charging").wait_for(timeout=30_000)
        _settle(owner)
        owner.screenshot(path=out_dir / "home_charge.png")
        by_id(owner, "charge-toggle").click(force=True)
        shown(owner, "Charging started").wait_for(timeout=30_000)
        _settle(owner, 4000)
        owner.screenshot(path=out_dir / "home_charging.png")
        by_id(owner, "charge-toggle").click(force=True)
        shown(owner, "Charging stopped").wait_for(timeout=30_000)

        _tab(owner, "Schedule")
        by_id(owner, "weekly-add").wait_for(timeout=30_000)
        by_id(owner, "day-5").click(force=True)
        by_id(owner, "day-6").click(force=True)
        by_id(owner, "weekly-add").click(force=True)
        shown(owner, "Off-peak plan saved").wait_for(timeout=30_000)
        _settle(owner)
        owner.screenshot(path=out_dir / "home_schedule.png")
        _tab(owner, "History")
        _settle(owner)
        owner.screenshot(path=out_dir / "home_history.png")

        # a household member enrols from another phone; it waits for the owner's approval
        member = browser.new_context(viewport=PHONE).new_page()
        open_app(member, demo.url)
        _enroll(member, demo.typed_code, member=True)
        shown(member, "Waiting for the owner").wait_for(timeout=30_000)
        _settle(member)
        member.screenshot(path=out_dir / "home_pending.png")
        member.context.close()

        # the demo server has one radio and the member's tab took it: "Retry" takes it back
        _tab(owner, "Charge")
        by_id(owner, "conn-retry").click(force=True)
        owner.get_by_role("button", name="Start charging").wait_for(timeout=30_000)
        _tab(owner, "Household")
        shown(owner, "waiting for approval").wait_for(timeout=30_000)
        _settle(owner)
        owner.screenshot(path=out_dir / "home_household.png")
        _tab(owner, "Charge")
        by_id(owner, "lang-switch").click(force=True)
        shown(owner, "家庭充电").wait_for(timeout=30_000)
        _settle(owner, 2500)
        owner.screenshot(path=out_dir / "home_charge_zh.png")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
