"""Fixtures of the home-app view tests: the real app on the fake Flet client, driving a real
simulated charger (Bumble GATT peripheral on a LocalLink) through unmodified bleak over the
Bumble backend, exactly the production code path below the views."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from bumble.link import LocalLink

from apps.home.ble import BleakHomeChargerLink
from apps.home.ble.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner
from apps.home.ble.keys import AppKeyStorage, load_or_create_app_key
from apps.home.links import LinkHandle, OwnedLink
from apps.home.main import make_main
from apps.home.state.app import HomeState
from apps.home.storage import secure_storage
from simulators.home import HomeSimulator, HomeSimulatorConfig
from tests.support.flet_harness import FakeApp

PHONE = (390, 844)


class DeviceStorage:
    """One phone's secure storage as the fake Flet client answers ``SecureStorage`` calls."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def results(self) -> dict[str, Any]:
        return {
            "SecureStorage.get": lambda a: self.values.get(a["key"]),
            "SecureStorage.set": lambda a: self.values.__setitem__(a["key"], a["value"]),
            "SecureStorage.remove": lambda a: self.values.pop(a["key"], None),
        }


@dataclass
class Phones:
    """Makes app sessions; each phone has its own radio (address) on the shared air."""

    air: LocalLink
    radios: list[BumbleRadio] = field(default_factory=list)

    async def link(self, key_storage: AppKeyStorage) -> LinkHandle:
        radio = BumbleRadio(self.air, central_address=f"C2:00:00:00:00:{len(self.radios) + 1:02X}")
        self.radios.append(radio)
        return OwnedLink(
            BleakHomeChargerLink(
                await load_or_create_app_key(key_storage),
                scanner_backend=BumbleScanner,
                client_backend=BumbleClient,
                backend_kwargs={"radio": radio},
                command_timeout=3.0,
                connect_timeout=3.0,
                scan_timeout=1.0,
                backoff_initial=0.02,
                backoff_max=0.2,
            )
        )

    @asynccontextmanager
    async def app(
        self,
        storage: DeviceStorage | None = None,
        *,
        size: tuple[int, int] = PHONE,
        extra_results: dict[str, Any] | None = None,
    ) -> AsyncIterator[tuple[FakeApp, HomeState]]:
        """The home app on the fake client; ``storage`` is the phone's SecureStorage."""
        states: list[HomeState] = []
        main = make_main(self.link, secure_storage, scan_timeout=0.3, on_state=states.append)
        results = (storage or DeviceStorage()).results() | (extra_results or {})
        fake = FakeApp(main, width=size[0], height=size[1], method_results=results)
        async with fake:
            await fake.wait_for(lambda: states[0].phase != "starting")
            try:
                yield fake, states[0]
            finally:
                await states[0].close()
                await close_link(states[0].ctx.link)


@pytest.fixture
def air() -> LocalLink:
    return LocalLink()  # type: ignore[no-untyped-call]


@pytest.fixture
async def phones(air: LocalLink) -> AsyncIterator[Phones]:
    p = Phones(air)
    yield p
    for radio in p.radios:
        await radio.close()


@pytest.fixture
async def sim(air: LocalLink) -> AsyncIterator[HomeSimulator]:
    s = await HomeSimulator.start(air, HomeSimulatorConfig(plugged=True))
    yield s
    await s.stop()


async def enroll_by_code(fake: FakeApp, sim: HomeSimulator, *, member: bool = False) -> None:
    """Type the label's code and pair, as a person would."""
    await fake.enter_text("enroll-code", sim.label.typed_code())
    if member:
        await set_value(fake, "enroll-member", True)
    await fake.click("enroll-submit")


async def set_value(fake: FakeApp, key: str, value: Any, event: str = "change") -> None:
    """Change a switch/slider like the client: patch its value, then send the event."""
    control = fake.by_key(key)
    fake.session.apply_patch(control._i, {"value": value})
    await fake.fire(control, event, value)


async def close_link(link: Any) -> None:
    """``link.close()``, which must finish promptly even mid connection attempt."""
    async with asyncio.timeout(10):
        await link.close()
