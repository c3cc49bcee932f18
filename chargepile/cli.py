"""``chargepile`` command line: serve, db, seed-demo, demo, sim, app.

Each subcommand builds its component from settings and runs it; nothing here holds logic
of its own beyond wiring.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Callable, Sequence

from backend.settings import Settings

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from backend import log_redaction
    from backend.app import create_app
    from backend.ocpp import uvicorn_ws_options

    settings = Settings()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        **uvicorn_ws_options(settings),
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    # After Config: it (re)configures uvicorn's loggers; the filter must outlive that.
    log_redaction.install()
    uvicorn.Server(config).run()
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from backend.db.migrate import upgrade

    settings = Settings()
    upgrade(settings, args.revision)
    print(f"database at {settings.resolved_database_url} is at revision {args.revision}")
    return 0


def _db_revision(args: argparse.Namespace) -> int:
    from backend.db.migrate import revision

    revision(Settings(), args.message)
    return 0


def _seed_demo(_args: argparse.Namespace) -> int:
    from backend.db.engine import create_engine, create_session_factory
    from backend.services.seed import seed_demo

    settings = Settings()

    async def run() -> None:
        engine = create_engine(settings)
        try:
            credentials = await seed_demo(
                create_session_factory(engine), data_dir=settings.data_dir
            )
        finally:
            await engine.dispose()
        print(credentials.describe())

    asyncio.run(run())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from chargepile.demo import run_demo

    return asyncio.run(run_demo(host=args.host, base_port=args.base_port))


def _sim(args: argparse.Namespace) -> int:
    """Delegate to the simulator's own command line (its options: ``chargepile sim X --help``)."""
    if args.kind == "stations":
        from simulators.ocpp.__main__ import main as stations_main

        return stations_main(args.rest)
    from simulators.home.__main__ import main as home_main

    home_main(args.rest)
    return 0


def _freeze_startup_heap() -> None:
    """Keep what the app server imported (Flet, the app, its models: it lives as long as the
    process) out of the cyclic garbage collector's full collections. Without this each full
    collection re-scans it all, a pause of 100+ ms that every open session feels at once
    (measured with bench/driver_app.py; the backend's gateway does the same at start-up)."""
    gc.collect()
    gc.freeze()


def _app(args: argparse.Namespace) -> int:
    """Serve one of the Flet apps in offline web mode (phones build them with ``flet build``)."""
    port = args.port or APP_PORTS[args.kind]
    if args.kind == "operator":
        from apps.operator_mobile.main import serve_operator_app

        _freeze_startup_heap()
        serve_operator_app(
            api_url=args.api, host=args.host, port=port, public_driver_url=args.driver_url
        )
    elif args.kind == "driver":
        from apps.user_mobile.main import serve_driver_app

        _freeze_startup_heap()
        serve_driver_app(
            api_url=args.api,
            host=args.host,
            port=port,
            public_url=args.driver_url,
            tile_url=args.tiles,
        )
    else:
        from apps.home.main import serve_home_app

        _freeze_startup_heap()
        serve_home_app(host=args.host, port=port, hci_transport=args.hci)
    return 0


APP_PORTS = {"operator": 8551, "driver": 8552, "home": 8553}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chargepile", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the backend (REST API, event streams, OCPP)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--ssl-certfile", default=None, help="serve HTTPS/WSS (OCPP profile 2)")
    serve.add_argument("--ssl-keyfile", default=None)
    serve.set_defaults(handler=_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    up = db.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=_db_upgrade)
    rev = db.add_parser("revision", help="autogenerate a migration from the models")
    rev.add_argument("-m", "--message", required=True)
    rev.set_defaults(handler=_db_revision)

    seed = sub.add_parser(
        "seed-demo", help="load the demo operator, network and 90 days of history"
    )
    seed.set_defaults(handler=_seed_demo)

    sim = sub.add_parser(
        "sim",
        help="run simulators: 'stations' (OCPP fleet) or 'home' (BLE home charger)",
        add_help=False,
    )
    sim.add_argument("kind", choices=["stations", "home"])
    sim.add_argument("rest", nargs=argparse.REMAINDER, help="the simulator's own options")
    sim.set_defaults(handler=_sim)

    app = sub.add_parser("app", help="serve an app in offline web mode: operator, driver or home")
    app.add_argument("kind", choices=sorted(APP_PORTS))
    app.add_argument("--host", default="127.0.0.1")
    app.add_argument(
        "--port", type=int, default=0, help="default: operator 8551, driver 8552, home 8553"
    )
    app.add_argument("--api", default="http://127.0.0.1:8000", help="backend base URL")
    app.add_argument(
        "--driver-url",
        default="http://127.0.0.1:8552",
        help="public driver app URL (QR deep links point here)",
    )
    app.add_argument("--tiles", default=None, help="map tile URL template for the driver app")
    app.add_argument(
        "--hci", default="tcp-client:127.0.0.1:9102", help="home app: Bumble HCI of the charger"
    )
    app.set_defaults(handler=_app)

    demo = sub.add_parser("demo", help="migrate, seed and run the whole platform")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--base-port", type=int, default=8000)
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # Libraries that narrate every request or migration step at INFO.
        for noisy in ("alembic", "httpx", "flet", "flet_web", "ocpp"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
