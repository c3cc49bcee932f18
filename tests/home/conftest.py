"""Fixtures for the home-charging tests: a fresh virtual radio (Bumble LocalLink), a simulated
charger on it, and app links that go through unmodified bleak with the Bumble backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from bumble.link import LocalLink

from apps.home.ble import BleakHomeChargerLink
from apps.home.ble.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner
from home_protocol.crypto import generate_private_key
from simulators.home import HomeSimulator, HomeSimulatorConfig

SimFactory = Callable[..., Awaitable[HomeSimulator]]
LinkFactory = Callable[..., BleakHomeChargerLink]


@pytest.fixture
def air() -> LocalLink:
    return LocalLink()


@pytest.fixture
async def radio(air: LocalLink) -> AsyncIterator[BumbleRadio]:
    r = BumbleRadio(air)
    yield r
    await r.close()


@pytest.fixture
async def make_sim(air: LocalLink) -> AsyncIterator[SimFactory]:
    sims: list[HomeSimulator] = []

    async def factory(**overrides: Any) -> HomeSimulator:
        overrides.setdefault("plugged", True)
        sim = await HomeSimulator.start(air, HomeSimulatorConfig(**overrides))
        sims.append(sim)
        return sim

    yield factory
    for sim in sims:
        await sim.stop()


@pytest.fixture
async def sim(make_sim: SimFactory) -> HomeSimulator:
    return await make_sim()


@pytest.fixture
async def make_link(air: LocalLink) -> AsyncIterator[LinkFactory]:
    """Each link is another phone: its own virtual controller and address on the air."""
    links: list[BleakHomeChargerLink] = []
    radios: list[BumbleRadio] = []

    def factory(**overrides: Any) -> BleakHomeChargerLink:
        radio = BumbleRadio(air, central_address=f"C1:00:00:00:00:{len(radios) + 1:02X}")
        radios.append(radio)
        kw: dict[str, Any] = {
            "scanner_backend": BumbleScanner,
            "client_backend": BumbleClient,
            "backend_kwargs": {"radio": radio},
            "command_timeout": 3.0,
            "connect_timeout": 3.0,
            "scan_timeout": 2.0,
            "backoff_initial": 0.02,
            "backoff_max": 0.2,
        }
        kw.update(overrides)
        link = BleakHomeChargerLink(kw.pop("app_key", None) or generate_private_key(), **kw)
        links.append(link)
        return link

    yield factory
    for link in links:
        await link.close()
    for radio in radios:
        await radio.close()


async def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    """Poll until ``predicate()`` is true (state that changes on the event loop)."""
    # polling on purpose: predicates mix app-link and simulator state, which share no event
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
