"""Serving things on a free loopback port and waiting until they answer, for the live stacks
of the app suites (tests/*/stack.py), their screenshots and the browser benchmarks.

The operator, driver and home stacks each had their own copy of these; they differ only in
the app module and its arguments. Network is loopback only (pytest-socket allows nothing
else), and every wait is bounded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it; bound again by the caller)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers (any HTTP status that urllib accepts) or ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def child_env() -> dict[str, str]:
    """This process's environment without ``DISPLAY``: app servers must run headless."""
    return {k: v for k, v in os.environ.items() if k != "DISPLAY"}


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """Terminate ``proc`` (kill it if it lingers) and close the pipes we hold to it."""
    proc.terminate()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def rss_kb(pid: int) -> int:
    """Resident memory of process ``pid`` in KiB (Linux ``/proc``; 0 if not reported)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class AppServer:
    """``python -m <module> <args> --port N``: a Flet app served in web mode in its own
    process on a free loopback port, returned once its page answers.

    ``port`` lets the caller pass arguments that must name the port (a public URL).
    """

    def __init__(
        self,
        module: str,
        args: Sequence[str] = (),
        *,
        port: int | None = None,
        output: IO[Any] | int | None = subprocess.DEVNULL,
        timeout: float = 60.0,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.origin = f"http://{LOOPBACK}:{self.port}"
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            [sys.executable, "-m", module, *args, "--port", str(self.port)],
            cwd=ROOT, env=child_env(), stdout=output,
            stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_http(self.origin + "/", timeout)
        except BaseException:
            self.stop()  # a server that never answered must not outlive the test
            raise

    def rss_kb(self) -> int:
        """Resident memory of the app server process (Linux ``/proc``)."""
        return rss_kb(self.proc.pid)

    def stop(self) -> None:
        stop_process(self.proc)
