"""Restart tolerance of the home app: the wall box restarts while the app is open.

The home app talks Bluetooth to the charger, not to the backend, so "the server restarts" is
the charger restarting (power cut, firmware update): the link drops, nothing answers for a
while, then a charger with the same identity and key store but a new epoch comes back, and the
charging session it was running is gone. A user must see, without touching anything, that the
app is reconnecting, then that it reconnected, and then the charger's *current* state (not the
"Charging" it showed before), in English and in Chinese.

The restart is real: the simulator is stopped (its controller leaves the air) and a new one is
started from the same key-store file, as the firmware would boot from flash. The app is the
real one on the fake Flet client over unmodified bleak with the Bumble backend.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bumble.link import LocalLink

from apps.home.links import SharedRadio
from apps.home.main import make_main
from apps.home.state.app import HomeState
from apps.home.storage import secure_storage
from shared import ConnectionState
from simulators.home import HomeSimulator, HomeSimulatorConfig
from tests.home_app.conftest import PHONE, DeviceStorage, Phones, enroll_by_code
from tests.support.flet_harness import FakeApp
from tests.support.servers import ROOT, child_env, free_port

DOWN_FOR_S = 1.0  # the charger is off this long: several reconnect attempts fail meanwhile
SHOW_WITHIN_S = 5.0  # "a few seconds" after the charger is back
# make demo: production back-off (up to 5 s between attempts) and a 2-core machine
DEMO_SHOW_WITHIN_S = 12.0


@pytest.fixture
def air() -> LocalLink:
    return LocalLink()  # type: ignore[no-untyped-call]


@pytest.fixture
async def phones(air: LocalLink) -> AsyncIterator[Phones]:
    p = Phones(air)
    yield p
    for radio in p.radios:
        await radio.close()


class Charger:
    """The simulated wall box that can be power-cycled for real (stop, then boot again)."""

    def __init__(self, air: LocalLink, keystore: Path) -> None:
        self.air = air
        self.config = HomeSimulatorConfig(plugged=True, keystore_path=keystore)
        self.sim: HomeSimulator | None = None
        self.boots = 0

    async def boot(self) -> HomeSimulator:
        self.sim = await HomeSimulator.start(self.air, self.config)
        self.boots += 1
        return self.sim

    async def power_off(self) -> None:
        if self.sim is not None:
            sim, self.sim = self.sim, None
            await sim.stop()


@pytest.fixture
async def charger(air: LocalLink, tmp_path: Path) -> AsyncIterator[Charger]:
    box = Charger(air, tmp_path / "charger.json")
    await box.boot()
    yield box
    await box.power_off()


async def _charging(fake: FakeApp, sim: HomeSimulator) -> None:
    await enroll_by_code(fake, sim)
    await fake.wait_for(
        lambda: fake.has_key("charge-toggle") and not fake.by_key("charge-toggle").disabled
    )
    await fake.click("charge-toggle")
    await fake.wait_for(lambda: fake.by_key("charge-state").value == "Charging")


async def _restart(charger: Charger) -> HomeSimulator:
    await charger.power_off()
    await asyncio.sleep(DOWN_FOR_S)
    return await charger.boot()


@pytest.mark.parametrize(
    ("chinese", "reconnecting", "reconnected", "plugged"),
    [
        (False, "Reconnecting", "Reconnected", "Vehicle plugged in"),
        (True, "正在重新连接", "已重新连接", "车辆已连接"),
    ],
)
async def test_charger_restart_app_reconnects_and_shows_current_state(
    phones: Phones,
    charger: Charger,
    chinese: bool,
    reconnecting: str,
    reconnected: str,
    plugged: str,
) -> None:
    assert charger.sim is not None
    async with phones.app() as (fake, state):
        await _charging(fake, charger.sim)
        if chinese:
            await fake.click("lang-switch")
            await fake.wait_for(lambda: fake.by_key("charge-state").value == "充电中")
        seen: list[ConnectionState] = []

        def record(*_: object) -> None:
            seen.append(state.charge.connection)

        state.charge.subscribe(record)  # Observable keeps listeners weakly: `record` stays alive

        await charger.power_off()
        await fake.wait_for_text(reconnecting)  # told while the charger is away
        await asyncio.sleep(DOWN_FOR_S)
        assert state.charge.connection is ConnectionState.RECONNECTING
        sim = await charger.boot()
        back_at = time.monotonic()
        # the restarted charger lost its charging session: the app must show that, by itself
        await fake.wait_for(
            lambda: fake.by_key("charge-state").value == plugged and fake.has_text(reconnected),
            timeout=SHOW_WITHIN_S,
        )
        assert time.monotonic() - back_at < SHOW_WITHIN_S
        assert ConnectionState.RECONNECTING in seen and state.charge.online
        assert sim.core.boot_count == 1 and charger.boots == 2  # a new boot, not a link drop
        assert sim.model.session is None

        # and the reconnected app controls the restarted charger
        await fake.click("charge-toggle")
        await fake.wait_for(lambda: sim.model.session is not None)
        await fake.wait_for(lambda: fake.by_key("charge-state").value != plugged)


async def test_charger_restarting_repeatedly_app_follows_every_time(
    phones: Phones, charger: Charger
) -> None:
    """Three restarts in a row with different outages: the app never gives up (back-off
    keeps trying) and after each one shows what the charger reports now."""
    assert charger.sim is not None
    async with phones.app() as (fake, state):
        await _charging(fake, charger.sim)
        for outage, plug in ((0.2, False), (1.5, True), (0.5, False)):
            await charger.power_off()
            await asyncio.sleep(outage)
            sim = await charger.boot()
            if not plug:
                sim.unplug()  # someone took the cable while the box was off
            expected = "Vehicle plugged in" if plug else "No vehicle plugged in"
            await fake.wait_for(
                lambda e=expected: (  # type: ignore[misc]
                    fake.by_key("charge-state").value == e and state.charge.online
                ),
                timeout=SHOW_WITHIN_S,
            )
            assert fake.has_text("Reconnected")
        assert charger.boots == 4


# --- make demo: the simulator is its own process and is killed and started again -------------


class SimulatorProcess:
    """``python -m simulators.home`` on a fixed HCI port with a key-store file (make demo)."""

    def __init__(self, port: int, keystore: Path) -> None:
        self.port, self.keystore = port, keystore
        self.proc: asyncio.subprocess.Process | None = None
        self.typed_code = ""

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulators.home", "--port", str(self.port),
            "--keystore", str(self.keystore),
            cwd=ROOT, env=child_env(), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert self.proc.stdout is not None
        async with asyncio.timeout(20):
            while not self.typed_code:
                line = (await self.proc.stdout.readline()).decode()
                assert line, "the simulator exited before printing its label"
                if line.startswith("typed code:"):
                    self.typed_code = line.split(":", 1)[1].strip()

    async def kill(self) -> None:
        """SIGKILL: a power cut, nothing is shut down cleanly."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self.proc = None


@pytest.fixture
async def simulator_process(tmp_path: Path) -> AsyncIterator[SimulatorProcess]:
    sim = SimulatorProcess(free_port(), tmp_path / "charger.json")
    await sim.start()
    yield sim
    await sim.kill()


async def test_simulator_process_restart_demo_app_reconnects_by_itself(
    simulator_process: SimulatorProcess,
) -> None:
    """``make demo``: the app's radio is the simulator process's second controller over TCP
    HCI, so a restarted simulator takes the radio with it. The app (the demo's own link
    factory, default back-off) must reopen the radio and the link by itself."""
    shared = SharedRadio(f"tcp-client:127.0.0.1:{simulator_process.port}")
    states: list[HomeState] = []
    main = make_main(shared.open, secure_storage, scan_timeout=0.5, on_state=states.append)
    fake = FakeApp(main, width=PHONE[0], height=PHONE[1], method_results=DeviceStorage().results())
    try:
        async with fake:
            await fake.wait_for(lambda: bool(states) and states[0].phase != "starting")
            state = states[0]
            await fake.enter_text("enroll-code", simulator_process.typed_code)
            await fake.click("enroll-submit")
            await fake.wait_for(
                lambda: fake.has_key("charge-toggle") and not fake.by_key("charge-toggle").disabled,
                timeout=15,
            )
            await fake.click("charge-toggle")
            await fake.wait_for(lambda: fake.by_key("charge-state").value == "Charging")

            await simulator_process.kill()
            await fake.wait_for_text("Reconnecting")
            await asyncio.sleep(DOWN_FOR_S)
            await simulator_process.start()
            back_at = time.monotonic()
            await fake.wait_for(
                lambda: (
                    fake.by_key("charge-state").value == "Vehicle plugged in"
                    and fake.has_text("Reconnected")
                ),
                timeout=DEMO_SHOW_WITHIN_S,
            )
            print(f"demo app showed the restarted charger after {time.monotonic() - back_at:.1f} s")
            assert state.charge.online
            await fake.click("charge-toggle")
            await fake.wait_for(lambda: fake.by_key("charge-state").value == "Charging")
            await state.close()
    finally:
        await shared.aclose()
