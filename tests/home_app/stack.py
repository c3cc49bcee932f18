"""``make demo`` mode on loopback for browser tests and screenshots: the simulated home charger
as its own process (``python -m simulators.home``, Bumble TCP HCI) and the home app served by
``serve_home_app`` in another (web mode, no CDN), both on free loopback ports."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.browser import CHROME_ARGS as CHROME_ARGS
from tests.support.browser import by_id as by_id
from tests.support.browser import open_app as open_app
from tests.support.browser import shown as shown
from tests.support.browser import type_into as type_into
from tests.support.servers import ROOT as ROOT
from tests.support.servers import AppServer, child_env, free_port, stop_process


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
    hci_port = free_port()
    with tempfile.TemporaryDirectory(prefix="home-demo-") as tmp:
        sim = subprocess.Popen(
            [sys.executable, "-m", "simulators.home", "--port", str(hci_port),
             "--keystore", str(Path(tmp) / "charger.json"), "--interactive"],
            cwd=ROOT, env=child_env(), text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            qr, typed = _read_label(sim)
            log = open(Path(tmp) / "app.log", "w")  # noqa: SIM115 - closed below
            try:
                app = AppServer(
                    "apps.home.main", ["--hci", f"tcp-client:127.0.0.1:{hci_port}"], output=log
                )
                try:
                    yield HomeDemo(
                        url=app.origin + "/", typed_code=typed, qr_text=qr, simulator=sim,
                        app_log=Path(log.name),
                    )  # fmt: skip
                finally:
                    app.stop()
            finally:
                log.close()
        finally:
            stop_process(sim)
