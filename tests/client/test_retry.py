"""Retries recover from lost answers without ever carrying out an action twice."""

from __future__ import annotations

import httpx
import pytest

from backend_client import Action, ChargepileClient, RetryPolicy, ServerUnavailable
from backend_client.models import CardCreate
from tests.client.support import RecordingTransport
from tests.support.builders import World


async def test_a_read_whose_answer_was_lost_is_retried_transparently(
    admin: ChargepileClient, recorder: RecordingTransport
) -> None:
    recorder.lose_answer = lambda r: r.url.path == "/api/v1/stations"
    page = await admin.stations.list()
    assert page.total == 1
    assert recorder.count("GET", "/api/v1/stations") == 2


async def test_a_create_whose_answer_was_lost_is_not_repeated(
    admin: ChargepileClient, recorder: RecordingTransport
) -> None:
    recorder.lose_answer = lambda r: r.method == "POST" and r.url.path == "/api/v1/cards"
    with pytest.raises(ServerUnavailable):
        await admin.cards.create(CardCreate(uid="0A0B0C0D", label="lobby"))
    assert recorder.count("POST", "/api/v1/cards") == 1
    cards = await admin.cards.list(q="0A0B0C0D")
    assert cards.total == 1  # created once, reported as "unavailable", never duplicated


async def test_a_partial_update_whose_answer_was_lost_is_not_repeated_blindly(
    admin: ChargepileClient, recorder: RecordingTransport, world: World
) -> None:
    # PATCH is not idempotent in general (a password change checks the current password).
    from backend_client.models import StationUpdate

    recorder.lose_answer = lambda r: r.method == "PATCH"
    with pytest.raises(ServerUnavailable):
        await admin.stations.update(world.station.id, StationUpdate(name="Renamed"))
    assert recorder.count("PATCH", f"/api/v1/stations/{world.station.id}") == 1


async def test_a_post_with_an_idempotency_key_is_retried_with_the_same_key() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Idempotency-Key"))
        if len(seen) < 3:
            return httpx.Response(503, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"status": "ok", "database": "sqlite"})

    action = Action()
    async with ChargepileClient(
        "http://testserver",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=3, base_delay=0.001),
    ) as client:
        response = await client._requester.send(
            "POST", "/api/v1/anything", idempotency_key=action.key
        )
    assert response.status_code == 200
    assert seen == [action.key] * 3


async def test_a_post_without_a_key_is_not_retried_after_a_server_error() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503)

    async with ChargepileClient(
        "http://testserver", transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(ServerUnavailable):
            await client._requester.send("POST", "/api/v1/anything")
    assert len(calls) == 1


async def test_a_post_that_never_left_is_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(204)

    async with ChargepileClient(
        "http://testserver",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=2, base_delay=0.001),
    ) as client:
        await client._requester.send("POST", "/api/v1/anything")
    assert len(calls) == 2


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    policy = RetryPolicy(attempts=10, base_delay=1.0, max_delay=8.0, jitter=0.5)
    for n, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {policy.delay(n) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1
    assert policy.delay(1, retry_after=30) == 8.0


def test_an_action_keeps_one_key() -> None:
    action = Action()
    assert action.key == str(action) and Action().key != action.key
