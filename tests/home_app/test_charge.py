"""The live charge screen against the simulated charger: tap to start and stop, live figures,
current limit, lock, precise refusals, reconnecting after a link drop, Chinese text."""

from __future__ import annotations

from shared import ConnectionState, Language
from simulators.home import HomeSimulator
from tests.home_app.conftest import Phones, enroll_by_code, set_value
from tests.support.flet_harness import FakeApp


async def _paired(fake: FakeApp, sim: HomeSimulator) -> None:
    await enroll_by_code(fake, sim)
    await fake.wait_for(
        lambda: fake.has_key("charge-toggle") and not fake.by_key("charge-toggle").disabled
    )


async def test_tap_starts_and_stops_charging_with_live_figures(
    phones: Phones, sim: HomeSimulator
) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        assert fake.by_key("charge-state").value == "Vehicle plugged in"
        assert fake.by_key("charge-toggle").content == "Start charging"
        await fake.click("charge-toggle")
        await fake.wait_for_text("Charging started")
        assert fake.by_key("charge-state").value == "Charging"
        assert fake.by_key("charge-power").value == "3.7 kW"  # 16 A x 230 V, one phase
        assert fake.by_key("charge-toggle").content == "Stop charging"
        assert sim.model.status().state == "C"
        await fake.click("charge-toggle")
        await fake.wait_for_text("Charging stopped")
        assert fake.by_key("charge-state").value == "Vehicle plugged in"
        assert fake.by_key("charge-power").value == "0 kW"
        assert sim.model.status().state == "B"


async def test_pause_and_resume_keep_the_session(phones: Phones, sim: HomeSimulator) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        await fake.click("charge-toggle")
        await fake.wait_for_text("Charging started")
        await fake.click("charge-pause")
        await fake.wait_for_text("Charging paused")
        assert fake.by_key("charge-state").value == "Paused"
        assert fake.by_key("charge-pause").content == "Resume"
        await fake.click("charge-pause")
        await fake.wait_for(lambda: fake.by_key("charge-state").value == "Charging")


async def test_pushed_plug_changes_update_the_screen(phones: Phones, sim: HomeSimulator) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        sim.unplug()
        await fake.wait_for(lambda: fake.by_key("charge-state").value == "No vehicle plugged in")
        assert fake.by_key("charge-plugged").value == "No vehicle"
        await fake.click("charge-toggle")
        await fake.wait_for_text("No vehicle is plugged in. Plug in the cable")
        sim.plug_in()
        await fake.wait_for(lambda: fake.by_key("charge-state").value == "Vehicle plugged in")


async def test_current_limit_slider_sets_the_limit(phones: Phones, sim: HomeSimulator) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        slider = fake.by_key("limit-slider")
        assert (slider.min, slider.max, slider.value) == (6, 16, 16)
        await set_value(fake, "limit-slider", 10.0, event="change_end")
        await fake.wait_for_text("Current limit set to 10 A")
        assert sim.model.current_limit_a == 10
        assert fake.by_key("limit-value").value == "10 A (allowed 6–16 A)"
        await fake.click("charge-toggle")
        await fake.wait_for(lambda: fake.by_key("charge-power").value == "2.3 kW")


async def test_owner_locks_the_charger(phones: Phones, sim: HomeSimulator) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        await set_value(fake, "lock-switch", True)
        await fake.wait_for_text("Charger locked")
        assert sim.model.locked and fake.has_key("charge-locked")
        assert fake.by_key("charge-toggle").disabled  # nobody can start while locked
        await set_value(fake, "lock-switch", False)
        await fake.wait_for_text("Charger unlocked")
        assert not fake.by_key("charge-toggle").disabled


async def test_link_drop_shows_reconnecting_then_reconnected(
    phones: Phones, sim: HomeSimulator
) -> None:
    async with phones.app() as (fake, state):
        await _paired(fake, sim)
        assert not fake.has_key("conn-banner")
        seen: list[ConnectionState] = []

        def record(*_: object) -> None:
            seen.append(state.charge.connection)

        state.charge.subscribe(record)  # Observable keeps listeners weakly: `record` stays alive
        await sim.drop_link()
        await fake.wait_for(lambda: state.charge.connection is ConnectionState.RECONNECTED)
        assert ConnectionState.RECONNECTING in seen
        assert fake.has_text("Reconnected")
        await fake.click("charge-toggle")  # commands work again after the reconnect
        await fake.wait_for_text("Charging started")


async def test_fault_is_shown_and_start_refused(phones: Phones, sim: HomeSimulator) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        sim.inject_fault("ground fault")
        await fake.wait_for(lambda: fake.by_key("charge-state").value == "Fault: ground fault")
        await fake.click("charge-toggle")
        await fake.wait_for_text("The charger reports a fault and cannot charge.")


async def test_chinese_texts_and_reason_codes(phones: Phones, sim: HomeSimulator) -> None:
    async with phones.app() as (fake, _):
        await _paired(fake, sim)
        await fake.click("charge-toggle")
        await fake.wait_for_text("Charging started")
        await fake.click("lang-switch")
        assert not fake.has_text("Charging started")  # no English left behind
        await fake.click("charge-toggle")
        await fake.wait_for_text("已停止充电")
        assert fake.by_key("charge-state").value == "车辆已连接"
        assert fake.by_key("charge-toggle").content == "开始充电"
        assert fake.has_key("nav-charge") and fake.has_text("家庭充电")
        sim.unplug()
        await fake.wait_for(lambda: fake.by_key("charge-state").value == "未插枪")
        await fake.click("charge-toggle")
        await fake.wait_for_text("未插枪。请先插好充电枪再开始。")
        locale = fake.page.locale_configuration
        assert locale is not None and locale.current_locale is not None
        assert locale.current_locale.language_code == "zh"
        assert Language.ZH_CN.native_name not in fake.texts()  # the switch offers English now


async def test_retry_reopens_a_link_closed_from_outside(phones: Phones, sim: HomeSimulator) -> None:
    """The demo server's one radio taken over by another tab: "Retry" takes it back."""
    async with phones.app() as (fake, state):
        await _paired(fake, sim)
        first = state.ctx.link
        await first.close()
        await fake.wait_for_text("No connection")
        await fake.click("conn-retry")
        await fake.wait_for(
            lambda: state.charge.online and not fake.by_key("charge-toggle").disabled
        )
        assert state.ctx.link is not first
        await fake.click("charge-toggle")
        await fake.wait_for_text("Charging started")
