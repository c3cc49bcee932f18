"""Operator app in the browser on the demo data: first frame, sign-in to a filled dashboard,
and the app server's memory per connected operator session.

Real parts only: the seeded demo backend (``seed_demo``: 6 stations, 40 chargers, 90 days of
sessions) on uvicorn, the operator app served by ``serve_operator_app`` (web, no CDN) in its
own process, headless Debian Chromium. Prints a table and rewrites its section of
``bench/RESULTS.md``.

    .venv/bin/python bench/operator_app.py [--runs 5] [--sessions 6] [--no-write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from results import machine_description, utc_stamp, write_section  # noqa: E402

from tests.operator_app.stack import by_id, live_stack, type_into  # noqa: E402
from tests.support.browser import launch_chromium  # noqa: E402

SECTION = "operator_app"
EMAIL, PASSWORD = "admin@demo.chargepile", "chargepile-demo"


def one_run(browser: Browser, url: str, width: int, height: int) -> tuple[float, float]:
    """(ms to first frame, ms from pressing "Sign in" to the dashboard's figures)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("#loading", state="detached", timeout=60_000)
        first_frame = (time.perf_counter() - t0) * 1000
        return first_frame, sign_in_timed(page)
    finally:
        context.close()


def render(
    rows: list[tuple[str, list[float]]], per_session_kb: float, base_kb: int, n_sessions: int
) -> str:
    lines = [
        "## Operator app in the browser (`bench/operator_app.py`)",
        "",
        f"{machine_description()}, {utc_stamp()}; headless Chromium, "
        "app served offline (no CDN) on loopback, demo data (`seed_demo`). "
        "Times in ms from a fresh browser context each run.",
        "",
        "| measurement | n | p50 | min | max |",
        "|---|---|---|---|---|",
    ]
    for name, values in rows:
        lines.append(
            f"| {name} | {len(values)} | {statistics.median(values):.0f} | {min(values):.0f} | {max(values):.0f} |"
        )
    lines += [
        "",
        f"App server memory: **{per_session_kb / 1024:.1f} MB RSS per connected, signed-in operator "
        f"session** ({n_sessions} sessions held open at once; server at {base_kb / 1024:.0f} MB "
        "with one session before).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=6, help="sessions held open for memory")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with live_stack(demo=True) as (_, server), sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            results: dict[str, list[float]] = {}
            for width, height, label in ((390, 844, "phone"), (1440, 900, "desktop")):
                for _ in range(args.runs):
                    frame, filled = one_run(browser, server.url, width, height)
                    results.setdefault(f"first frame ({label})", []).append(frame)
                    results.setdefault(f"sign-in → filled dashboard ({label})", []).append(filled)
            # Memory: hold N signed-in sessions open and compare the server's RSS.
            contexts = []
            first = browser.new_context(viewport={"width": 390, "height": 844})
            page = first.new_page()
            one_session(page, server.url)
            time.sleep(2)
            base = server.rss_kb()
            for _ in range(args.sessions):
                context = browser.new_context(viewport={"width": 390, "height": 844})
                one_session(context.new_page(), server.url)
                contexts.append(context)
            time.sleep(3)
            per_session = (server.rss_kb() - base) / args.sessions
            for context in [first, *contexts]:
                context.close()
        finally:
            browser.close()
    body = render(list(results.items()), per_session, base, args.sessions)
    print(body)
    if not args.no_write:
        write_section(SECTION, body)


def sign_in_timed(page: Any) -> float:
    """Fill the form, press "Sign in": ms until the dashboard's figures are on screen."""
    page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
    by_id(page, "signin-email").wait_for(timeout=30_000)
    page.wait_for_timeout(300)
    type_into(page, "signin-email", EMAIL)
    type_into(page, "signin-password", PASSWORD)
    started = time.perf_counter()
    by_id(page, "signin-submit").click()
    # Filled: the today figures are on screen (the open-faults tile is the last of them).
    by_id(page, "kpi-open-faults").wait_for(timeout=60_000)
    return (time.perf_counter() - started) * 1000


def one_session(page: Any, url: str) -> None:
    """Open the app and sign in (kept open by the caller for the memory measurement)."""
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    sign_in_timed(page)


if __name__ == "__main__":
    main()
