"""Demo wiring: the home app's real BLE link driving the simulated charger (``make demo``).

The composition root of the app calls ``open_demo_link`` instead of building a link on the OS
backend. In-process (default) the simulator runs on a Bumble LocalLink in the same event loop;
with ``transport="tcp-client:127.0.0.1:9102"`` it reaches ``chargepile sim home`` running as
its own process.
"""

from __future__ import annotations

import dataclasses

from bumble.link import LocalLink

from apps.home.ble.bleak_link import BleakHomeChargerLink
from apps.home.ble.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner
from apps.home.ble.keys import AppKeyStorage, load_or_create_app_key
from simulators.home import HomeSimulator, HomeSimulatorConfig

__all__ = ["DemoLink", "open_demo_link"]


@dataclasses.dataclass
class DemoLink:
    link: BleakHomeChargerLink
    radio: BumbleRadio
    simulator: HomeSimulator | None  # None when the simulator is another process

    async def close(self) -> None:
        await self.link.close()
        await self.radio.close()
        if self.simulator is not None:
            await self.simulator.stop()


async def open_demo_link(
    key_storage: AppKeyStorage,
    *,
    transport: str | None = None,
    config: HomeSimulatorConfig | None = None,
) -> DemoLink:
    """Start (or reach) the simulated charger and return a link to it, not yet enrolled.

    The label to enrol with is ``demo.simulator.label`` in-process, or the QR text printed by
    the simulator process.
    """
    key = await load_or_create_app_key(key_storage)
    simulator: HomeSimulator | None = None
    if transport is None:
        air = LocalLink()  # type: ignore[no-untyped-call]
        simulator = await HomeSimulator.start(air, config or HomeSimulatorConfig(plugged=True))
        radio = BumbleRadio(air)
    else:
        radio = BumbleRadio(transport=transport)
    link = BleakHomeChargerLink(
        key,
        scanner_backend=BumbleScanner,
        client_backend=BumbleClient,
        backend_kwargs={"radio": radio},
    )
    return DemoLink(link, radio, simulator)
