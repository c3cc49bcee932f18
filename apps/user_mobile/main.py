"""Entry point of the driver app: ``make_main`` for any runner, ``serve_driver_app`` for the
offline web server (``chargepile app driver``: the H5 page QR codes open), and ``flet run`` /
``flet build`` support.

One Flet session per phone or browser tab: each gets its own API client (its refresh token kept
in the device's secure storage), its own observable state and its own session follower, all
closed when the session ends.

    .venv/bin/python -m apps.user_mobile.main --api http://127.0.0.1:8000 --port 8552
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import flet as ft
import flet_geolocator as fg
import flet_secure_storage as fss
from flet.utils import is_embedded, is_pyodide

from apps.user_mobile.state.app import DriverConfig, DriverState
from apps.user_mobile.state.cards import CardForm
from apps.user_mobile.state.credentials import DeviceMemory, SecureStorageCredentials
from apps.user_mobile.state.find import Locate
from apps.user_mobile.state.language import LANGUAGE_KEY, initial_language, split_lang
from apps.user_mobile.views.root import DriverApp
from backend_client import ChargepileClient, CredentialStore, CredentialStoreError
from shared import I18n, UiState, install_cjk_font, load_catalogs, start_app

__all__ = [
    "APP_DIR",
    "ASSETS_DIR",
    "CATALOGS",
    "ClientFactory",
    "make_main",
    "run_on_device",
    "serve_driver_app",
]

APP_DIR = Path(__file__).resolve().parent
ASSETS_DIR = APP_DIR / "assets"
CATALOGS = load_catalogs(APP_DIR / "locales")
LOCATE_TIMEOUT = 15.0

ClientFactory = Callable[[CredentialStore], ChargepileClient]
"""Builds a session's API client around the session's credential store."""


def _locator(geo: fg.Geolocator) -> Locate:
    """Ask the device for its position; ``None`` when refused, unsupported or too slow."""

    async def locate() -> tuple[float, float] | None:
        try:
            async with asyncio.timeout(LOCATE_TIMEOUT):
                status = await geo.request_permission()
                if status not in (
                    fg.GeolocatorPermissionStatus.ALWAYS,
                    fg.GeolocatorPermissionStatus.WHILE_IN_USE,
                ):
                    return None
                position = await geo.get_current_position()
        except (TimeoutError, RuntimeError, ValueError):
            return None
        if position.latitude is None or position.longitude is None:
            return None
        return float(position.latitude), float(position.longitude)

    return locate


def make_main(
    client_factory: ClientFactory,
    *,
    public_url: str | None = None,
    tile_url: str | None = None,
    live_events: bool = True,
    assets_dir: Path = ASSETS_DIR,
    config: DriverConfig | None = None,
    card_form: CardForm | None = None,
    on_state: Callable[[DriverState], None] | None = None,
) -> Callable[[ft.Page], Awaitable[None]]:
    """The ``main(page)`` Flet runs per session.

    Args:
        client_factory: makes the session's ``ChargepileClient`` (tests build one on
            ``httpx.ASGITransport``; production one on the network).
        public_url: the driver URL printed in QR codes (deep links to other hosts are refused).
        tile_url: map tile URL template; ``None`` draws the map without tiles.
        live_events: follow the driver's event stream (off when the transport cannot stream).
        assets_dir: where the CJK font is installed for offline Chinese text.
        config: full settings (overrides ``public_url``/``tile_url``/``live_events``).
        card_form: how a typed card becomes a provider token (default: the sandbox's).
        on_state: receives each session's :class:`DriverState` (tests, benchmarks).
    """
    fonts = install_cjk_font(assets_dir)
    i18n = I18n.default().extended(CATALOGS)
    settings = config or DriverConfig(
        public_url=public_url, tile_url=tile_url, live_events=live_events
    )

    async def main(page: ft.Page) -> None:
        ui = UiState(i18n=i18n, fonts=fonts)
        page.title = "chargepile"
        storage = fss.SecureStorage()
        geo = fg.Geolocator()
        launcher = ft.UrlLauncher()
        memory = DeviceMemory(storage)
        client = client_factory(SecureStorageCredentials(storage))
        # Before the first frame, so the page never shows in one language then the other.
        ui.language, route, _explicit = await initial_language(page, memory, page.route)
        state = DriverState.create(
            client, ui.t, memory, navigate=page.push_route, config=settings,
            locate=_locator(geo), card_form=card_form, launch_url=launcher.launch_url,
        )  # fmt: skip

        async def save_language(value: str) -> None:
            with contextlib.suppress(CredentialStoreError):  # then it is just not remembered
                await memory.set(LANGUAGE_KEY, value)

        from_link = [False]  # the language being set came from a ?lang= link

        def remember_language(_sender: object, name: str | None) -> None:
            # The driver's own choice (the language switch) wins on the next visit; a link's
            # choice belongs to the link.
            if name in (None, "language") and not from_link[0]:
                page.run_task(save_language, ui.language.value)

        ui.subscribe(remember_language)
        # Flet drops services (and Observable listeners) nothing references.
        state._services += [storage, geo, launcher, remember_language]
        if on_state is not None:
            on_state(state)

        async def route_changed(e: ft.RouteChangeEvent) -> None:
            route, asked = split_lang(e.route)
            if asked is not None and asked != ui.language:
                from_link[0] = True
                try:
                    ui.set_language(asked)
                finally:
                    from_link[0] = False
            await state.on_route(route)

        async def closed() -> None:
            await state.close()

        page.on_route_change = route_changed
        page.on_close = closed
        start_app(page, ui, lambda: DriverApp(state))
        await state.start(route)

    return main


def serve_driver_app(
    *,
    api_url: str,
    host: str,
    port: int,
    public_url: str | None = None,
    tile_url: str | None = None,
) -> None:
    """Serve the app in web mode, fully offline (no CDN), until interrupted.

    Args:
        api_url: the backend the sessions talk to (must also be reachable by browsers for the
            guest's PDF receipt link).
        public_url: the driver URL printed in QR codes (default: ``http://<host>:<port>``).
        tile_url: map tiles (default: none, the map works without them).

    Sets ``FLET_FORCE_WEB_SERVER``/``FLET_WEB_NO_CDN`` and the server address in this process's
    environment: Flet reads them there, and they override ``ft.run``'s own arguments.
    """
    os.environ["FLET_FORCE_WEB_SERVER"] = "1"
    os.environ["FLET_WEB_NO_CDN"] = "1"
    os.environ["FLET_SERVER_IP"] = host
    os.environ["FLET_SERVER_PORT"] = str(port)
    main = make_main(
        lambda store: ChargepileClient(api_url, credentials=store),
        public_url=public_url or f"http://{host}:{port}",
        tile_url=tile_url,
    )
    ft.run(main, host=host, port=port, assets_dir=str(ASSETS_DIR), no_cdn=True, name="")


def run_on_device() -> None:
    """The packaged phone app (``flet build apk|ipa``): a normal Flet app, no web server.

    The backend and public URLs are baked into the build's environment
    (``CHARGEPILE_API_URL``, ``CHARGEPILE_DRIVER_URL``, ``CHARGEPILE_TILE_URL``).
    """
    api_url = os.environ.get("CHARGEPILE_API_URL", "http://127.0.0.1:8000")
    main = make_main(
        lambda store: ChargepileClient(api_url, credentials=store),
        public_url=os.environ.get("CHARGEPILE_DRIVER_URL"),
        tile_url=os.environ.get("CHARGEPILE_TILE_URL"),
    )
    ft.run(main, assets_dir=str(ASSETS_DIR))


def _cli() -> None:
    # Inside a phone build (or Pyodide), not as the H5 server.
    if is_embedded() or is_pyodide():  # type: ignore[no-untyped-call]
        run_on_device()
        return
    parser = argparse.ArgumentParser(description="Serve the chargepile driver app (web, offline)")
    parser.add_argument(
        "--api", default=os.environ.get("CHARGEPILE_API_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8552)
    parser.add_argument("--public-url", default=None)
    parser.add_argument("--tiles", default=os.environ.get("CHARGEPILE_TILE_URL"))
    args = parser.parse_args()
    serve_driver_app(
        api_url=args.api,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        tile_url=args.tiles,
    )


if __name__ == "__main__":
    _cli()
