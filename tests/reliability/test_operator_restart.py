"""Done-when (issue 9): the operator app rides out a backend *process* restart.

The operator app (real Flet session on the fake client, real ``backend_client`` over loopback)
watches the fault feed of a backend running as its own process, with simulated chargers
connected. The backend is SIGKILLed and restarted on the same database and port:

* while it is down the app says "Reconnecting…" (正在重新连接… in Chinese);
* once it is back the event stream reconnects by itself, the app says "Reconnected"
  (已重新连接) briefly and then hides the notice;
* the screen shows the current state within a few seconds, including a fault written while the
  app was cut off (no event for it ever reaches the app: only the reload on reconnect finds it);
* events pushed by the *new* process (a charger's fault) appear live again.

The fast test does one restart (English); the soak variant four more, switching language
each time — every restart must show, and end, its notice again. (The Chinese notice without
a backend process is also checked fast, in tests/operator_app/test_reconnect_notice.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from backend.db.engine import create_engine, create_session_factory
from backend.db.models import Fault
from backend_client import ChargepileClient, CredentialStore
from shared import ConnectionState
from simulators.ocpp import ChargerSpec, Fleet
from tests.ocpp.support import fast_config
from tests.operator_app.support import Network, operator_app, seed_network, sign_in
from tests.reliability.support import BackendProcess, backend_env
from tests.support.backend import fresh_database_url, make_test_settings, running_app
from tests.support.flet_harness import FakeApp

NOTICE_S = 10.0
"""Bound on "within a few seconds": the stream retries every 3 s (the server's ``retry:``)."""


async def _fault_behind_the_apps_back(settings_url: str, tmp_path: Path, net: Network) -> None:
    """A driver's problem report written while the app's link is down (by another backend
    worker, say): no event will ever announce it to this app. (A charger fault would not do:
    the charger's status report on reconnecting rightly clears it.)"""
    engine = create_engine(make_test_settings(settings_url, tmp_path))
    try:
        async with create_session_factory(engine)() as s:
            await s.execute(
                insert(Fault),
                [
                    {
                        "operator_id": net.operator_id,
                        "charger_id": net.charger_ids["CP-1"],
                        "connector_no": 1,
                        "source": "driver",
                        "error_code": "damaged",
                        "info": "reported during the outage",
                    }
                ],
            )
            await s.commit()
    finally:
        await engine.dispose()


NOTICES = {"en": ("Reconnecting…", "Reconnected"), "zh-CN": ("正在重新连接…", "已重新连接")}


async def _restart(fake: FakeApp, backend: BackendProcess, language: str) -> None:
    """Kill and restart the backend; the notices come and the "Reconnected" one goes."""
    reconnecting, reconnected = NOTICES[language]
    backend.kill()
    await fake.wait_for_text(reconnecting, timeout=NOTICE_S)
    await backend.start()
    await fake.wait_for_text(reconnected, timeout=NOTICE_S)
    await fake.wait_for(lambda: not fake.has_text(reconnected), timeout=NOTICE_S)


async def run_restart_scenario(tmp_path: Path, more_restarts: int) -> None:
    """One fully checked restart in English, then ``more_restarts`` more, switching between
    Chinese and English each time (every one must show and end its notice again)."""
    async with fresh_database_url(tmp_path) as url:
        settings = make_test_settings(
            url, tmp_path, ocpp_heartbeat_interval=60, ocpp_ping_interval=5.0,
            ocpp_call_timeout=10.0,
        )  # fmt: skip
        async with running_app(settings) as seeding:
            net = await seed_network(seeding)
        backend = BackendProcess(backend_env(settings), tmp_path)

        def client(store: CredentialStore) -> ChargepileClient:
            return ChargepileClient(backend.base_url, credentials=store)

        specs = [
            ChargerSpec(identity=ocpp_id, password=password, connectors=n)
            for (ocpp_id, password), n in zip(net.ocpp_passwords.items(), (2, 1), strict=True)
        ]
        try:
            await backend.start()
            async with (
                operator_app(seeding, client_factory=client, live_events=True) as (fake, state),
                Fleet(backend.ocpp_url, specs, fast_config()) as fleet,
            ):
                await sign_in(fake)
                await fake.wait_for(lambda: state.connection == ConnectionState.ONLINE, timeout=10)
                await fleet.wait_ready(timeout=30)
                await fake.run(lambda: state.go("faults"))
                await fleet.inject_fault("CP-2", 1, "GroundFailure")
                await fake.wait_for_text("GroundFailure", timeout=NOTICE_S)  # pushed live

                # Crash: the app notices, and a fault is recorded that it never hears about.
                backend.kill()
                await fake.wait_for(
                    lambda: state.connection == ConnectionState.RECONNECTING, timeout=NOTICE_S
                )
                assert fake.has_text("Reconnecting…")
                await _fault_behind_the_apps_back(url, tmp_path, net)
                assert not fake.has_text("damaged")
                await backend.start()
                await fake.wait_for(
                    lambda: state.connection == ConnectionState.RECONNECTED, timeout=NOTICE_S
                )
                assert fake.has_text("Reconnected")
                await fake.wait_for_text("damaged", timeout=NOTICE_S)  # current state
                assert fake.has_text("GroundFailure")  # and nothing it already had is lost

                # The new process pushes events to the app again.
                await fleet.wait_ready(timeout=30)
                await fleet.inject_fault("CP-1", 2, "OverCurrentFailure")
                await fake.wait_for_text("OverCurrentFailure", timeout=NOTICE_S)
                # The notice is brief.
                await fake.wait_for(lambda: not fake.has_text("Reconnected"), timeout=NOTICE_S)

                for n in range(more_restarts):
                    await fake.click("lang-switch")
                    await fake.settle()
                    await _restart(fake, backend, "zh-CN" if n % 2 == 0 else "en")
                await fake.run(state.close)
        finally:
            await backend.stop()


async def test_operator_app_reconnects_after_backend_process_restart(tmp_path: Path) -> None:
    await run_restart_scenario(tmp_path, more_restarts=0)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_operator_app_through_repeated_restarts_in_both_languages(tmp_path: Path) -> None:
    await run_restart_scenario(tmp_path, more_restarts=4)
