"""Hostile or broken clients against a real uvicorn-served central system on loopback (issue
#9): a charger flooding frames, oversized frames, handshakes that never complete, and piles of
idle half-open connections. In every case the offender is contained and well-behaved chargers
connected at the same time keep being served."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed

from tests.ocpp.conftest import LiveBackend, StartBackend, start_backend  # noqa: F401
from tests.ocpp.raw_client import BOOT, RawCharger, open_charger

PROMPT_S = 2.0
"""An answer within this is prompt: far inside a charger's usual 30 s response timeout, with
room for a shared CI box."""


def address(backend: LiveBackend) -> tuple[str, int]:
    parts = urlsplit(backend.base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


async def connect(backend: LiveBackend, ocpp_id: str) -> RawCharger:
    password = backend.network.chargers[ocpp_id][1]
    charger = RawCharger(await open_charger(backend.ocpp_url, ocpp_id, password))
    answer, _ = await charger.call("BootNotification", BOOT)
    assert answer[0] == 3 and answer[2]["status"] == "Accepted", answer
    return charger


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    """Whether the server closes this raw TCP connection within ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(4096):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


async def test_flooding_charger_is_throttled_and_others_stay_prompt(
    start_backend: StartBackend,  # noqa: F811
) -> None:
    rate, burst = 40.0, 20
    backend = await start_backend(
        ["FLOOD-1", "CALM-1"], ocpp_rate_limit=rate, ocpp_rate_burst=burst
    )
    flood = await connect(backend, "FLOOD-1")
    calm = await connect(backend, "CALM-1")
    sent = 400
    answered: list[float] = []

    async def flood_out() -> None:
        # Pipelined: all frames at once, without waiting for answers.
        for n in range(sent):
            await flood.ws.send(json.dumps([2, f"f{n}", "Heartbeat", {}]))

    async def flood_in() -> None:
        while True:
            frame = json.loads(await flood.ws.recv())
            assert frame[0] == 3, frame
            answered.append(time.monotonic())

    started = time.monotonic()
    tasks = [asyncio.create_task(flood_out()), asyncio.create_task(flood_in())]
    try:
        latencies = []
        for _ in range(10):
            latencies.append(await calm.heartbeat())
            await asyncio.sleep(0.15)
        window = time.monotonic() - started
        within = [t for t in answered if t - started <= window]
        # Throttled: no more than the burst plus the sustained rate over the window (+ slack
        # for timer granularity) — far fewer than the 400 sent.
        assert len(within) <= burst + rate * window + 10, (len(within), window)
        assert len(within) >= rate * window / 4, "throttled, not stopped"
        # The other charger was answered promptly throughout.
        assert max(latencies) < PROMPT_S, latencies
        # The flooder is not disconnected: its frames are still being answered.
        before = len(answered)
        await asyncio.sleep(0.5)
        assert len(answered) > before
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await flood.ws.close()
        await calm.ws.close()


async def test_oversized_frame_closes_that_connection_with_1009(
    start_backend: StartBackend,  # noqa: F811
) -> None:
    backend = await start_backend(["BIG-1", "CALM-1"], ocpp_max_frame_bytes=4096)
    big = await connect(backend, "BIG-1")
    calm = await connect(backend, "CALM-1")
    payload = {"vendorId": "com.chargepile", "messageId": "echo"}
    # Just under the limit: answered as usual.
    answer, _ = await big.call("DataTransfer", {**payload, "data": "x" * 3000})
    assert answer[0] == 3 and answer[2]["data"] == "x" * 3000
    # Over it: the server closes the connection (1009 "message too big") without reading on.
    await big.ws.send(json.dumps([2, "big", "DataTransfer", {**payload, "data": "x" * 10_000}]))
    async with asyncio.timeout(PROMPT_S):
        with contextlib.suppress(ConnectionClosed):
            await big.ws.recv()
    assert big.ws.close_code == 1009
    assert await calm.heartbeat() < PROMPT_S
    await calm.ws.close()


async def test_stalled_handshakes_are_cut_off_and_open_websockets_are_not(
    start_backend: StartBackend,  # noqa: F811
) -> None:
    timeout = 0.5
    backend = await start_backend(["CP-1"], ocpp_handshake_timeout=timeout)
    host, port = address(backend)
    charger = await connect(backend, "CP-1")
    # TCP connected, nothing sent.
    silent_reader, silent_writer = await asyncio.open_connection(host, port)
    # Half a request: the request line and one header, never the blank line.
    half_reader, half_writer = await asyncio.open_connection(host, port)
    half_writer.write(b"GET /ocpp/CP-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await half_writer.drain()
    try:
        results = await asyncio.gather(
            closed_by_server(silent_reader, timeout + 3),
            closed_by_server(half_reader, timeout + 3),
        )
        assert list(results) == [True, True]
        # The websocket opened before is long past the handshake deadline and still served.
        assert await charger.heartbeat() < PROMPT_S
    finally:
        for writer in (silent_writer, half_writer):
            writer.close()
        await charger.ws.close()


@pytest.mark.parametrize(
    "idle",
    [1000, pytest.param(5000, marks=pytest.mark.slow)],
)
async def test_many_idle_connections_do_not_lock_out_chargers(
    start_backend: StartBackend,  # noqa: F811
    idle: int,
) -> None:
    timeout = 2.0
    backend = await start_backend(["CP-1"], ocpp_handshake_timeout=timeout)
    host, port = address(backend)
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for start in range(0, idle, 250):
            streams += await asyncio.gather(
                *(asyncio.open_connection(host, port) for _ in range(min(250, idle - start)))
            )
        # Half of them even started a request.
        for _, writer in streams[::2]:
            writer.write(b"GET /ocpp/CP-1 HTTP/1.1\r\n")
        opened = time.monotonic()
        charger = await connect(backend, "CP-1")
        assert await charger.heartbeat() < PROMPT_S
        # ... and the idle ones are all closed by the server after the deadline.
        results = await asyncio.gather(
            *(closed_by_server(reader, timeout + 10) for reader, _ in streams)
        )
        assert all(results), f"{results.count(False)} of {idle} still open"
        assert time.monotonic() - opened >= timeout - 0.5
        assert await charger.heartbeat() < PROMPT_S
        await charger.ws.close()
    finally:
        for _, writer in streams:
            writer.close()
