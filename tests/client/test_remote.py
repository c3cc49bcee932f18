"""Remote actions through the client against a real backend with a simulated OCPP charger on
loopback: the charger's real answers come back typed, an offline charger is ``ChargerOffline``,
and a driver's remote start shows up on their live event stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from backend_client import (
    ChargepileClient,
    ChargerOffline,
    ChargerRejected,
    ChargerTimeout,
    Conflict,
    RetryPolicy,
    StreamState,
)
from backend_client.models import LiveEvent, SessionStatus, TokenPair
from simulators.ocpp import Fleet
from simulators.ocpp.misbehaving import SlowChargePoint
from tests.client.support import eventually
from tests.ocpp.conftest import LiveBackend, serve_backend
from tests.ocpp.support import fast_config
from tests.support.backend import fresh_database_url, make_test_settings


@asynccontextmanager
async def serving(tmp_path: Path, call_timeout: float = 5.0) -> AsyncIterator[LiveBackend]:
    """The backend with the OCPP endpoint on loopback, seeded with charger CP-1."""
    async with fresh_database_url(tmp_path) as url:
        settings = make_test_settings(
            url,
            tmp_path,
            ocpp_heartbeat_interval=60,
            ocpp_ping_interval=5.0,
            ocpp_call_timeout=call_timeout,
        )
        async with serve_backend(settings, ["CP-1"], connectors=2) as backend:
            yield backend


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveBackend]:
    async with serving(tmp_path) as backend:
        yield backend


class SilentForTwoSeconds(SlowChargePoint):
    answer_delay_s = 2.0


async def signed_in(backend: LiveBackend, who: str) -> ChargepileClient:
    """A client holding the seeded account's token (the seed sets no usable passwords)."""
    client = ChargepileClient(backend.base_url)
    await client.tokens.accept(
        TokenPair(access_token=backend.network.tokens[who], refresh_token="unused", expires_in=600)
    )
    return client


async def test_an_offline_charger_is_charger_offline(live: LiveBackend) -> None:
    async with await signed_in(live, "admin") as admin:
        with pytest.raises(ChargerOffline) as caught:
            await admin.remote.reset(live.network.charger_id("CP-1"))
    assert caught.value.status_code == 503


async def test_a_charger_that_refuses_is_charger_rejected(live: LiveBackend) -> None:
    spec = live.network.spec("CP-1", behaviour="reject-remote-start")
    async with (
        Fleet(live.ocpp_url, [spec], fast_config()) as fleet,
        await signed_in(live, "driver") as driver,
    ):
        await fleet.wait_ready(timeout=10)
        with pytest.raises(ChargerRejected) as caught:
            await driver.remote.start(1, ocpp_id="CP-1")
    assert caught.value.status_code == 409


async def test_a_charger_that_does_not_answer_in_time_is_charger_timeout(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path, call_timeout=0.5) as live:
        spec = live.network.spec("CP-1", behaviour="silent")
        async with (
            Fleet(
                live.ocpp_url, [spec], fast_config(), behaviours={"silent": SilentForTwoSeconds}
            ) as fleet,
            await signed_in(live, "staff") as staff,
        ):
            await fleet.wait_ready(timeout=10)
            with pytest.raises(ChargerTimeout) as caught:
                await staff.remote.trigger(live.network.charger_id("CP-1"), "Heartbeat")
    assert caught.value.status_code == 504


async def test_remote_actions_return_the_chargers_answers(live: LiveBackend) -> None:
    charger_id = live.network.charger_id("CP-1")
    async with (
        Fleet(live.ocpp_url, [live.network.spec("CP-1")], fast_config()) as fleet,
        await signed_in(live, "admin") as admin,
    ):
        await fleet.wait_ready(timeout=10)
        config = await admin.remote.get_configuration(charger_id, ["HeartbeatInterval"])
        assert [k.key for k in config.keys] == ["HeartbeatInterval"]
        changed = await admin.remote.change_configuration(
            charger_id, "MeterValueSampleInterval", "30"
        )
        assert changed.status == "Accepted"
        triggered = await admin.remote.trigger(charger_id, "Heartbeat")
        assert triggered.status == "Accepted"
        availability = await admin.remote.change_availability(
            charger_id, operative=False, connector_no=2
        )
        assert availability.status == "Accepted"


async def test_a_drivers_remote_start_appears_on_their_event_stream(live: LiveBackend) -> None:
    async with (
        Fleet(live.ocpp_url, [live.network.spec("CP-1")], fast_config()) as fleet,
        await signed_in(live, "driver") as driver,
    ):
        await fleet.wait_ready(timeout=10)
        await fleet.plug_in("CP-1", 1)
        stream = driver.events.stream(backoff=RetryPolicy(attempts=1, base_delay=0.05))
        events: list[LiveEvent] = []

        async def follow() -> None:
            async for event in stream:
                events.append(event)

        task = asyncio.create_task(follow())
        try:
            async with asyncio.timeout(10):
                while stream.state != StreamState.CONNECTED:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # let the server register the subscription
            started = await driver.remote.start(1, ocpp_id="CP-1")
            assert started.session.status == SessionStatus.PENDING
            with pytest.raises(Conflict):
                await driver.remote.start(1, ocpp_id="CP-1")  # the connector is taken now
            async with asyncio.timeout(15):
                while not any(e.type == "session.started" for e in events):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            session = await driver.sessions.get(started.session.id)
            assert session.status == SessionStatus.ACTIVE
            stopped = await driver.remote.stop(session.id)
            assert stopped.status == "Accepted"
        finally:
            await stream.aclose()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def startable(client: ChargepileClient) -> bool:
    return (await client.charging.quote("CP-1", 1)).startable


async def has_status(client: ChargepileClient, token: str, status: str) -> bool:
    return (await client.guest.status(token)).status == status


async def test_a_guest_charges_pays_and_gets_a_receipt(live: LiveBackend) -> None:
    async with (
        Fleet(live.ocpp_url, [live.network.spec("CP-1")], fast_config()) as fleet,
        ChargepileClient(live.base_url) as guest,
    ):
        await fleet.wait_ready(timeout=10)
        await fleet.plug_in("CP-1", 1)
        # the charger reports the plug-in
        await eventually(lambda: startable(guest))
        started = await guest.guest.start("CP-1", 1, "pm_card_ok")
        token = started.receipt_token
        assert token is not None
        await eventually(lambda: has_status(guest, token, "active"))
        await guest.guest.stop(token)
        await eventually(lambda: has_status(guest, token, "completed"))
        receipt = await guest.guest.receipt(token)
        assert receipt.session_id == started.session_id
        assert (await guest.guest.receipt_pdf(token)).startswith(b"%PDF")
