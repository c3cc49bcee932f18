"""``chargepile demo``: migrate, seed, then run every component of the platform together.

Each component runs in its own process (as it would in production), supervised here: if one
exits, the others are stopped and the demo ends with its exit code. Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field

import httpx

from backend.settings import Settings


@dataclass
class Component:
    """One process of the demo and the URL a person opens for it."""

    name: str
    argv: list[str]
    url: str
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str | None = None


def _components(host: str, base_port: int, settings: Settings) -> list[Component]:
    api = f"http://{host}:{base_port}"
    chargepile = [sys.executable, "-m", "chargepile.cli"]
    return [
        Component(
            "backend",
            [
                *chargepile,
                "serve",
                "--host",
                host,
                "--port",
                str(base_port),
                "--log-level",
                "warning",
            ],
            f"{api}/docs",
            ready_url=f"{api}/healthz",
        ),
    ]


async def _wait_ready(url: str, timeout: float = 60.0) -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")
            await asyncio.sleep(0.3)


async def run_demo(*, host: str = "127.0.0.1", base_port: int = 8000) -> int:
    """Run the demo until interrupted; returns the process exit code."""
    from backend.db.migrate import upgrade_async

    settings = Settings()
    print(f"Migrating {settings.resolved_database_url} ...", flush=True)
    await upgrade_async(settings)
    seed = await asyncio.create_subprocess_exec(sys.executable, "-m", "chargepile.cli", "seed-demo")
    if await seed.wait() != 0:
        return 1

    processes: list[tuple[Component, asyncio.subprocess.Process]] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for component in _components(host, base_port, settings):
            proc = await asyncio.create_subprocess_exec(
                *component.argv, env={**os.environ, **component.env}
            )
            processes.append((component, proc))
            if component.ready_url:
                await _wait_ready(component.ready_url)
        print("\nchargepile demo is running:", flush=True)
        for component, _ in processes:
            print(f"  {component.name:<18} {component.url}", flush=True)
        print("Press Ctrl-C to stop.\n", flush=True)
        waiters = [asyncio.create_task(proc.wait()) for _, proc in processes]
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([*waiters, stopper], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        for waiter in waiters:
            waiter.cancel()
        return 0 if stopper in done else 1
    finally:
        for _component, proc in reversed(processes):
            if proc.returncode is None:
                proc.terminate()
        for _component, proc in processes:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 10)
            if proc.returncode is None:
                proc.kill()
