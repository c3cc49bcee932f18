"""``python -m simulators.home``: run the simulated home charger as its own process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from simulators.home.runner import run_home_simulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.home", description=__doc__)
    parser.add_argument("--port", type=int, default=9102, help="TCP port of the app's HCI")
    parser.add_argument("--keystore", type=Path, default=None, help="JSON file to persist keys")
    parser.add_argument("--serial", default="CPH-SIM-0001")
    parser.add_argument("--pairing-window", type=float, default=600.0, help="seconds")
    parser.add_argument("--unplugged", action="store_true", help="start with no vehicle")
    parser.add_argument("--interactive", action="store_true", help="read controls from stdin")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_home_simulator(
                port=args.port,
                keystore_path=args.keystore,
                serial=args.serial,
                pairing_window_s=args.pairing_window,
                plugged=not args.unplugged,
                interactive=args.interactive,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
