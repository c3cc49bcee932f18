"""Home charging over BLE: command round trip, enrolment time and reconnect time.

Runs the production app link (bleak + Bumble backend) against the simulated charger on an
in-process virtual link, prints a table and rewrites the ``home_ble`` section of
bench/RESULTS.md. Goals from issue 8: command p95 < 100 ms, enrolment < 2 s.

    .venv/bin/python bench/home_ble.py [--commands 200] [--enrolments 20] [--drops 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bumble.link import LocalLink  # noqa: E402
from results import machine_description, percentile, utc_stamp, write_section  # noqa: E402

from apps.home.ble import BleakHomeChargerLink, LinkState, LinkStateChanged  # noqa: E402
from apps.home.ble.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner  # noqa: E402
from home_protocol.crypto import generate_private_key  # noqa: E402
from simulators.home import HomeSimulator, HomeSimulatorConfig  # noqa: E402

SECTION = "home_ble"


def make_link(radio: BumbleRadio) -> BleakHomeChargerLink:
    return BleakHomeChargerLink(
        generate_private_key(),
        scanner_backend=BumbleScanner,
        client_backend=BumbleClient,
        backend_kwargs={"radio": radio},
        backoff_initial=0.05,
        backoff_max=0.5,
    )


async def bench_commands(mtu: int, n: int) -> list[float]:
    air = LocalLink()
    sim = await HomeSimulator.start(air, HomeSimulatorConfig(max_mtu=mtu, plugged=True))
    radio = BumbleRadio(air)
    link = make_link(radio)
    try:
        await link.connect(await link.enroll(sim.label))
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            await link.get_status()
            samples.append((time.perf_counter() - t0) * 1000)
        return samples
    finally:
        await link.close()
        await radio.close()
        await sim.stop()


async def bench_enrolment(n: int) -> list[float]:
    samples = []
    for i in range(n):
        air = LocalLink()
        sim = await HomeSimulator.start(air, HomeSimulatorConfig(serial=f"CPH-BENCH-{i:04d}"))
        radio = BumbleRadio(air)
        link = make_link(radio)
        try:
            t0 = time.perf_counter()
            await link.enroll(sim.label)  # scan + connect + INFO + proof + result
            samples.append((time.perf_counter() - t0) * 1000)
        finally:
            await link.close()
            await radio.close()
            await sim.stop()
    return samples


async def bench_reconnect(n: int) -> list[float]:
    air = LocalLink()
    sim = await HomeSimulator.start(air, HomeSimulatorConfig(plugged=True))
    radio = BumbleRadio(air)
    link = make_link(radio)
    try:
        await link.connect(await link.enroll(sim.label))
        samples = []
        reconnected = asyncio.Event()
        link.subscribe(
            lambda e: (
                reconnected.set()
                if isinstance(e, LinkStateChanged) and e.state is LinkState.CONNECTED
                else None
            )
        )
        for _ in range(n):
            reconnected.clear()
            t0 = time.perf_counter()
            await sim.drop_link()
            async with asyncio.timeout(10):
                await reconnected.wait()
            samples.append((time.perf_counter() - t0) * 1000)
        return samples
    finally:
        await link.close()
        await radio.close()
        await sim.stop()


def row(name: str, samples: list[float], goal: str) -> str:
    return (
        f"| {name} | {len(samples)} | {statistics.median(samples):.1f} | "
        f"{percentile(samples, 0.95):.1f} | {max(samples):.1f} | {goal} |"
    )


async def main(args: argparse.Namespace) -> None:
    rows = [
        row(
            "command round trip (STATUS), MTU 247",
            await bench_commands(247, args.commands),
            "p95 < 100 ms",
        ),
        row(
            "command round trip (STATUS), MTU 23",
            await bench_commands(23, args.commands),
            "p95 < 100 ms",
        ),
        row("enrolment (scan → result)", await bench_enrolment(args.enrolments), "< 2000 ms"),
        row("reconnect after link drop (→ new session)", await bench_reconnect(args.drops), "–"),
    ]
    table = (
        "## Home charging over BLE (`bench/home_ble.py`)\n\n"
        f"Virtual Bumble link in one process, bleak + Bumble backend; {machine_description()}, "
        f"{utc_stamp()}. Times in ms.\n\n"
        "| measurement | n | p50 | p95 | max | goal |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )
    print(table)
    write_section(SECTION, table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--enrolments", type=int, default=20)
    parser.add_argument("--drops", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
