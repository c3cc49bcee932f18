"""Charger model (IEC 61851 states, meter, schedule runner), key store persistence and the
app's key storage."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from apps.home.ble.keys import KeyringKeyStorage, MemoryKeyStorage, load_or_create_app_key
from home_protocol.commands import WeeklyWindow
from home_protocol.crypto import generate_private_key, private_key_to_bytes, public_key_bytes
from home_protocol.reasons import KeyState, ReasonCode, Role
from simulators.home.keystore import KeyRecord, KeyStore
from simulators.home.model import ChargerModel, VirtualClock

MONDAY_0000 = 1_767_571_200  # 2026-01-05T00:00:00Z, a Monday


def frozen_clock(start: float) -> VirtualClock:
    return VirtualClock(start, monotonic=lambda: 0.0)


def test_states_and_meter_follow_plug_start_and_fault() -> None:
    model = ChargerModel(frozen_clock(MONDAY_0000), installation_max_a=16)
    assert model.iec_state == "A"
    assert model.start(None, privileged=False) is ReasonCode.NOT_PLUGGED
    model.plug_in()
    assert model.iec_state == "B"
    assert model.start(b"k" * 8, privileged=False) is ReasonCode.OK
    assert model.iec_state == "C" and model.power_w == 3680
    model.clock.advance(3600)
    model.tick()
    assert model.status().session_energy_wh == 3680 and model.status().meter_wh == 3680
    model.inject_fault("RCD")
    assert model.iec_state == "F" and model.session is None
    assert model.start(None, privileged=True) is ReasonCode.FAULT
    assert len(model.history) == 1 and model.history[0].energy_wh == 3680


def test_weekly_off_peak_window_starts_and_holds_charging() -> None:
    model = ChargerModel(frozen_clock(MONDAY_0000 + 20 * 3600))  # Monday 20:00
    model.plug_in()
    model.set_weekly((WeeklyWindow(0b0000001, 22 * 60, 6 * 60),))  # Mondays 22:00-06:00
    assert model.session is None and model.status().waiting_for_schedule
    model.clock.advance(2 * 3600)  # Monday 22:00
    model.tick()
    assert model.iec_state == "C"
    model.clock.advance(7 * 3600)  # Tuesday 05:00: still the Monday window
    model.tick()
    assert model.iec_state == "C"
    model.clock.advance(3600)  # Tuesday 06:00: window over
    model.tick()
    assert model.iec_state == "B" and model.status().waiting_for_schedule


def test_delayed_start_fires_once() -> None:
    model = ChargerModel(frozen_clock(MONDAY_0000))
    model.plug_in()
    assert model.set_delayed_start(MONDAY_0000 - 1) is ReasonCode.INVALID_ARGUMENT
    assert model.set_delayed_start(MONDAY_0000 + 60) is ReasonCode.OK
    model.tick()
    assert model.session is None
    model.clock.advance(61)
    model.tick()
    assert model.iec_state == "C" and model.delayed_start_at is None


def test_key_store_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "charger.json"
    store = KeyStore.open(path, "CPH-PERSIST-1")
    phone = public_key_bytes(generate_private_key())
    store.add(KeyRecord(phone, Role.MEMBER, "tablet", KeyState.PENDING, 5))
    store.approve(store.records()[0].key_id, Role.MEMBER)
    again = KeyStore.open(path)
    assert again.identity.label == store.identity.label
    (record,) = again.records()
    assert record.public_key == phone and record.state is KeyState.ACTIVE


async def test_app_key_is_created_once_and_reloaded() -> None:
    storage = MemoryKeyStorage()
    first = await load_or_create_app_key(storage)
    second = await load_or_create_app_key(storage)
    assert private_key_to_bytes(first) == private_key_to_bytes(second)


class _DictKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.data.pop((service, username), None) is None:
            raise PasswordDeleteError("missing")


@pytest.fixture
def memory_keyring() -> _DictKeyring:
    previous = keyring.get_keyring()
    backend = _DictKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


async def test_keyring_storage_round_trip(memory_keyring: _DictKeyring) -> None:
    storage = KeyringKeyStorage(service="chargepile-home-test")
    key = await load_or_create_app_key(storage)
    assert (
        memory_keyring.data[("chargepile-home-test", "app-key")] == private_key_to_bytes(key).hex()
    )
    await storage.delete()
    await storage.delete()  # deleting twice is harmless
    assert await storage.load() is None
