"""``python -m simulators.ocpp``: run a simulated charger fleet from the command line.

Examples::

    python -m simulators.ocpp ws://127.0.0.1:8000/ocpp --chargers data/demo_chargers.json
    python -m simulators.ocpp ws://127.0.0.1:8000/ocpp --stations 5 --connectors 2 --password pw
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence

from simulators.ocpp.config import SimConfig, generate_chargers, load_chargers
from simulators.ocpp.errors import SimulatorError
from simulators.ocpp.fleet import run_fleet


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simulators.ocpp", description=__doc__)
    p.add_argument("url", help="central system base URL, e.g. ws://127.0.0.1:8000/ocpp")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--chargers", help="JSON or CSV file of chargers (identity,password,...)")
    src.add_argument("--stations", type=int, help="generate this many chargers")
    p.add_argument("--connectors", type=int, default=2, help="connectors per generated charger")
    p.add_argument("--prefix", default="SIM", help="identity prefix of generated chargers")
    p.add_argument("--password", default=None, help="password of generated chargers")
    p.add_argument("--meter-interval", type=float, default=10.0, help="seconds between samples")
    p.add_argument("--time-scale", type=float, default=30.0, help="simulated s per real s")
    p.add_argument("--fault-rate", type=float, default=0.0, help="faults/connector/hour")
    p.add_argument("--offline-rate", type=float, default=0.0, help="outages/charger/hour")
    p.add_argument("--arrivals", type=float, default=0.0, help="driver arrivals/connector/hour")
    p.add_argument("--id-tags", default="", help="comma-separated RFID tags for arrivals")
    p.add_argument("--control-port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--no-control", action="store_true", help="do not start the control API")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--ca-file", default=None, help="CA to trust for a wss:// central system")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def config_from_args(args: argparse.Namespace) -> SimConfig:
    return SimConfig(
        meter_interval_s=args.meter_interval,
        time_scale=args.time_scale,
        fault_rate_per_hour=args.fault_rate,
        offline_rate_per_hour=args.offline_rate,
        arrivals_per_hour=args.arrivals,
        arrival_id_tags=tuple(t for t in args.id_tags.split(",") if t),
        seed=args.seed,
        ca_file=args.ca_file,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("ocpp").setLevel(logging.WARNING)  # it logs every frame at INFO
    try:
        chargers = (
            load_chargers(args.chargers)
            if args.chargers
            else generate_chargers(
                args.stations, args.connectors, prefix=args.prefix, password=args.password
            )
        )
    except SimulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_fleet(
                args.url,
                chargers,
                config_from_args(args),
                control_port=None if args.no_control else args.control_port,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
