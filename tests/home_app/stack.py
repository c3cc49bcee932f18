"""``make demo`` mode on loopback for browser tests and screenshots: the simulated home charger
as its own process (``python -m simulators.home``, Bumble TCP HCI) and the home app served by
``serve_home_app`` in another (web mode, no CDN), both on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@dataclass
class HomeDemo:
    url: str
    typed_code: str
    qr_text: str
    simulator: subprocess.Popen[str]
    app_log: Path  # the app server's output (for a failing test's report)

    def control(self, command: str) -> None:
        """A control line for the simulator (``plug``, ``unplug``, ``button``, ``drop`` ...)."""
        assert self.simulator.stdin is not None
        self.simulator.stdin.write(command + "\n")
        self.simulator.stdin.flush()


def _read_label(proc: subprocess.Popen[str]) -> tuple[str, str]:
    # Blocking reads on purpose: the simulator prints its label right after start-up or exits
    # (EOF); the test's own timeout covers a hang.
    assert proc.stdout is not None
    qr = typed = ""
    while not (qr and typed):
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the home charger simulator exited before printing its label")
        if line.startswith("label QR text:"):
            qr = line.split(":", 1)[1].strip()
        elif line.startswith("typed code:"):
            typed = line.split(":", 1)[1].strip()
    return qr, typed


@contextlib.contextmanager
def home_demo() -> Iterator[HomeDemo]:
    """The simulator process (interactive controls on stdin) and the app server process."""
    hci_port, app_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    with tempfile.TemporaryDirectory(prefix="home-demo-") as tmp:
        sim = subprocess.Popen(
            [sys.executable, "-m", "simulators.home", "--port", str(hci_port),
             "--keystore", str(Path(tmp) / "charger.json"), "--interactive"],
            cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            qr, typed = _read_label(sim)
            log = open(Path(tmp) / "app.log", "w")  # noqa: SIM115 - closed below
            app = subprocess.Popen(
                [sys.executable, "-m", "apps.home.main", "--hci",
                 f"tcp-client:127.0.0.1:{hci_port}", "--port", str(app_port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                url = f"http://127.0.0.1:{app_port}/"
                wait_http(url)
                yield HomeDemo(
                    url=url, typed_code=typed, qr_text=qr, simulator=sim, app_log=Path(log.name)
                )
            finally:
                _stop(app)
                log.close()
        finally:
            _stop(sim)


def open_app(page: Any, url: str) -> None:
    """Load the app, wait for the first frame, and turn on Flutter's semantics DOM."""
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=60_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
    page.locator("flt-semantics").first.wait_for(timeout=20_000)


def by_id(page: Any, ident: str) -> Any:
    return page.locator(f"[flt-semantics-identifier='{ident}']")


def type_into(page: Any, ident: str, text: str) -> None:
    """Focus the field with semantics id ``ident``, replace its text, and type like a person."""
    by_id(page, ident).click()
    page.wait_for_timeout(150)  # Flutter attaches its hidden <input> on focus
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def shown(page: Any, text: str) -> Any:
    """Text on screen: Flutter exposes it as text or folded into a group's accessible name."""
    pattern = re.compile(re.escape(text))
    return page.get_by_text(pattern).or_(page.get_by_label(pattern)).first
