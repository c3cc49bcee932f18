"""Entry point of the operator app: ``make_main`` for any runner, ``serve_operator_app`` for the
offline web server (``chargepile app operator``), and ``flet run`` / ``flet build`` support.

One Flet session per browser tab (or phone): each gets its own API client whose refresh token
is kept by Flet ``SecureStorage`` on that device, its own observable state, and its own live
event stream, all closed when the session ends.

Run it against a backend::

    .venv/bin/python -m apps.operator_mobile.main --api http://127.0.0.1:8000 --port 8551
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import flet as ft
import flet_secure_storage as fss

from apps.operator_mobile.state.app import OperatorState
from apps.operator_mobile.state.credentials import SecureStorageCredentials
from apps.operator_mobile.views.common import SERVICES, Services
from apps.operator_mobile.views.root import OperatorApp
from backend_client import ChargepileClient, CredentialStore
from shared import I18n, UiState, bind_page, install_cjk_font, load_catalogs, provide_ui

__all__ = ["APP_DIR", "ASSETS_DIR", "ClientFactory", "make_main", "serve_operator_app"]

APP_DIR = Path(__file__).resolve().parent
ASSETS_DIR = APP_DIR / "assets"
CATALOGS = load_catalogs(APP_DIR / "locales")

ClientFactory = Callable[[CredentialStore], ChargepileClient]
"""Builds a session's API client around the session's credential store."""


def make_main(
    client_factory: ClientFactory,
    *,
    public_driver_url: str,
    live_events: bool = True,
    assets_dir: Path = ASSETS_DIR,
    on_state: Callable[[OperatorState], None] | None = None,
) -> Callable[[ft.Page], Awaitable[None]]:
    """The ``main(page)`` Flet runs per session.

    Args:
        client_factory: makes the session's ``ChargepileClient`` (tests pass one built on
            ``httpx.ASGITransport``; production one on the network).
        public_driver_url: base of the driver deep links printed on QR labels.
        live_events: follow the backend's event stream (off for in-process view tests).
        assets_dir: where the CJK font is installed for offline Chinese text.
        on_state: receives each session's :class:`OperatorState` (tests, benchmarks).
    """
    fonts = install_cjk_font(assets_dir)
    i18n = I18n.default().extended(CATALOGS)

    async def main(page: ft.Page) -> None:
        ui = UiState(i18n=i18n, fonts=fonts)
        page.title = "chargepile operator"
        bind_page(page, ui)
        storage = fss.SecureStorage()
        services = Services(public_driver_url=public_driver_url, keep=[storage])
        client = client_factory(SecureStorageCredentials(storage))
        state = OperatorState.create(client, ui.t, live_events=live_events)
        if on_state is not None:
            on_state(state)

        async def closed() -> None:
            await state.close()

        page.on_close = closed
        page.render_views(
            lambda: provide_ui(
                ui, lambda: SERVICES(services, lambda: OperatorApp(state, state.auth))
            )
        )
        await state.start()

    return main


def serve_operator_app(*, api_url: str, host: str, port: int, public_driver_url: str) -> None:
    """Serve the app in web mode, fully offline (no CDN), until interrupted.

    Sets ``FLET_FORCE_WEB_SERVER``/``FLET_WEB_NO_CDN`` and the server address in this process's
    environment: Flet reads them there, and they override ``ft.run``'s own arguments.
    """
    os.environ["FLET_FORCE_WEB_SERVER"] = "1"
    os.environ["FLET_WEB_NO_CDN"] = "1"
    os.environ["FLET_SERVER_IP"] = host
    os.environ["FLET_SERVER_PORT"] = str(port)
    main = make_main(
        lambda store: ChargepileClient(api_url, credentials=store),
        public_driver_url=public_driver_url,
    )
    ft.run(main, host=host, port=port, assets_dir=str(ASSETS_DIR), no_cdn=True, name="")


def _cli() -> None:
    parser = argparse.ArgumentParser(description="Serve the chargepile operator app (web, offline)")
    parser.add_argument(
        "--api", default=os.environ.get("CHARGEPILE_API_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8551)
    parser.add_argument("--driver-url", default="http://127.0.0.1:8552")
    args = parser.parse_args()
    serve_operator_app(
        api_url=args.api, host=args.host, port=args.port, public_driver_url=args.driver_url
    )


if __name__ == "__main__":
    _cli()
