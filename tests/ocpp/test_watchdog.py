"""The heartbeat watchdog: a charger whose websocket is alive (it answers pings) but whose OCPP
stack has hung — no frames at all — is dropped, shown offline and gets an operator fault; its
next connection clears the fault. A charger that keeps talking is left alone."""

from __future__ import annotations

import asyncio
import contextlib
import time

from sqlalchemy import select
from websockets.exceptions import ConnectionClosed

from backend.db.models import Charger, Fault, FaultSource
from backend.services.events import Audience
from tests.ocpp.conftest import StartBackend
from tests.ocpp.raw_client import BOOT, RawCharger, open_charger
from tests.ocpp.support import EventRecorder

SILENCE_LIMIT = 1.0


async def test_hung_charger_is_dropped_and_reconnect_clears_the_fault(
    start_backend: StartBackend,
) -> None:
    # Pings every 0.3 s (answered by the client's websocket layer) keep the socket alive well
    # inside the silence limit: only the OCPP-level watchdog can notice this charger.
    backend = await start_backend(
        ["HUNG-1", "TALKY-1"], ocpp_ping_interval=0.3, ocpp_silence_limit=SILENCE_LIMIT
    )
    net = backend.network
    ops = EventRecorder(backend.ctx.events, Audience.operator(net.operator_id))
    hung_ws = await open_charger(backend.ocpp_url, "HUNG-1", net.chargers["HUNG-1"][1])
    talky = RawCharger(await open_charger(backend.ocpp_url, "TALKY-1", net.chargers["TALKY-1"][1]))
    hung = RawCharger(hung_ws)
    assert (await hung.call("BootNotification", BOOT))[0][0] == 3
    silent_since = time.monotonic()

    async def keep_talking() -> None:
        while True:
            await talky.heartbeat()
            await asyncio.sleep(0.2)

    chatter = asyncio.create_task(keep_talking())
    try:
        # The server closes the hung charger's socket itself, with 1011.
        async with asyncio.timeout(SILENCE_LIMIT + 3):
            with contextlib.suppress(ConnectionClosed):
                await hung_ws.recv()
        dropped_after = time.monotonic() - silent_since
        assert hung_ws.close_code == 1011
        # (the server counts from when it read the boot, a moment before we got its answer)
        assert SILENCE_LIMIT - 0.2 <= dropped_after < SILENCE_LIMIT + 3
        offline = await ops.wait_for("charger.offline", timeout=5)
        assert [e["ocpp_id"] for e in offline] == ["HUNG-1"]
        opened = await ops.wait_for("fault.opened", timeout=5)
        assert opened[0]["source"] == "watchdog" and opened[0]["ocpp_id"] == "HUNG-1"
        async with backend.ctx.sessions() as s:
            hung_row = await s.get(Charger, net.charger_id("HUNG-1"))
            talky_row = await s.get(Charger, net.charger_id("TALKY-1"))
            assert hung_row is not None and not hung_row.is_online
            assert talky_row is not None and talky_row.is_online
        assert not chatter.done()  # the talking charger was never cut off

        # Back again: online, and the fault is closed.
        again = RawCharger(
            await open_charger(backend.ocpp_url, "HUNG-1", net.chargers["HUNG-1"][1])
        )
        assert (await again.call("BootNotification", BOOT))[0][0] == 3
        await ops.wait_for("fault.cleared", timeout=5)
        async with backend.ctx.sessions() as s:
            hung_row = await s.get(Charger, net.charger_id("HUNG-1"))
            assert hung_row is not None and hung_row.is_online
            fault = (await s.scalars(select(Fault))).one()
        assert fault.source == FaultSource.WATCHDOG and fault.cleared_at is not None
        await again.ws.close()
    finally:
        chatter.cancel()
        await asyncio.gather(chatter, return_exceptions=True)
        await talky.ws.close()
        await ops.close()
