"""Home app in the browser, ``make demo`` mode: first frame, enrolment by typed code, and
tap-to-charge as a person sees it (tap → "Charging started" on screen), over the real stack:
headless Chromium → Flet web server (no CDN) → bleak over Bumble TCP HCI → simulated charger
process. Prints a table and rewrites the ``home_app`` section of bench/RESULTS.md.

    .venv/bin/python bench/home_app.py [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.home_app.stack import (  # noqa: E402
    CHROME_ARGS,
    by_id,
    home_demo,
    open_app,
    shown,
    type_into,
)

RESULTS = ROOT / "bench" / "RESULTS.md"
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
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROME_ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            t0 = time.perf_counter()
            open_app(page, demo.url)
            samples["first frame"].append(_ms(t0))
            by_id(page, "enroll-code").wait_for(timeout=30_000)
            type_into(page, "enroll-code", demo.typed_code)
            t0 = time.perf_counter()
            by_id(page, "enroll-submit").click()
            start = page.get_by_role("button", name="Start charging")
            start.wait_for(timeout=30_000)
            page.wait_for_function(
                "() => !document.querySelector(\"[flt-semantics-identifier='charge-toggle'] "
                "[aria-disabled='true']\")",
                timeout=30_000,
            )
            samples["typed code → charge screen ready"].append(_ms(t0))
            t0 = time.perf_counter()
            by_id(page, "charge-toggle").click(force=True)
            shown(page, "Charging started").wait_for(timeout=30_000)
            samples["tap → charging shown"].append(_ms(t0))
            page.get_by_role("button", name="Stop charging").wait_for(timeout=30_000)
            t0 = time.perf_counter()
            by_id(page, "charge-toggle").click(force=True)
            shown(page, "Charging stopped").wait_for(timeout=30_000)
            samples["tap → stopped shown"].append(_ms(t0))
            context.close()
        browser.close()
    return samples


def table(samples: dict[str, list[float]], runs: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Home app in the browser, `make demo` mode (`bench/home_app.py`)",
        "",
        f"{platform.machine()}, Python {platform.python_version()}, {when}; headless Chromium, "
        "app served offline (no CDN) on loopback, BLE over Bumble TCP HCI to the simulator "
        "process; 2 shared CPUs. Each run is a new browser (a new phone: new key, enrolled "
        "again). Times in ms as seen on screen.",
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


def update_results(text: str) -> None:
    block = f"<!-- bench:{SECTION} -->\n{text}<!-- /bench:{SECTION} -->"
    current = RESULTS.read_text("utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"<!-- bench:{SECTION} -->.*?<!-- /bench:{SECTION} -->", re.S)
    current = (
        pattern.sub(lambda _m: block, current)
        if pattern.search(current)
        else current.rstrip() + "\n\n" + block + "\n"
    )
    RESULTS.write_text(current, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    text = table(run(args.runs), args.runs)
    print(text)
    if not args.no_write:
        update_results(text)


if __name__ == "__main__":
    main()
