"""Issue 9 for the driver app: the backend *process* is killed and restarted while the app is
open on the account screen of a signed-in driver.

* while it is down the app says "Reconnecting…";
* once it is back the app's event stream reconnects by itself, the app reloads what the screen
  shows (a card linked while the app was cut off appears: no event ever announced it) and says
  "Reconnected: showing the latest state" (in Chinese too) for a few seconds;
* the driver goes on using the app against the new process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import insert

from apps.user_mobile.state.app import DriverState
from backend.db.engine import create_engine, create_session_factory
from backend.db.models import RfidCard
from shared import ConnectionState
from tests.driver_app.support import driver_app
from tests.reliability.support import BackendProcess, backend_env
from tests.support.backend import fresh_database_url, make_test_settings, running_app
from tests.support.builders import PASSWORD, World, build_world
from tests.support.flet_harness import FakeApp
from tests.support.servers import free_port

NOTICE_S = 10.0
"""Bound on "within a few seconds" (the app reconnects at most every 4 s)."""


async def _card_behind_the_apps_back(url: str, tmp_path: Path, world: World, uid: str) -> None:
    """An operator links a card to the driver while the app's link is down (written straight
    into the database: no event will ever announce it to this app)."""
    engine = create_engine(make_test_settings(url, tmp_path))
    try:
        async with create_session_factory(engine)() as s:
            await s.execute(
                insert(RfidCard),
                [{"operator_id": world.operator_id, "uid": uid, "driver_id": world.driver.id}],
            )
            await s.commit()
    finally:
        await engine.dispose()


@asynccontextmanager
async def signed_in_on_a_backend_process(
    tmp_path: Path,
) -> AsyncIterator[tuple[FakeApp, DriverState, BackendProcess, str, World]]:
    """A backend process on a fresh database, and the app signed in on the account screen."""
    async with fresh_database_url(tmp_path) as url:
        settings = make_test_settings(url, tmp_path)
        async with running_app(settings) as seeding:
            world = await build_world(seeding)
        backend = BackendProcess(backend_env(settings), tmp_path, port=free_port())
        try:
            await backend.start()
            async with driver_app(url=backend.base_url, route="/account", live_events=True) as (
                fake,
                state,
            ):
                await fake.wait_for(lambda: fake.has_key("account-submit"))
                await fake.enter_text("account-email", world.driver_email)
                await fake.enter_text("account-password", PASSWORD)
                await fake.click("account-submit")
                await fake.wait_for(lambda: fake.has_key("wallet-balance"))
                await fake.wait_for(lambda: state.live.running)
                assert not fake.has_key("live-banner")  # nothing to say while online
                yield fake, state, backend, url, world
                await fake.run(state.close)
        finally:
            await backend.stop()


async def test_after_a_backend_restart_the_app_says_so_and_shows_what_changed(
    tmp_path: Path,
) -> None:
    async with signed_in_on_a_backend_process(tmp_path) as (fake, _, backend, url, world):
        backend.kill()
        await fake.wait_for_text("Reconnecting…", timeout=NOTICE_S)
        await _card_behind_the_apps_back(url, tmp_path, world, "C0FFEE01")
        await fake.click("lang-switch")  # the notices speak the driver's language
        await fake.wait_for_text("正在重新连接…")
        await backend.start()
        await fake.wait_for_text("已重新连接，显示最新状态。", timeout=NOTICE_S)
        assert fake.has_key("card-C0FFEE01")  # reloaded before saying so


@pytest.mark.slow
async def test_driver_app_rides_out_two_backend_restarts(tmp_path: Path) -> None:
    """The longer variant: English then Chinese, and the notice hides itself each time."""
    async with signed_in_on_a_backend_process(tmp_path) as (fake, state, backend, url, world):
        backend.kill()
        await fake.wait_for(
            lambda: (
                fake.has_key("live-banner") and fake.by_key("live-banner").data == "reconnecting"
            ),
            timeout=NOTICE_S,
        )
        assert fake.has_text("Reconnecting…")
        await _card_behind_the_apps_back(url, tmp_path, world, "C0FFEE01")
        await backend.start()
        await fake.wait_for(
            lambda: state.live.state == ConnectionState.RECONNECTED, timeout=NOTICE_S
        )
        assert fake.has_text("Reconnected: showing the latest state.")
        assert fake.has_key("card-C0FFEE01")
        await fake.wait_for(lambda: not fake.has_key("live-banner"), timeout=NOTICE_S)

        await fake.click("lang-switch")
        backend.kill()
        await fake.wait_for_text("正在重新连接…", timeout=NOTICE_S)
        await _card_behind_the_apps_back(url, tmp_path, world, "C0FFEE02")
        await backend.start()
        await fake.wait_for_text("已重新连接，显示最新状态。", timeout=NOTICE_S)
        assert fake.has_key("card-C0FFEE02")
        await fake.wait_for(lambda: not fake.has_key("live-banner"), timeout=NOTICE_S)
        assert state.live.reconnects == 2
