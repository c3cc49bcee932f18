"""Schedule, history and household screens against the simulated charger."""

from __future__ import annotations

from home_protocol.commands import WeeklyWindow
from home_protocol.reasons import KeyState, Role
from simulators.home import HomeSimulator
from tests.home_app.conftest import Phones, enroll_by_code
from tests.support.flet_harness import FakeApp


async def _paired(fake: FakeApp, sim: HomeSimulator, *, member: bool = False) -> None:
    await enroll_by_code(fake, sim, member=member)
    await fake.wait_for(lambda: fake.has_key("charge-screen"))


async def _open(fake: FakeApp, section: str, index: int) -> None:
    await fake.select("nav-bar", index)
    await fake.wait_for(lambda: fake.has_key(f"{section}-screen"))


async def test_delayed_start_and_weekly_plan(phones: Phones, sim: HomeSimulator) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        await _open(fake, "schedule", 1)
        await fake.wait_for(lambda: fake.has_key("schedule-delayed"))
        assert fake.by_key("schedule-delayed").value == "No delayed start"
        await fake.enter_text("delayed-time", "25:99")
        await fake.click("delayed-set")
        await fake.wait_for_text("Enter a time as HH:MM")
        await fake.enter_text("delayed-time", "01:30")
        await fake.click("delayed-set")
        await fake.wait_for_text("Charging will start at 01:30")
        at = sim.model.delayed_start_at
        assert at is not None and at % 86400 == 90 * 60 and at > sim.clock.now()
        assert fake.by_key("schedule-delayed").value.startswith("Starts once at ")
        await fake.click("delayed-clear")
        await fake.wait_for_text("Delayed start cancelled")
        assert sim.model.delayed_start_at is None

        # weekday off-peak window 22:00-06:00: untick Saturday and Sunday
        await fake.fire(fake.by_key("day-5"), "select", False)
        await fake.fire(fake.by_key("day-6"), "select", False)
        await fake.click("weekly-add")
        await fake.wait_for_text("Off-peak plan saved")
        assert sim.model.weekly == (WeeklyWindow(0b0011111, 22 * 60, 6 * 60),)
        assert fake.by_key("window-0").value == "Mon–Fri 22:00–06:00"
        await fake.click("window-0-remove")
        await fake.wait_for_text("Off-peak plan cleared")
        assert not sim.model.schedule().weekly and fake.has_key("weekly-none")


async def test_history_lists_sessions_with_who_started_them(
    phones: Phones, sim: HomeSimulator
) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        await _open(fake, "history", 2)
        await fake.wait_for_text("No charging sessions yet")
        await _open(fake, "charge", 0)
        await fake.wait_for(lambda: not fake.by_key("charge-toggle").disabled)
        await fake.click("charge-toggle")
        await fake.wait_for_text("Charging started")
        await fake.click("charge-toggle")
        await fake.wait_for_text("Charging stopped")
        await _open(fake, "history", 2)
        await fake.wait_for(lambda: fake.has_key("history-1"))
        assert fake.has_text("started by you")


async def test_owner_approves_and_removes_a_household_member(
    phones: Phones, sim: HomeSimulator
) -> None:
    async with phones.app() as (owner, owner_state):
        await _paired(owner, sim)
        async with phones.app() as (member, member_state):
            await _paired(member, sim, member=True)
            assert member.has_key("charge-pending")
            await _open(owner, "household", 3)
            await owner.wait_for_text("waiting for approval")
            assert member_state.pairing is not None
            kid = member_state.pairing.key_id.hex()
            own = owner_state.pairing.key_id.hex()  # type: ignore[union-attr]
            assert owner.has_text("(this phone)") and not owner.has_key(f"key-{own}-remove")
            await owner.click(f"key-{kid}-approve")
            await owner.wait_for_text("My phone can now use the charger")
            assert sim.core.store.get(bytes.fromhex(kid)).state is KeyState.ACTIVE  # type: ignore[union-attr]
            # the member's link gets its session on the next retry; the pairing is marked approved
            await member.wait_for(lambda: not member.has_key("charge-pending"), timeout=10)
            await member.wait_for(lambda: not member.by_key("charge-toggle").disabled)
            assert member_state.pairing.role is Role.MEMBER
            assert "household" not in member_state.sections
            await member.click("charge-toggle")
            await member.wait_for_text("Charging started")

            await owner.click(f"key-{kid}-remove")
            await owner.click("remove-key-confirm")
            await owner.wait_for_text("My phone was removed")
            assert sim.core.store.get(bytes.fromhex(kid)) is None
            await member.click("charge-toggle")
            await member.wait_for_text("not enrolled with the charger")


async def test_forget_returns_to_enrolment_and_clears_the_device(
    phones: Phones, sim: HomeSimulator
) -> None:
    from tests.home_app.conftest import DeviceStorage

    storage = DeviceStorage()
    async with phones.app(storage) as (fake, state):
        await _paired(fake, sim)
        await fake.click("forget-charger")
        await fake.click("forget-confirm")
        await fake.wait_for(lambda: fake.has_key("enroll-screen"))
        assert state.pairing is None and "chargepile.home.pairing" not in storage.values
        assert "chargepile.home.app-key" in storage.values  # the phone's identity stays
