"""Assembly of the simulated home charger and its two ways of running.

* In-process: ``await HomeSimulator.start(link)`` attaches a virtual controller to a Bumble
  ``LocalLink`` shared with the test's central (the bleak-over-Bumble backend).
* Own process: ``run_home_simulator(port=...)`` (``chargepile sim home`` /
  ``python -m simulators.home``) owns the LocalLink and exposes a second virtual controller on
  ``tcp-server:127.0.0.1:<port>``; the app opens ``tcp-client:127.0.0.1:<port>`` as its HCI
  transport (``BumbleRadio(transport=...)`` in apps/home/ble).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from home_protocol.label import ChargerLabel
from simulators.home.core import ChargerCore
from simulators.home.keystore import KeyStore
from simulators.home.model import ChargerModel, VirtualClock
from simulators.home.peripheral import HomeChargerPeripheral

__all__ = ["HomeSimulator", "HomeSimulatorConfig", "run_home_simulator"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class HomeSimulatorConfig:
    serial: str = "CPH-SIM-0001"
    keystore_path: Path | None = None  # persist identity/keys/history here if given
    pairing_window_s: float = 600.0  # window open this long after power-up
    address: str = "F0:CA:FE:00:00:01"
    advertising_interval_ms: float = 20.0
    max_mtu: int = 247  # 23 forces the minimum ATT MTU
    hardware_max_a: int = 32
    clock_speed: float = 1.0  # virtual clock speed (×real time)
    plugged: bool = False  # vehicle connected at start


class HomeSimulator:
    """A complete simulated charger: model, key store, protocol core, GATT peripheral."""

    def __init__(self, config: HomeSimulatorConfig, device: Device, store: KeyStore) -> None:
        self.config = config
        self._air: tuple[LocalLink, Controller] | None = None  # set by start()
        self.clock = VirtualClock(speed=config.clock_speed)
        settings = store.settings
        self.model = ChargerModel(
            self.clock,
            hardware_max_a=config.hardware_max_a,
            installation_max_a=settings.get("installation_max_a", 16),
            phases=settings.get("phases", 1),
            history=store.history,
        )
        self.model.current_limit_a = settings.get("current_limit_a", self.model.installation_max_a)
        self.model.plugged = config.plugged
        self.model.locked = bool(settings.get("locked", 0))
        self.core = ChargerCore(store, self.model, pairing_window_s=config.pairing_window_s)
        self.peripheral = HomeChargerPeripheral(
            self.core,
            device,
            advertising_interval_ms=config.advertising_interval_ms,
            max_mtu=config.max_mtu,
        )

    @classmethod
    async def start(
        cls, link: LocalLink, config: HomeSimulatorConfig | None = None
    ) -> HomeSimulator:
        """Attach a new virtual controller to ``link``, power on and advertise."""
        config = config or HomeSimulatorConfig()
        store = KeyStore.open(config.keystore_path, config.serial)
        controller = Controller("home-charger", link=link, public_address=config.address)
        device = Device(
            name="home-charger",
            address=Address(config.address),
            host=Host(controller, AsyncPipeSink(controller)),
        )
        sim = cls(config, device, store)
        sim._air = (link, controller)
        await sim.peripheral.start()
        return sim

    async def stop(self) -> None:
        await self.peripheral.stop()
        if self._air is not None:
            # leave the air like a switched-off box: LocalLink routes by address to whichever
            # controller it finds first, so a restarted charger with the same address must not
            # compete with this dead one
            link, controller = self._air
            self._air = None
            with contextlib.suppress(KeyError):
                link.remove_controller(controller)

    @property
    def label(self) -> ChargerLabel:
        return self.core.store.identity.label

    @property
    def address(self) -> str:
        return self.config.address

    # --- controls (what a person does at the wall box) ----------------------------------

    def plug_in(self) -> None:
        self.model.plug_in()

    def unplug(self) -> None:
        self.model.unplug()

    async def press_pairing_button(self) -> None:
        self.core.press_pairing_button()
        await self.peripheral.refresh_advertising()

    async def close_pairing_window(self) -> None:
        self.core.close_pairing_window()
        await self.peripheral.refresh_advertising()

    async def reboot(self) -> None:
        await self.peripheral.reboot()

    def inject_fault(self, description: str = "ground fault") -> None:
        self.model.inject_fault(description)

    def clear_fault(self) -> None:
        self.model.clear_fault()

    async def drop_link(self) -> None:
        await self.peripheral.drop_links()

    def mute_responses(self, muted: bool = True) -> None:
        """Keep executing commands but send no responses (a hung link, as seen by the app)."""
        self.peripheral.mute_responses = muted

    def lose_next_response(self) -> None:
        """Execute the next command but drop the link instead of answering it."""
        self.peripheral.drop_before_next_response = True


_CONTROLS_HELP = (
    "controls: plug | unplug | button | reboot | fault [text] | clear | drop | status | quit"
)


async def _control(sim: HomeSimulator, line: str, out: Callable[[str], None]) -> bool:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "plug":
        sim.plug_in()
    elif cmd == "unplug":
        sim.unplug()
    elif cmd == "button":
        await sim.press_pairing_button()
    elif cmd == "reboot":
        await sim.reboot()
    elif cmd == "fault":
        sim.inject_fault(arg or "ground fault")
    elif cmd == "clear":
        sim.clear_fault()
    elif cmd == "drop":
        await sim.drop_link()
    elif cmd == "quit":
        return False
    elif cmd not in ("status", ""):
        out(_CONTROLS_HELP)
    out(f"status: {sim.model.status()}")
    return True


async def run_home_simulator(
    *,
    port: int = 9102,
    keystore_path: Path | None = None,
    serial: str = "CPH-SIM-0001",
    pairing_window_s: float = 600.0,
    plugged: bool = True,
    interactive: bool = False,
    ready: Callable[[HomeSimulator], Any] | None = None,
) -> None:
    """Run a simulated home charger in this process until cancelled.

    The app connects with the Bumble HCI transport ``tcp-client:127.0.0.1:<port>``. With
    ``interactive`` the controls are read line by line from stdin. ``ready`` is called with
    the started simulator (tests and the demo use it to get the label).
    """
    from bumble.transport import open_transport

    link = LocalLink()  # type: ignore[no-untyped-call]
    sim = await HomeSimulator.start(
        link,
        HomeSimulatorConfig(
            serial=serial,
            keystore_path=keystore_path,
            pairing_window_s=pairing_window_s,
            plugged=plugged,
        ),
    )
    transport = await open_transport(f"tcp-server:127.0.0.1:{port}")
    # the app's central controller lives here, on the same link, reached over TCP HCI
    Controller(
        "app-central",
        host_source=transport.source,
        host_sink=transport.sink,
        link=link,
        public_address="C0:00:00:00:00:01",
    )

    def out(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    out(f"home charger simulator: HCI for the app on tcp-client:127.0.0.1:{port}")
    out(f"label QR text: {sim.label.to_qr_text()}")
    out(f"typed code:    {sim.label.typed_code()}")
    if ready is not None:
        ready(sim)
    try:
        if interactive:
            out(_CONTROLS_HELP)
            loop = asyncio.get_running_loop()
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line or not await _control(sim, line, out):
                    break
        else:
            await asyncio.Event().wait()
    finally:
        await sim.stop()
        with contextlib.suppress(Exception):
            await transport.close()
