"""``chargepile demo``: migrate, seed, then run every component of the platform together.

Each component runs in its own process (as it would in production), supervised here: if one
exits, the others are stopped and the demo ends with its exit code. Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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
    # HTTP URL answering 200 once the component is up. The home charger has none: its HCI
    # port takes a single connection (the home app's), so it must not be probed.
    ready_url: str | None = None


# Ports of the demo, relative to the backend's base port.
OPERATOR_OFFSET, DRIVER_OFFSET, HOME_OFFSET = 551, 552, 553
HOME_HCI_PORT_OFFSET, FLEET_CONTROL_OFFSET = 1102, 765


def _components(host: str, base_port: int, settings: Settings) -> list[Component]:
    api = f"http://{host}:{base_port}"
    driver_url = f"http://{host}:{base_port + DRIVER_OFFSET}"
    deep_link = f"{driver_url}/c/{_first_charger(settings)}/1"
    hci_port = base_port + HOME_HCI_PORT_OFFSET
    chargepile = [sys.executable, "-m", "chargepile.cli"]
    data = settings.data_dir
    return [
        Component(
            "backend API",
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
            env={"CHARGEPILE_PUBLIC_DRIVER_URL": driver_url},
            ready_url=f"{api}/healthz",
        ),
        Component(
            "charger fleet",
            [
                *chargepile,
                "sim",
                "stations",
                f"ws://{host}:{base_port}/ocpp",
                "--chargers",
                str(data / "demo-chargers.json"),
                "--control-port",
                str(base_port + FLEET_CONTROL_OFFSET),
                "--arrivals",
                "0.5",
                "--fault-rate",
                "0.05",
                "--id-tags",
                "04A1B2C3D4E5F6",
            ],
            f"http://{host}:{base_port + FLEET_CONTROL_OFFSET}/ (control API)",
        ),
        Component(
            "home charger (BLE)",
            [
                *chargepile,
                "sim",
                "home",
                "--port",
                str(hci_port),
                "--keystore",
                str(data / "home-charger-keys.json"),
            ],
            f"tcp-client:127.0.0.1:{hci_port} (Bumble HCI)",
        ),
        Component(
            "operator console",
            [
                *chargepile,
                "app",
                "operator",
                "--host",
                host,
                "--port",
                str(base_port + OPERATOR_OFFSET),
                "--api",
                api,
                "--driver-url",
                driver_url,
            ],
            f"http://{host}:{base_port + OPERATOR_OFFSET}/",
            ready_url=f"http://{host}:{base_port + OPERATOR_OFFSET}/",
        ),
        Component(
            "driver app / H5",
            [
                *chargepile,
                "app",
                "driver",
                "--host",
                host,
                "--port",
                str(base_port + DRIVER_OFFSET),
                "--api",
                api,
                "--driver-url",
                driver_url,
            ],
            f"{driver_url}/   QR deep link: {deep_link}",
            ready_url=f"{driver_url}/",
        ),
        Component(
            "home app",
            [
                *chargepile,
                "app",
                "home",
                "--host",
                host,
                "--port",
                str(base_port + HOME_OFFSET),
                "--hci",
                f"tcp-client:127.0.0.1:{hci_port}",
            ],
            f"http://{host}:{base_port + HOME_OFFSET}/",
            ready_url=f"http://{host}:{base_port + HOME_OFFSET}/",
        ),
    ]


def _first_charger(settings: Settings) -> str:
    """A seeded charger's identity, for a deep link a person can open right away."""
    chargers = json.loads((settings.data_dir / "demo-chargers.json").read_text("utf-8"))
    return str(chargers[0]["ocpp_id"])


async def _wait_ready(component: Component, timeout: float = 60.0) -> None:
    """Wait until ``component`` answers on its ready URL (if it has one)."""
    if component.ready_url is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            try:
                if component.ready_url is not None:
                    if (await client.get(component.ready_url)).status_code == 200:
                        return
                elif component.ready_port is not None:
                    _reader, writer = await asyncio.open_connection(
                        "127.0.0.1", component.ready_port
                    )
                    writer.close()
                    return
                else:
                    return
            except (httpx.TransportError, OSError):
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"{component.name} did not come up within {timeout:.0f} s")
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
            await _wait_ready(component)
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
