"""Many people tap Start at once while chargers stream meter values.

Every start must get an answer a person can act on — 201, or a clear 503 "busy, retry" — never
a 500 from a drained database pool, and a start the app sends twice with one Idempotency-Key
(a retry after a lost answer) must start one session and hold money once. Before the fix each
start held a pooled connection for its whole run (the sign-in's request session) while needing
another one, so ~15 concurrent starts emptied the pool and all of them failed with a 500.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from backend.context import AppContext
from backend.db.models import (
    ChargingSession,
    IdempotencyRecord,
    MeterSample,
    PaymentIntent,
    PaymentPurpose,
    SessionStatus,
)
from backend.settings import Settings
from backend_client.models.chargers import ConnectorType
from tests.payments.support import FakeCharging, charger_online, driver_headers, pay_app
from tests.support.builders import World, build_world, create_charger

STARTS = 32  # concurrent starts (half signed-in drivers by card, half guests), each sent twice
METERED = 40  # sessions already charging, each sending a meter value every few ms
CONNECTORS = 8  # per charger


class AnsweringCharging(FakeCharging):
    """The charging layer with a charger that takes a moment to accept the remote start."""

    async def remote_start(
        self,
        ctx: AppContext,
        *,
        charger_id: int,
        connector_no: int,
        id_tag: str,
        driver_id: int | None,
    ) -> int:
        await asyncio.sleep(0.05)
        return await super().remote_start(
            ctx,
            charger_id=charger_id,
            connector_no=connector_no,
            id_tag=id_tag,
            driver_id=driver_id,
        )


async def _charging_sessions(ctx: AppContext, world: World) -> list[int]:
    async with ctx.sessions() as db:
        rows = [
            ChargingSession(
                operator_id=world.operator_id,
                station_id=world.station.id,
                charger_id=world.charger.id,
                connector_no=2,
                id_tag=f"BUSY{i}",
                status=SessionStatus.ACTIVE,
                started_at=datetime.now(UTC),
            )
            for i in range(METERED)
        ]
        db.add_all(rows)
        await db.commit()
        return [row.id for row in rows]


async def _meter_values(ctx: AppContext, session_id: int, stop: asyncio.Event) -> int:
    """One charger's MeterValues, written as the central system does (sample + session row)."""
    sent = 0
    while not stop.is_set():
        sent += 1
        async with ctx.sessions() as db:
            row = await db.get(ChargingSession, session_id)
            assert row is not None
            db.add(
                MeterSample(
                    session_id=session_id,
                    sampled_at=datetime.now(UTC),
                    energy_wh=sent * 10,
                    power_w=11_000.0,
                )
            )
            row.energy_wh = sent * 10
            row.last_power_w = 11_000.0
            await db.commit()
        await asyncio.sleep(0.005)
    return sent


async def _start_until_answered(
    client: httpx.AsyncClient, path: str, body: dict[str, object], headers: dict[str, str]
) -> tuple[list[int], dict[str, object]]:
    """POST like the app does: retry on 503 (after Retry-After) and on 409 "still being
    processed" with the same key; every status seen, and the final answer."""
    seen: list[int] = []
    async with asyncio.timeout(90):
        while True:
            r = await client.post(path, json=body, headers=headers)
            seen.append(r.status_code)
            if r.status_code == 503:
                assert r.json()["error"]["code"] in ("busy", "database_unavailable"), r.text
                assert "Retry-After" in r.headers
                await asyncio.sleep(float(r.headers["Retry-After"]) / 10)
                continue
            if r.status_code == 409 and "still being processed" in r.text:
                await asyncio.sleep(0.05)
                continue
            return seen, r.json()


async def test_concurrent_starts_under_meter_load_answer_and_start_once(
    settings: Settings,
) -> None:
    charging = AnsweringCharging()
    async with pay_app(settings, charging=charging) as pa:
        world = await build_world(pa.app)
        await charger_online(pa.ctx, world.charger.ocpp_id)
        chargers: list[str] = []
        async with pa.ctx.sessions() as db:
            for n in range(STARTS // CONNECTORS):
                created = await create_charger(
                    db,
                    staff=world.admin,
                    station_id=world.station.id,
                    ocpp_id=f"LOAD-{n}",
                    connectors=((ConnectorType.GBT_AC, 7.0),) * CONNECTORS,
                )
                chargers.append(created.ocpp_id)
        for ocpp_id in chargers:
            await charger_online(pa.ctx, ocpp_id)

        stop = asyncio.Event()
        metering = [
            asyncio.create_task(_meter_values(pa.ctx, sid, stop))
            for sid in await _charging_sessions(pa.ctx, world)
        ]
        await asyncio.sleep(0.2)  # meter traffic is flowing before anyone taps Start

        def request(i: int) -> tuple[str, dict[str, object], dict[str, str]]:
            target = {"ocpp_id": chargers[i // CONNECTORS], "connector_no": i % CONNECTORS + 1}
            key = {"Idempotency-Key": f"tap-{i}"}
            if i % 2:
                body = {**target, "payment_method_token": "pm_card_ok"}
                return "/api/v1/guest/charge/start", body, key
            headers = {**driver_headers(settings, world.driver.id), **key}
            body = {**target, "pay_with": "card", "payment_method_token": "pm_card_ok"}
            return "/api/v1/charge/start", body, headers

        # Each start twice at once with the same key: a double tap, or a retry racing the first.
        answers = await asyncio.gather(
            *(
                _start_until_answered(pa.client, *request(i))
                for i in range(STARTS)
                for _ in range(2)
            )
        )
        stop.set()
        samples = await asyncio.gather(*metering)

        statuses = [status for seen, _body in answers for status in seen]
        assert 500 not in statuses, statuses
        assert all(seen[-1] == 201 for seen, _body in answers), [a[0] for a in answers]
        # Both sends of one key got the same session.
        for i in range(STARTS):
            first, second = answers[2 * i][1], answers[2 * i + 1][1]
            assert first["session_id"] == second["session_id"]
        session_ids = {body["session_id"] for _seen, body in answers}
        assert len(session_ids) == STARTS
        assert len(charging.starts) == STARTS  # the charger was asked once per start
        assert min(samples) > 0  # the meter traffic ran alongside (and none of it failed)
        async with pa.ctx.sessions() as db:
            held = await db.scalar(
                select(func.count())
                .select_from(PaymentIntent)
                .where(PaymentIntent.purpose == PaymentPurpose.SESSION)
            )
            recorded = await db.scalar(
                select(func.count())
                .select_from(IdempotencyRecord)
                .where(IdempotencyRecord.key.like("tap-%"), IdempotencyRecord.status_code == 201)
            )
        assert held == STARTS  # money held once per start
        assert recorded == STARTS


async def test_a_saturated_pool_answers_busy_retry_and_the_retry_starts_once(
    settings: Settings,
) -> None:
    tight = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 0.3}
    )
    charging = AnsweringCharging()
    async with pay_app(tight, charging=charging) as pa:
        world = await build_world(pa.app)
        await charger_online(pa.ctx, world.charger.ocpp_id)
        path = "/api/v1/charge/start"
        body = {"ocpp_id": world.charger.ocpp_id, "connector_no": 1, "pay_with": "card"}
        body["payment_method_token"] = "pm_card_ok"
        headers = {**driver_headers(settings, world.driver.id), "Idempotency-Key": "tap"}
        # Something else holds the only connection longer than a request may wait.
        async with pa.ctx.engine.connect() as held:
            await held.exec_driver_sql("SELECT 1")
            r = await pa.client.post(path, json=body, headers=headers)
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "busy"
        assert charging.starts == []  # nothing was started or held
        seen, answer = await _start_until_answered(pa.client, path, body, headers)
        assert seen[-1] == 201
        again = await pa.client.post(path, json=body, headers=headers)
        assert again.status_code == 201 and again.json() == answer
        assert len(charging.starts) == 1
