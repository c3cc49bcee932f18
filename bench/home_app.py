"""Home app in the browser, ``make demo`` mode: first frame, enrolment by typed code, and
tap-to-charge as a person sees it (tap → "Charging started" on screen), over the real stack:
headless Chromium → Flet web server (no CDN) → bleak over Bumble TCP HCI → simulated charger
process. Prints a table and rewrites the ``home_app`` section of bench/RESULTS.md.

    .venv/bin/python bench/home_app.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from results import machine_description, utc_stamp, write_section  # noqa: E402

from tests.home_app.stack import (  # noqa: E402
    by_id,
    home_demo,
    open_app,
    shown,
    type_into,
)
from tests.support.browser import launch_chromium  # noqa: E402

SECTION = "home_app"


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def run(runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {
        "first frame": [],
        "typed code → charge screen ready": [],
        "tap → charging shown": [],
        "tap → stopped shown": [],
    }
    with home_demo() as demo, sync_playwright() as p:
        browser = launch_chromium(p)
        # First frames from fresh browsers (each a new session taking the demo's one radio).
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 390, "height": 844})
            t0 = time.perf_counter()
            open_app(context.new_page(), demo.url)
            samples["first frame"].append(_ms(t0))
            context.close()
        # One phone enrols (the charger has one owner), then taps start/stop ``runs`` times.
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        open_app(page, demo.url)
        by_id(page, "enroll-code").wait_for(timeout=30_000)
        type_into(page, "enroll-code", demo.typed_code)
        t0 = time.perf_counter()
        by_id(page, "enroll-submit").click()
        expect(page.get_by_role("button", name="Start charging")).to_be_enabled(timeout=30_000)
        samples["typed code → charge screen ready"].append(_ms(t0))
        for _ in range(runs):
            expect(page.get_by_role("button", name="Start charging")).to_be_enabled()
            t0 = time.perf_counter()
            by_id(page, "charge-toggle").click(force=True)
            shown(page, "Charging started").wait_for(timeout=30_000)
            samples["tap → charging shown"].append(_ms(t0))
            expect(page.get_by_role("button", name="Stop charging")).to_be_enabled()
            t0 = time.perf_counter()
            by_id(page, "charge-toggle").click(force=True)
            shown(page, "Charging stopped").wait_for(timeout=30_000)
            samples["tap → stopped shown"].append(_ms(t0))
        browser.close()
    return samples


def table(samples: dict[str, list[float]]) -> str:
    lines = [
        "## Home app in the browser, `make demo` mode (`bench/home_app.py`)",
        "",
        f"{machine_description()}, {utc_stamp()}; headless Chromium, "
        "app served offline (no CDN) on loopback, BLE over Bumble TCP HCI to the simulator "
        "process. First frames from fresh browsers; one phone enrols, then taps "
        "start/stop repeatedly. Times in ms until the result is on screen.",
        "",
        "| measurement | n | p50 | min | max |",
        "|---|---|---|---|---|",
    ]
    for name, values in samples.items():
        lines.append(
            f"| {name} | {len(values)} | {statistics.median(values):.0f} | "
            f"{min(values):.0f} | {max(values):.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    text = table(run(args.runs))
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
