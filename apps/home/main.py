"""Entry point of the home app: ``make_main`` for any runner, ``serve_home_app`` for the offline
web demo (``chargepile app home``), and ``flet run`` / ``flet build`` support.

One Flet session per browser tab (or phone): each gets its own state, its own charger link and
its own key storage (SecureStorage on the client device in web/phone mode, keyring on desktop).

Demo (two terminals)::

    .venv/bin/chargepile sim home --port 9102          # prints the label QR text / typed code
    .venv/bin/python -m apps.home.main --hci tcp-client:127.0.0.1:9102 --port 8553
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import flet as ft

from apps.home.ble.link import HomeChargerLink
from apps.home.errors import HomeAppError
from apps.home.links import LinkFactory, SharedRadio, close_in_time, os_link
from apps.home.state.app import HomeState
from apps.home.state.errors import describe_error
from apps.home.storage import APP_KEY_SLOT, PAIRING_SLOT, StorageFactory, device_storage
from apps.home.views.common import SERVICES, Services
from apps.home.views.root import Boot, BootState
from shared import I18n, UiState, install_cjk_font, load_catalogs, start_app

__all__ = ["APP_DIR", "ASSETS_DIR", "CATALOGS", "make_main", "serve_home_app"]

APP_DIR = Path(__file__).resolve().parent
ASSETS_DIR = APP_DIR / "assets"
CATALOGS = load_catalogs(APP_DIR / "locales")


def make_main(
    link_factory: LinkFactory,
    key_storage_factory: Callable[[], StorageFactory] = device_storage,
    *,
    assets_dir: Path = ASSETS_DIR,
    scan_timeout: float = 3.0,
    on_state: Callable[[HomeState], None] | None = None,
) -> Callable[[ft.Page], Awaitable[None]]:
    """The ``main(page)`` Flet runs per session.

    Args:
        link_factory: builds the session's charger link around its app-key storage
            (:class:`~apps.home.links.SharedRadio` for the demo, ``os_link`` on desktop, a
            Bumble LocalLink in tests).
        key_storage_factory: called in the page context; returns the storage of each slot
            (``"app-key"``, ``"pairing"``). Default: SecureStorage on web/phones, keyring on
            desktop.
        assets_dir: where the CJK font is installed for offline Chinese text.
        scan_timeout: seconds the enrolment screen scans for chargers nearby.
        on_state: receives each session's :class:`HomeState` (tests, benchmarks).
    """
    fonts = install_cjk_font(assets_dir)
    i18n = I18n.default().extended(CATALOGS)

    async def main(page: ft.Page) -> None:
        ui = UiState(i18n=i18n, fonts=fonts)
        page.title = "chargepile home"
        slots = key_storage_factory()
        services = Services(keep=[slots])
        boot = BootState()
        # Something on screen at once: reading the key from the device and opening the radio
        # take a moment (the demo server may first have to take its radio back from a tab).
        start_app(page, ui, lambda: SERVICES(services, lambda: Boot(boot)))
        try:
            handle = await link_factory(slots(APP_KEY_SLOT))
        except HomeAppError as exc:  # the app key could not be read or stored
            boot.error = describe_error(exc, ui.t)
            return
        handles = [handle]

        async def reopen() -> HomeChargerLink:
            handles.append(await link_factory(slots(APP_KEY_SLOT)))
            return handles[-1].link

        state = HomeState.create(handle.link, ui.t, slots(PAIRING_SLOT), reopen=reopen)
        state.enroll.scan_timeout = scan_timeout
        if on_state is not None:
            on_state(state)

        async def closed() -> None:
            await state.close()
            for opened in handles:
                await close_in_time(opened)

        def language_changed(_sender: object, name: str | None) -> None:
            if name == "language":
                state.clear_messages()

        services.keep.append(language_changed)  # Observable holds listeners weakly
        ui.subscribe(language_changed)
        page.on_close = closed
        boot.state = state
        state.ctx.spawn(state.start())

    return main


def serve_home_app(*, host: str, port: int, hci_transport: str) -> None:
    """Serve the app in web mode, fully offline (no CDN), against the simulated charger.

    ``hci_transport`` is the Bumble moniker of ``chargepile sim home`` (for example
    ``tcp-client:127.0.0.1:9102``). The app's Python runs in this server process, so all
    browser sessions share its one radio (see :class:`~apps.home.links.SharedRadio`); each
    browser keeps its own app key and pairing in its own SecureStorage. Runs until interrupted.
    """
    os.environ["FLET_FORCE_WEB_SERVER"] = "1"
    os.environ["FLET_WEB_NO_CDN"] = "1"
    os.environ["FLET_SERVER_IP"] = host
    os.environ["FLET_SERVER_PORT"] = str(port)
    radio = SharedRadio(hci_transport)
    main = make_main(radio.open)
    ft.run(main, host=host, port=port, assets_dir=str(ASSETS_DIR), no_cdn=True, name="")


def _cli() -> None:
    parser = argparse.ArgumentParser(description="Serve the chargepile home app")
    parser.add_argument("--hci", default=None, help="Bumble HCI transport of the simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8553)
    args = parser.parse_args()
    if args.hci:
        serve_home_app(host=args.host, port=args.port, hci_transport=args.hci)
    else:  # the OS's Bluetooth (desktop or a Linux box with a radio)
        ft.run(make_main(os_link), assets_dir=str(ASSETS_DIR))


if __name__ == "__main__":
    _cli()
