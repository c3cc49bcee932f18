"""The simulator as its own process (``python -m simulators.home``), reached by the app over
Bumble's TCP HCI transport on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from pathlib import Path

from apps.home.ble import BleakHomeChargerLink
from apps.home.ble.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner
from home_protocol.crypto import generate_private_key
from home_protocol.label import parse_label

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_app_enrolls_and_charges_with_simulator_in_another_process(tmp_path: Path) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators.home",
        "--port",
        str(port),
        "--keystore",
        str(tmp_path / "charger.json"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    radio: BumbleRadio | None = None
    link: BleakHomeChargerLink | None = None
    try:
        assert proc.stdout is not None
        qr = ""
        async with asyncio.timeout(15):
            while not qr:
                line = (await proc.stdout.readline()).decode()
                assert line, "simulator exited early"
                if line.startswith("label QR text:"):
                    qr = line.split(":", 1)[1].strip()
        radio = BumbleRadio(transport=f"tcp-client:127.0.0.1:{port}")
        link = BleakHomeChargerLink(
            generate_private_key(),
            scanner_backend=BumbleScanner,
            client_backend=BumbleClient,
            backend_kwargs={"radio": radio},
            command_timeout=5,
            connect_timeout=5,
        )
        pairing = await link.enroll(parse_label(qr))
        await link.connect(pairing)
        assert (await link.start_charging()).state == "C"
        assert (await link.stop_charging()).state == "B"
    finally:
        if link is not None:
            await link.close()
        if radio is not None:
            await radio.close()
        proc.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 5)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
