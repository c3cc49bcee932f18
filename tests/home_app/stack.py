"""``make demo`` mode on loopback for browser tests and screenshots: the simulated home charger
as its own process (``python -m simulators.home``, Bumble TCP HCI) and the home app served by
``serve_home_app`` in another (web mode, no CDN), both on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import select
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

    def control(self, command: str) -> None:
        """A control line for the simulator (``plug``, ``unplug``, ``button``, ``drop`` ...)."""
        assert self.simulator.stdin is not None
        self.simulator.stdin.write(command + "\n")
        self.simulator.stdin.flush()


def _read_label(proc: subprocess.Popen[str], timeout: float = 30.0) -> tuple[str, str]:
    assert proc.stdout is not None
    qr = typed = ""
    deadline = time.monotonic() + timeout
    while not (qr and typed):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("the home charger simulator did not print its label")
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if not ready:
            continue
        line = proc.stdout.readline()
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
            app = subprocess.Popen(
                [sys.executable, "-m", "apps.home.main", "--hci",
                 f"tcp-client:127.0.0.1:{hci_port}", "--port", str(app_port)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                url = f"http://127.0.0.1:{app_port}/"
                wait_http(url)
                yield HomeDemo(url=url, typed_code=typed, qr_text=qr, simulator=sim)
            finally:
                _stop(app)
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
